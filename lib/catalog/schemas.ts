// Catalog request and response schemas. The gateway validates with them and generates OpenAPI from them;
// the catalog worker builds its cache keys from the parsed (normalized) values.
import { z } from '@hono/zod-openapi';
import { type ErrorCode, errorStatus } from '../errors';
import { NO_NUL, NO_NUL_MESSAGE } from '../validation';
import { normalizeFilterList } from './filter-values';

const lower = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v);

export const productSorts = ['relevance', 'newest', 'price_asc', 'price_desc', 'trending'] as const;
export type ProductSort = (typeof productSorts)[number];

export const slugSchema = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lowercase letters, digits and single hyphens');

/**
 * Facets (GET /v1/products?facets=…): the kinds counted, the variant options among them, and the price bands. An
 * option kind is read from a variant's options whatever their case (`Size`, `size`); `color` is read as `colour`.
 */
export const FACET_KINDS = ['brand', 'category', 'colour', 'price', 'size'] as const;
export type FacetKind = (typeof FACET_KINDS)[number];
export const OPTION_FACETS = ['colour', 'size'] as const;
export type OptionFacet = (typeof OPTION_FACETS)[number];
/**
 * The price bands' lower bounds, in minor units: 0–2,499, 2,500–4,999, …, 100,000 and up. The kept facet counts
 * band prices with the same bounds (product_facet_values(), migration 0015): a change here needs a migration there
 * (dev/seed.test.ts compares the kept counts with counting the products).
 */
export const PRICE_BANDS = [0, 2_500, 5_000, 10_000, 20_000, 50_000, 100_000] as const;
/** At most this many values of one filter kind. */
export const MAX_FILTER_VALUES = 20;
const INT4_MAX = 2_147_483_647;

/**
 * A filter's values: repeated (`brand=a&brand=b`) or comma-separated (`brand=a,b`; a comma in a value is `\,`), OR'd.
 * Trimmed, spaces collapsed, lower case, deduplicated and sorted (./filter-values.ts), so neither case nor order
 * splits the cache or a cursor.
 */
const valueList = (item: z.ZodType<string>, description: string, example: string) =>
  z
    .preprocess((v) => {
      const raw = Array.isArray(v) ? v : [v];
      if (!raw.every((s) => typeof s === 'string')) return v;
      return normalizeFilterList(raw);
    }, z.array(item).min(1).max(MAX_FILTER_VALUES))
    .optional()
    .openapi({
      description: `${description} Several values, comma-separated or repeated, match any of them (up to ${MAX_FILTER_VALUES}); a comma within a value is written \\, (as a facet's \`value\` has it).`,
      example,
      type: 'string',
    });
const filterValue = z.string().min(1, 'an empty value').max(80).regex(NO_NUL, NO_NUL_MESSAGE);
const minorUnits = (description: string) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' && /^\s*\d{1,10}\s*$/.test(v) ? Number(v) : v),
      z.number().int().min(0).max(INT4_MAX),
    )
    .optional()
    .openapi({ description, example: 5000, type: 'integer' });

/**
 * Whether a web-search query asks for a word at all, rather than only for words to leave out (`-zzz`, `-a -"b c"`):
 * every match of that is nearly every product, which no index finds, so it is refused (400) rather than read.
 * Tokens as `websearch_to_tsquery` reads them: a quoted phrase (negated by a `-` before its quote) or a run of
 * non-space; `or` joins; a token without a letter or digit is no word.
 */
export function onlyNegates(q: string): boolean {
  const tokens = q.match(/-?"[^"]*"?|\S+/g) ?? [];
  const words = tokens.filter((t) => t !== 'or' && /[\p{L}\p{N}]/u.test(t));
  return words.length > 0 && words.every((t) => t.startsWith('-'));
}

