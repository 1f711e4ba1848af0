// Request and answer schemas of the merchant catalog API (/v1/admin/products, /categories, /images). The gateway
// validates and documents with them; the admin worker parses the same input again, since it is reached over a binding.
import { z } from '@hono/zod-openapi';
import { skuSchema, slugSchema, Timestamp } from '../catalog/schemas';
import { NO_NUL, NO_NUL_MESSAGE } from '../validation';

const text = (max: number, min = 1) => z.string().trim().min(min).max(max).regex(NO_NUL, NO_NUL_MESSAGE);
const lowerSlug = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), slugSchema);
const upperSku = z.preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), skuSchema);
const minor = z.number().int().min(0).max(100_000_000).openapi({ description: 'Minor units (cents).' });

/** The largest image upload, in bytes (docs/admin.md#images). */
export const IMAGE_MAX_BYTES = 5 * 1024 * 1024;
/** Our own image: `/images/<sha-256 of the bytes>.<ext>`, as POST /v1/admin/images answers it. */
export const OWN_IMAGE = /^\/images\/([0-9a-f]{64}\.(?:png|jpg|webp|gif|avif))$/;
const imageRef = z
  .string()
  .max(500)
  .refine(
    (v) => OWN_IMAGE.test(v) || /^https:\/\/[^\s"<>\\]+$/.test(v),
    'an uploaded image (/images/<hash>.<ext>) or an https URL',
  );
const images = z
  .array(imageRef)
  .max(20)
  .refine((v) => new Set(v).size === v.length, 'must not repeat an image');

export const ProductOption = z
  .object({
    name: text(40),
    values: z
      .array(text(60))
      .min(1)
      .max(50)
      .refine((v) => new Set(v).size === v.length, 'must not repeat a value'),
  })
  .strict();

const optionValues = z
  .record(z.string().min(1).max(40).regex(NO_NUL, NO_NUL_MESSAGE), text(60))
  .openapi({ example: { Size: 'M', Color: 'Navy' } });

export const VariantCreate = z
  .object({
    sku: upperSku,
    title: text(200),
    options: optionValues.default({}),
    priceAmount: minor,
    initialStock: z.number().int().min(0).max(10_000_000).default(0),
  })
  .strict()
  .openapi('VariantCreate');
export type VariantCreate = z.infer<typeof VariantCreate>;

export const productStatuses = ['draft', 'published', 'archived'] as const;

/**
 * The ISO 4217 currencies, as the runtime's ICU knows them: a made-up code (`XYZ`) would make a product no payment
 * provider takes. Stripe takes most of these; which it takes for an account is checked at the first checkout.
 */
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** Each variant names one value of every option, and no two variants name the same values. */
function checkVariants(
  p: { options?: z.infer<typeof ProductOption>[]; variants?: { sku: string; options?: Record<string, string> }[] },
  ctx: z.RefinementCtx,
) {
  const names = p.options?.map((o) => o.name) ?? [];
  if (new Set(names).size !== names.length)
    ctx.addIssue({ code: 'custom', path: ['options'], message: 'must not repeat an option name' });
  const skus = new Set<string>();
  const combos = new Set<string>();
  for (const [i, v] of (p.variants ?? []).entries()) {
    if (skus.has(v.sku)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'sku'], message: 'repeated SKU' });
    skus.add(v.sku);
    if (!p.options) continue;
    const given = v.options ?? {};
    for (const o of p.options) {
      if (!o.values.includes(given[o.name] ?? ''))
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'options', o.name],
          message: `must be one of ${o.values.join(', ')}`,
        });
    }
    for (const key of Object.keys(given)) {
      if (!names.includes(key))
        ctx.addIssue({ code: 'custom', path: ['variants', i, 'options', key], message: 'not an option' });
    }
    const combo = JSON.stringify(names.map((n) => given[n]));
    if (names.length && combos.has(combo))
      ctx.addIssue({ code: 'custom', path: ['variants', i, 'options'], message: 'same options as another variant' });
    combos.add(combo);
  }
}

