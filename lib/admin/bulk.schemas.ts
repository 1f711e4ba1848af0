// The bulk CSV import and export of products and variants (docs/admin.md#bulk-import-and-export): the file's
// columns, its limits, the per-row schema (built from the JSON API's own field schemas, so a value the API refuses
// the file refuses too, with the same message) and the import's report.
import { z } from '@hono/zod-openapi';
import { SetStockBody } from '../checkout/schemas';
import { ProductCreate, ProductOption, productStatuses, VariantCreate } from './catalog.schemas';

/** The largest import body, in bytes (a larger one is 413 before it is read). */
export const BULK_MAX_BYTES = 10 * 1024 * 1024;
/** The most data rows (variants) one import may hold; one more is 413. */
export const BULK_MAX_ROWS = 10_000;

/** Every column, in the order the export writes them. One row per variant. */
export const BULK_COLUMNS = [
  'handle',
  'title',
  'description',
  'brand',
  'category',
  'status',
  'currency',
  'option1_name',
  'option1_value',
  'option2_name',
  'option2_value',
  'option3_name',
  'option3_value',
  'sku',
  'variant_title',
  'price',
  'stock',
  'stock_version',
] as const;
export type BulkColumn = (typeof BULK_COLUMNS)[number];
/**
 * Columns a file may leave out: no options, and stock left as it is. `stock_version` is the version of the SKU's
 * stock when the file was exported: given, a stock cell differing from the stock now is refused when the version
 * moved since (sales or counts happened after the export), so an old file cannot set sold units back.
 */
export const OPTIONAL_COLUMNS: readonly BulkColumn[] = BULK_COLUMNS.filter((c) => /^option|^stock(_version)?$/.test(c));

const blankIsAbsent = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const wholeNumber = (v: unknown) => (typeof v === 'string' && /^\s*\d{1,12}\s*$/.test(v) ? Number(v) : v);
const optionName = z.preprocess(blankIsAbsent, ProductOption.shape.name.optional());
const optionValue = z.preprocess(blankIsAbsent, ProductOption.shape.values.element.optional());

/** One data row, as the cells of the file (strings) become a variant of a product. */
export const ImportRow = z
  .object({
    handle: ProductCreate.shape.slug,
    title: ProductCreate.shape.title,
    description: ProductCreate.shape.description,
    brand: ProductCreate.shape.brand,
    category: ProductCreate.shape.category,
    status: z.enum(productStatuses),
    currency: ProductCreate.shape.currency,
    option1_name: optionName,
    option1_value: optionValue,
    option2_name: optionName,
    option2_value: optionValue,
    option3_name: optionName,
    option3_value: optionValue,
    sku: VariantCreate.shape.sku,
    variant_title: VariantCreate.shape.title,
    price: z.preprocess(wholeNumber, VariantCreate.shape.priceAmount),
    stock: z.preprocess((v) => wholeNumber(blankIsAbsent(v)), SetStockBody.shape.onHand.optional()),
    stock_version: z.preprocess(
      (v) => wholeNumber(blankIsAbsent(v)),
      z.number({ error: 'a whole number (as the export wrote it)' }).int().min(0).optional(),
    ),
  })
  .superRefine((row, ctx) => {
    const names = new Set<string>();
    for (const n of [1, 2, 3] as const) {
      const name = row[`option${n}_name`];
      const value = row[`option${n}_value`];
      if ((name === undefined) !== (value === undefined))
        ctx.addIssue({
          code: 'custom',
          path: [name === undefined ? `option${n}_name` : `option${n}_value`],
          message: 'give both the option name and its value, or neither',
        });
      if (name !== undefined && names.has(name))
        ctx.addIssue({ code: 'custom', path: [`option${n}_name`], message: `repeats the option "${name}"` });
      if (name !== undefined) names.add(name);
    }
  });
export type ImportRow = z.infer<typeof ImportRow>;

export const importModes = ['apply', 'partial', 'validate'] as const;
export type ImportMode = (typeof importModes)[number];

export const ImportQuery = z
  .object({
    mode: z
      .enum(importModes)
      .default('apply')
      .openapi({
        description:
          '`apply` (default): all or nothing, any rejected row and nothing is written (422). `partial`: the valid ' +
          'rows are written, the report names the rejected ones. `validate`: the report only, nothing written.',
      }),
  })
  .strict();

export const ExportQuery = z
  .object({
    category: z
      .preprocess(blankIsAbsent, ProductCreate.shape.category.optional())
      .openapi({ description: 'Only the products of this category (its slug; not its subcategories).' }),
  })
  .strict();

export const rowStatuses = ['created', 'updated', 'unchanged', 'rejected'] as const;

export const ImportRowReport = z
  .object({
    row: z.number().int().openapi({ description: 'Line of the file the row starts on (the header is line 1).' }),
    handle: z.string().nullable(),
    sku: z.string().nullable(),
    status: z.enum(rowStatuses),
    changed: z
      .array(z.string())
      .optional()
      .openapi({ description: 'Columns whose values this row changes (updated rows).' }),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    stockError: z
      .string()
      .optional()
      .openapi({ description: 'The catalog change was applied, but setting the stock live failed (see docs).' }),
  })
  .openapi('ImportRowReport');
export type ImportRowReport = z.infer<typeof ImportRowReport>;

export const ImportReport = z
  .object({
    mode: z.enum(importModes),
    applied: z.boolean().openapi({ description: 'Whether anything was written (false: validate, or nothing to do).' }),
    sha256: z.string().openapi({ description: "The file's SHA-256 (hex), as the audit entry records it." }),
    counts: z.object({
      rows: z.number().int(),
      created: z.number().int(),
      updated: z.number().int(),
      unchanged: z.number().int(),
      rejected: z.number().int(),
    }),
    products: z.object({ created: z.number().int(), updated: z.number().int() }),
    stock: z.object({ set: z.number().int(), failed: z.number().int() }),
    generation: z.string().nullable().openapi({ description: 'The catalog generation published (null: none).' }),
    rows: z.array(ImportRowReport),
  })
  .openapi('ImportReport');
export type ImportReport = z.infer<typeof ImportReport>;
