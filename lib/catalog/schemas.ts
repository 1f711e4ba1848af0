// Catalog request and response schemas. The gateway validates with them and generates OpenAPI from them;
// the catalog worker builds its cache keys from the parsed (normalized) values.
import { z } from '@hono/zod-openapi';
import { type ErrorCode, errorStatus } from '../errors';
import { NO_NUL, NO_NUL_MESSAGE } from '../validation';

const lower = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v);

export const productSorts = ['relevance', 'newest', 'price_asc', 'price_desc', 'trending'] as const;
export type ProductSort = (typeof productSorts)[number];

export const slugSchema = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lowercase letters, digits and single hyphens');

export const ProductListQuery = z
  .object({
    q: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.trim().replace(/\s+/g, ' ').toLowerCase() : v),
        z.string().min(1).max(200).regex(NO_NUL, NO_NUL_MESSAGE),
      )
      .optional()
      .openapi({ description: 'Full-text search (English stemming, ranked).', example: 'linen shirt' }),
    category: z
      .preprocess(lower, slugSchema)
      .optional()
      .openapi({ description: 'Category slug; includes its subcategories.', example: 'apparel' }),
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
  .strict();
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

export const ProductList = z
  .object({
    items: z.array(ProductSummary),
    nextCursor: z.string().nullable(),
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
