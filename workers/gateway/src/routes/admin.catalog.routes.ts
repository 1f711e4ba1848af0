// The merchant catalog API (roles merchant and admin): products with options, variants, images and a category;
// publish, unpublish, archive, delete; variants; categories; image uploads; CSV import and export (admin.bulk.routes.ts). Every write is audited by the admin worker
// and reaches shoppers within the catalog's invalidation bound (docs/admin.md, docs/catalog.md).
import { createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import {
  AdminCategory,
  AdminProduct,
  AdminProductAnswer,
  AdminProductList,
  AdminProductQuery,
  CategoryCreate,
  CategoryPatch,
  IMAGE_MAX_BYTES,
  ImageUploaded,
  ProductCreate,
  SkuParam,
  VariantCreate,
  VariantPatch,
} from '../../../../lib/admin/catalog.schemas';
import { SlugParam } from '../../../../lib/catalog/schemas';
import { AppError } from '../../../../lib/errors';
import { unwrapAnswer } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { actorOf } from '../auth/actor';
import { requireRole } from '../auth/authenticate';
import { jsonBody } from '../middleware/json-body';
import { addBulkRoutes } from './admin.bulk.routes';
import { bearer, failure, json } from './openapi';
import { router } from './router';

export const adminCatalogRoutes = router();
adminCatalogRoutes.use('*', requireRole('merchant'));
// First: `/products/export.csv` must not be taken for `/products/{slug}`.
addBulkRoutes(adminCatalogRoutes);

/** A product with up to 100 variants is more than the API's usual 16 KiB. */
const BIG_BODY = 256 * 1024;
const bigBodyFailures = {
  400: failure('The body fails the schema (the message names each bad field) or is not JSON'),
  413: failure(`The body is larger than ${BIG_BODY / 1024} KiB (PAYLOAD_TOO_LARGE)`),
  415: failure('The body is not application/json (UNSUPPORTED_MEDIA_TYPE)'),
};
const guarded = { 401: failure('No token'), 403: failure('Below the merchant role') };
const notFound = { 404: failure('No such product') };
const Stock = z.array(
  z.object({
    sku: z.string(),
    onHand: z.number().int().nullable().openapi({ description: 'null: not set live yet (see docs/admin.md)' }),
  }),
);
const Created = AdminProductAnswer.extend({ stock: Stock }).openapi('AdminProductCreated');

adminCatalogRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/products',
    tags: ['Merchant'],
    summary: 'Create a product with options, variants (SKU, price, initial stock), images and a category',
    security: bearer,
    middleware: [jsonBody(BIG_BODY)] as const,
    request: { body: { required: true, ...json(ProductCreate) } },
    responses: {
      201: { description: 'Created (a draft unless `status` says published)', ...json(Created) },
      ...bigBodyFailures,
      ...guarded,
      409: failure('The slug (SLUG_TAKEN) or a SKU (SKU_TAKEN) is taken; nothing was created'),
    },
  }),
  async (c) =>
    c.json(unwrapAnswer(await traced(c.env.ADMIN).createProduct(actorOf(c), c.req.valid('json'))) as never, 201),
);

adminCatalogRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/products',
    tags: ['Merchant'],
    summary: 'List products in every status, newest first: search by title, slug or SKU, filter by status',
    description: 'Keyset pages: `nextCursor` works only with the q and status that produced it (else 400).',
    security: bearer,
    request: { query: AdminProductQuery },
    responses: {
      200: { description: 'A page of products', ...json(AdminProductList) },
      400: failure('Invalid query or cursor'),
      ...guarded,
    },
  }),
  async (c) =>
    c.json(unwrapAnswer(await traced(c.env.ADMIN).listProducts(actorOf(c), c.req.valid('query'))) as never, 200, {
      'cache-control': 'no-store',
    }),
);

adminCatalogRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/products/{slug}',
    tags: ['Merchant'],
    summary: 'A product in any status, with every field',
    security: bearer,
    request: { params: SlugParam },
    responses: { 200: { description: 'The product', ...json(AdminProduct) }, ...guarded, ...notFound },
  }),
  async (c) =>
    c.json(
      unwrapAnswer(await traced(c.env.ADMIN).getProduct(actorOf(c), c.req.valid('param').slug)).product as never,
      200,
      {
        'cache-control': 'no-store',
      },
    ),
);

for (const action of ['publish', 'unpublish', 'archive'] as const) {
  adminCatalogRoutes.openapi(
    createRoute({
      method: 'post',
      path: `/products/{slug}/${action}`,
      tags: ['Merchant'],
      summary: {
        publish: 'Publish a product: shoppers see it',
        unpublish: 'Unpublish a product (back to draft): shoppers no longer see it',
        archive: 'Archive a product: hidden from shoppers, kept for its orders',
      }[action],
      security: bearer,
      request: { params: SlugParam },
      responses: { 200: { description: 'The product', ...json(AdminProductAnswer) }, ...guarded, ...notFound },
    }),
    async (c) =>
      c.json(
        unwrapAnswer(await traced(c.env.ADMIN).productStatus(actorOf(c), c.req.valid('param').slug, action)) as never,
        200,
      ),
  );
}

adminCatalogRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/products/{slug}',
    tags: ['Merchant'],
    summary: 'Delete a product that was never ordered (else 409: archive it)',
    security: bearer,
    request: { params: SlugParam },
    responses: {
      200: {
        description: 'Deleted',
        ...json(z.object({ deleted: z.object({ id: z.string(), slug: z.string() }), generation: z.string() })),
      },
      ...guarded,
      ...notFound,
      409: failure(
        'Published (PRODUCT_PUBLISHED: archive it first), or a SKU of it was ordered, held or sold (PRODUCT_ORDERED)',
      ),
    },
  }),
  async (c) =>
    c.json(unwrapAnswer(await traced(c.env.ADMIN).deleteProduct(actorOf(c), c.req.valid('param').slug)) as never, 200),
);

adminCatalogRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/products/{slug}/variants',
    tags: ['Merchant'],
    summary: 'Add a variant (SKU, options, price, initial stock)',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { params: SlugParam, body: { required: true, ...json(VariantCreate) } },
    responses: {
      201: { description: 'The product with its new variant', ...json(Created) },
      ...bigBodyFailures,
      ...guarded,
      ...notFound,
      409: failure('The SKU is taken (SKU_TAKEN), or another variant has these options (VARIANT_OPTIONS_TAKEN)'),
    },
  }),
  async (c) =>
    c.json(
      unwrapAnswer(
        await traced(c.env.ADMIN).addVariant(actorOf(c), c.req.valid('param').slug, c.req.valid('json')),
      ) as never,
      201,
    ),
);

adminCatalogRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/products/{slug}/variants/{sku}',
    tags: ['Merchant'],
    summary: "Change a variant's title, options or price",
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { params: SkuParam, body: { required: true, ...json(VariantPatch) } },
    responses: {
      200: { description: 'The product', ...json(AdminProductAnswer) },
      ...bigBodyFailures,
      ...guarded,
      404: failure('No such product or variant'),
      409: failure('Another variant has these options (VARIANT_OPTIONS_TAKEN)'),
    },
  }),
  async (c) => {
    const { slug, sku } = c.req.valid('param');
    return c.json(
      unwrapAnswer(await traced(c.env.ADMIN).updateVariant(actorOf(c), slug, sku, c.req.valid('json'))) as never,
      200,
    );
  },
);

const CategoryAnswer = z
  .object({ category: AdminCategory, generation: z.string(), moved: z.number().int().optional() })
  .openapi('AdminCategoryAnswer');

adminCatalogRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/categories',
    tags: ['Merchant'],
    summary: 'Create a category (a root, or under a parent)',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(CategoryCreate) } },
    responses: {
      201: { description: 'Created', ...json(CategoryAnswer) },
      ...bigBodyFailures,
      ...guarded,
      409: failure('The slug is taken (SLUG_TAKEN)'),
    },
  }),
  async (c) =>
    c.json(unwrapAnswer(await traced(c.env.ADMIN).createCategory(actorOf(c), c.req.valid('json'))) as never, 201),
);

adminCatalogRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/categories/{slug}',
    tags: ['Merchant'],
    summary: 'Rename, reorder or move a category (its whole subtree moves with it)',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { params: SlugParam, body: { required: true, ...json(CategoryPatch) } },
    responses: {
      200: { description: 'Changed; `moved` counts the categories whose path changed', ...json(CategoryAnswer) },
      ...bigBodyFailures,
      ...guarded,
      404: failure('No such category'),
      409: failure('The new slug is taken (SLUG_TAKEN), or the move would put it under itself (CATEGORY_CYCLE)'),
    },
  }),
  async (c) =>
    c.json(
      unwrapAnswer(
        await traced(c.env.ADMIN).updateCategory(actorOf(c), c.req.valid('param').slug, c.req.valid('json')),
      ) as never,
      200,
    ),
);

const imageTypes = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif'];
const binary = z.string().openapi({ type: 'string', format: 'binary' });

adminCatalogRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/images',
    tags: ['Merchant'],
    summary: `Upload a product image (PNG, JPEG, WebP, GIF or AVIF, at most ${IMAGE_MAX_BYTES / 1024 / 1024} MB)`,
    description:
      'The body is the image bytes. The type is read from the bytes (the Content-Type header is not trusted). The ' +
      'answer is its URL, `/images/<sha-256>.<ext>`: the same bytes always get the same URL, and uploading them ' +
      "again changes nothing (200 with `created: false`). Give the URL in a product's `images`.",
    security: bearer,
    middleware: [
      bodyLimit({
        maxSize: IMAGE_MAX_BYTES,
        onError: () => {
          throw new AppError('PAYLOAD_TOO_LARGE', `An image may have at most ${IMAGE_MAX_BYTES} bytes.`, {
            details: { maxBytes: IMAGE_MAX_BYTES },
          });
        },
      }),
    ] as const,
    request: {
      body: { required: true, content: Object.fromEntries(imageTypes.map((t) => [t, { schema: binary }])) },
    },
    responses: {
      200: { description: 'These bytes were uploaded before: the same URL', ...json(ImageUploaded) },
      201: { description: 'Stored', ...json(ImageUploaded) },
      400: failure('Empty body'),
      ...guarded,
      413: failure(`Larger than ${IMAGE_MAX_BYTES} bytes (PAYLOAD_TOO_LARGE)`),
      415: failure('Not a PNG, JPEG, WebP, GIF or AVIF image (UNSUPPORTED_MEDIA_TYPE)'),
    },
  }),
  async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const uploaded = unwrapAnswer(await traced(c.env.ADMIN).uploadImage(actorOf(c), bytes));
    return c.json(uploaded as never, uploaded.created ? 201 : 200);
  },
);