export const ProductCreate = z
  .object({
    slug: lowerSlug,
    title: text(200),
    description: text(5000, 0).default(''),
    brand: text(100),
    category: lowerSlug.openapi({ description: 'The slug of an existing category.' }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD')
      .refine((c) => ISO_CURRENCIES.has(c), 'not an ISO 4217 currency (such as USD, EUR, JPY)'),
    status: z.enum(['draft', 'published']).default('draft'),
    options: z.array(ProductOption).max(3).default([]),
    variants: z.array(VariantCreate).min(1).max(100),
    images: images.default([]),
  })
  .strict()
  .superRefine(checkVariants)
  .openapi('ProductCreate');
export type ProductCreate = z.infer<typeof ProductCreate>;

/** PATCH /v1/admin/products/:slug: any of the product's own fields (variants have their own route). */
export const ProductPatch = z
  .object({
    slug: lowerSlug.optional(),
    title: text(200).optional(),
    description: text(5000, 0).optional(),
    brand: text(100).optional(),
    category: lowerSlug.optional(),
    images: images.optional(),
    priceAmount: minor.optional().openapi({ description: 'New price of every variant, in minor units.' }),
    options: z
      .array(ProductOption)
      .max(3)
      .optional()
      .openapi({
        description:
          "The product's options, whole (e.g. a value added). Every option name and value a variant uses must stay " +
          '(else 409 OPTION_IN_USE naming the variant).',
      }),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'give at least one field to change')
  .superRefine(checkVariants)
  .openapi('ProductUpdate');
export type ProductPatch = z.infer<typeof ProductPatch>;

export const VariantPatch = z
  .object({ title: text(200).optional(), options: optionValues.optional(), priceAmount: minor.optional() })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'give at least one field to change')
  .openapi('VariantUpdate');
export type VariantPatch = z.infer<typeof VariantPatch>;

export const SkuParam = z.object({ slug: lowerSlug, sku: upperSku });

export const StatusAction = z.object({
  slug: lowerSlug,
  action: z.enum(['publish', 'unpublish', 'archive']),
});

export const CategoryCreate = z
  .object({
    slug: lowerSlug,
    name: text(100),
    parent: lowerSlug.nullable().default(null).openapi({ description: 'Slug of the parent; null for a root.' }),
    position: z.number().int().min(0).max(10_000).default(0),
  })
  .strict()
  .openapi('CategoryCreate');
export type CategoryCreate = z.infer<typeof CategoryCreate>;

export const CategoryPatch = z
  .object({
    slug: lowerSlug.optional(),
    name: text(100).optional(),
    parent: lowerSlug.nullable().optional().openapi({ description: 'Move under this category; null: to the root.' }),
    position: z.number().int().min(0).max(10_000).optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'give at least one field to change')
  .openapi('CategoryUpdate');
export type CategoryPatch = z.infer<typeof CategoryPatch>;

export const AdminCategory = z
  .object({
    id: z.number().int(),
    slug: z.string(),
    name: z.string(),
    parent: z.string().nullable(),
    path: z.string(),
    position: z.number().int(),
  })
  .openapi('AdminCategory');

export const AdminVariant = z
  .object({
    sku: z.string(),
    title: z.string(),
    options: z.record(z.string(), z.string()),
    priceAmount: z.number().int(),
    position: z.number().int(),
  })
  .openapi('AdminVariant');

export const AdminProduct = z
  .object({
    id: z.string(),
    slug: z.string(),
    title: z.string(),
    description: z.string(),
    brand: z.string(),
    category: z.string().openapi({ description: 'Category slug.' }),
    status: z.enum(productStatuses),
    currency: z.string(),
    priceAmount: z.number().int().openapi({ description: 'The lowest variant price ("from").' }),
    options: z.array(ProductOption),
    images: z.array(z.string()),
    variants: z.array(AdminVariant),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('AdminProduct');

export const AdminProductAnswer = z
  .object({
    product: AdminProduct,
    generation: z.string().openapi({ description: 'Catalog generation (LSN) that invalidates cached reads.' }),
  })
  .openapi('AdminProductAnswer');

export const ImageUploaded = z
  .object({
    url: z.string().openapi({ example: `/images/${'0'.repeat(64)}.png` }),
    contentType: z.string(),
    bytes: z.number().int(),
    created: z.boolean().openapi({ description: 'false: the same bytes were uploaded before (same url).' }),
  })
  .openapi('ImageUploaded');

/** GET /v1/admin/products: the merchant's list, every status, newest first, keyset pages. */
export const AdminProductQuery = z
  .object({
    q: text(100).optional().openapi({ description: 'Part of the title, the slug or a SKU, case-insensitive.' }),
    status: z.enum(productStatuses).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z
      .string()
      .max(400)
      .regex(/^[A-Za-z0-9_-]+$/, 'an opaque cursor from a previous page')
      .optional()
      .openapi({ description: 'Opaque cursor from `nextCursor` of the previous page (same q and status).' }),
  })
  .strict();
export type AdminProductQuery = z.output<typeof AdminProductQuery>;

export const AdminProductSummary = z
  .object({
    id: z.string(),
    slug: z.string(),
    title: z.string(),
    status: z.enum(productStatuses),
    category: z.string().openapi({ description: 'Category slug.' }),
    currency: z.string(),
    priceAmount: z.number().int().openapi({ description: 'The lowest variant price ("from").' }),
    variants: z.number().int().openapi({ description: 'Number of variants.' }),
    image: z.string().nullable().openapi({ description: 'The first image, if any.' }),
    updatedAt: Timestamp,
    createdAt: Timestamp,
  })
  .openapi('AdminProductSummary');
export const AdminProductList = z
  .object({ products: z.array(AdminProductSummary), nextCursor: z.string().nullable() })
  .openapi('AdminProductList');