export const ProductListQuery = z
  .object({
    q: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.trim().replace(/\s+/g, ' ').toLowerCase() : v),
        z
          .string()
          .min(1)
          .max(200)
          .regex(NO_NUL, NO_NUL_MESSAGE)
          .refine((q) => !onlyNegates(q), 'a search needs at least one word that is not left out with "-"'),
      )
      .optional()
      .openapi({ description: 'Full-text search (English stemming, ranked).', example: 'linen shirt' }),
    category: valueList(slugSchema, 'Category slug; includes its subcategories.', 'apparel'),
    brand: valueList(filterValue, 'Brand, any case.', 'northfold'),
    size: valueList(filterValue, 'A variant option: products with a variant of this size (any case).', 'm'),
    colour: valueList(
      filterValue,
      'A variant option: products with a variant of this colour (any case; a `color` option counts).',
      'navy',
    ),
    price_min: minorUnits('Lowest price, in minor units, inclusive (a product’s price is its lowest variant’s).'),
    price_max: minorUnits('Highest price, in minor units, inclusive.'),
    facets: z
      .preprocess(
        (v) => {
          const raw = Array.isArray(v) ? v : [v];
          if (!raw.every((s) => typeof s === 'string')) return v;
          const kinds = raw.flatMap((s) => s.split(',')).map((s) => s.trim().toLowerCase());
          return kinds.includes('all') ? [...FACET_KINDS] : [...new Set(kinds)].sort();
        },
        z.array(z.enum(FACET_KINDS)).min(1),
      )
      .optional()
      .openapi({
        description:
          'Counts to answer in `facets`: `all`, or some of `brand,category,price,size,colour`. Each kind is ' +
          'counted over the matches of `q` and every other filter (not its own). Not with `sort=trending`.',
        example: 'all',
        type: 'string',
      }),
    sort: z
      .preprocess(lower, z.enum(productSorts))
      .optional()
      .openapi({
        description:
          'Default: relevance with q, newest without. `trending`: the products most bought (units in paid ' +
          'orders) over the last 7 days, best first; only products sold in that window are listed.',
      }),
    limit: z.coerce.number().int().min(1).max(100).default(24).openapi({ example: 24 }),
    cursor: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[A-Za-z0-9_-]+$/, 'an opaque cursor from a previous page')
      .optional()
      .openapi({ description: 'Opaque cursor from `nextCursor` of the previous page.' }),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.price_min !== undefined && v.price_max !== undefined && v.price_min > v.price_max)
      ctx.addIssue({ code: 'custom', path: ['price_max'], message: 'must not be below price_min' });
    if (v.facets && v.sort === 'trending')
      ctx.addIssue({ code: 'custom', path: ['facets'], message: 'facets are not counted for sort=trending' });
  });
export type ProductListQuery = z.infer<typeof ProductListQuery>;

/** Autocomplete (GET /v1/products/suggest): what the shopper has typed so far; its last word is the prefix. */
export const SUGGEST_LIMIT = 8;
export const SuggestQuery = z
  .object({
    q: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.trim().replace(/\s+/g, ' ').toLowerCase() : v),
        z
          .string()
          .min(1)
          .max(64)
          .regex(/^[\p{L}\p{N}' &.-]+$/u, "letters, digits, spaces and ' & . -"),
      )
      .openapi({ description: 'What the shopper has typed: 1 to 64 characters.', example: 'linen sh' }),
  })
  .strict();
export type SuggestQuery = z.infer<typeof SuggestQuery>;

export const Suggestions = z
  .object({
    suggestions: z
      .array(
        z.object({
          text: z
            .string()
            .openapi({ description: 'The typed words with the last one completed.', example: 'linen shirt' }),
          products: z.number().int().openapi({
            description: 'How many products have brought the completed word (title or brand).',
            example: 412,
          }),
        }),
      )
      .max(SUGGEST_LIMIT),
  })
  .openapi('Suggestions');

export const skuSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Z0-9]+(?:-[A-Z0-9]+)*$/, 'uppercase letters, digits and single hyphens')
  .openapi({ example: 'MSH-00001-M-NAVY' });
export const SkuList = z.array(skuSchema).min(1).max(100);

export const SlugParam = z.object({ slug: z.preprocess(lower, slugSchema).openapi({ example: 'oak-desk-lamp' }) });

/** Every amount in the API: an integer in minor units and its ISO 4217 currency. Never a float. */
export const Money = z
  .object({
    amount: z.number().int().openapi({ description: 'Integer amount in minor units (cents).', example: 2999 }),
    currency: z.string().length(3).openapi({ description: 'ISO 4217 code.', example: 'USD' }),
  })
  .openapi('Money', { description: 'An amount of money: integer minor units and an ISO 4217 currency code.' });
export type Money = z.infer<typeof Money>;

/** Every time in the API: ISO 8601 in UTC with milliseconds. */
export const Timestamp = z.iso
  .datetime()
  .openapi({ description: 'ISO 8601, UTC.', example: '2026-11-29T14:15:32.396Z' });

export const ProductSummary = z
  .object({
    id: z.string().uuid(),
    slug: z.string(),
    title: z.string(),
    brand: z.string(),
    category: z.object({ slug: z.string(), name: z.string(), path: z.string() }),
    price: Money,
    image: z.string().nullable().openapi({ description: 'An https URL, or a path on this API (/images/...).' }),
    createdAt: Timestamp,
  })
  .openapi('ProductSummary');

const FacetValue = z.object({
  value: z.string().openapi({
    description:
      'What to pass in the filter to select it: normalized (lower case, single spaces), a comma written `\\,` ' +
      'and a backslash `\\\\`, so that it can join other values in one comma list.',
    example: 'navy',
  }),
  label: z.string().openapi({ description: 'For people: as the products spell it.', example: 'Navy' }),
  count: z.number().int().openapi({ description: 'Matching products with it.', example: 42 }),
});
export const Facets = z
  .object({
    brand: z.array(FacetValue).optional(),
    category: z
      .array(FacetValue.extend({ path: z.string().openapi({ example: 'apparel/mens/shirts' }) }))
      .optional()
      .openapi({ description: 'By each product’s own category (a filter on a parent includes its subcategories).' }),
    price: z
      .array(
        z.object({
          band: z.string().openapi({ example: '2500-4999' }),
          min: z.number().int().openapi({ description: 'Pass as price_min.', example: 2500 }),
          max: z.number().int().nullable().openapi({ description: 'Pass as price_max; null: no upper bound.' }),
          count: z.number().int(),
        }),
      )
      .optional(),
    size: z.array(FacetValue).optional(),
    colour: z.array(FacetValue).optional(),
  })
  .openapi('Facets', {
    description:
      'Counts of the kinds asked for in `facets`, most first (at most 20 brands, 50 categories, 30 sizes and ' +
      'colours; a selected value is always listed). Each kind counts the products matching `q` and every other ' +
      'filter, so selecting a value of a kind leaves that kind’s other counts as they were.',
  });

export const ProductList = z
  .object({
    items: z.array(ProductSummary),
    nextCursor: z.string().nullable(),
    facets: Facets.optional(),
    facetsExhaustive: z
      .boolean()
      .optional()
      .openapi({
        description:
          'With `facets`: false when a kind had more matches than the catalog counts (FACET_SCAN_LIMIT, ' +
          'docs/catalog.md#facets-and-filters); its counts then cover only that many of them.',
      }),
    didYouMean: z
      .string()
      .optional()
      .openapi({
        description:
          'Present when `q` found nothing and a correction of its misspelt words did: the corrected query, whose ' +
          'results these are (`shrit` → `shirt`). Later pages take the same `q` and cursor as usual.',
        example: 'linen shirt',
      }),
  })
  .openapi('ProductList');

export const Variant = z
  .object({
    sku: z.string(),
    title: z.string(),
    options: z.record(z.string(), z.string()),
    price: Money,
  })
  .openapi('Variant');

export const ProductDetail = ProductSummary.extend({
  description: z.string(),
  images: z.array(z.string()).openapi({ description: 'https URLs, or paths on this API (/images/...).' }),
  updatedAt: Timestamp,
  variants: z.array(Variant),
}).openapi('ProductDetail');

export interface CategoryNode {
  slug: string;
  name: string;
  path: string;
  children: CategoryNode[];
}
export const CategoryNodeSchema: z.ZodType<CategoryNode> = z
  .lazy(() => z.object({ slug: z.string(), name: z.string(), path: z.string(), children: z.array(CategoryNodeSchema) }))
  .openapi('CategoryNode');
export const CategoryTree = z.object({ categories: z.array(CategoryNodeSchema) }).openapi('CategoryTree');

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z
        .enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]])
        .openapi({ description: 'Stable: branch on this, not on the message.', example: 'VALIDATION_FAILED' }),
      message: z.string().openapi({
        description: 'For people. A schema failure names every bad field.',
        example: 'Invalid body: shippingAddress.postalCode: a postal code (3 to 12 letters, digits, spaces or dashes)',
      }),
      requestId: z.string().openapi({
        description: 'Also in the x-request-id header; quote it when reporting a problem.',
        example: '3f0c6f53-1f0e-4f44-9d0e-1d4a6a0c2b8e',
      }),
      details: z
        .unknown()
        .optional()
        .openapi({
          description:
            'More, where the code has it: `[{path, message, code}]` for VALIDATION_FAILED, ' +
            '`{items: [{sku, requested, available}]}` for OUT_OF_STOCK, `{orderId, declineCode}` for PAYMENT_DECLINED.',
        }),
    }),
  })
  .openapi('Error', {
    description:
      'Every error answer. The status says the class (4xx: the request, 5xx: us or a dependency); `code` says which.',
  });
