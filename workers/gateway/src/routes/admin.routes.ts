// Merchant routes: a valid access token with the merchant role or above (401 without one, 403 below).
import { createRoute, z } from '@hono/zod-openapi';
import { ProductPatch } from '../../../../lib/admin/catalog.schemas';
import { Money, SlugParam, Timestamp } from '../../../../lib/catalog/schemas';
import {
  AdjustStockBody,
  InventoryEventPage,
  InventoryEventsQuery,
  InventorySku,
  InventoryView,
  SetStockBody,
} from '../../../../lib/checkout/schemas';
import { unwrap, unwrapAnswer } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { actorOf } from '../auth/actor';
import { requireRole } from '../auth/authenticate';
import { jsonBody } from '../middleware/json-body';
import * as example from './examples';
import { bearer, bodyFailures, failure, json } from './openapi';
import { router } from './router';

export const adminRoutes = router();
adminRoutes.use('*', requireRole('merchant'));

const ProductUpdated = z
  .object({
    product: z.object({
      id: z.string(),
      slug: z.string(),
      title: z.string(),
      price: Money,
      updatedAt: Timestamp,
    }),
    generation: z.string().openapi({ description: 'Catalog generation (LSN) that invalidates cached reads.' }),
  })
  .openapi('ProductUpdated');

adminRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/products/{slug}',
    tags: ['Merchant'],
    summary: "Change any of a product's fields (slug, title, description, brand, category, images, price, options)",
    security: bearer,
    middleware: [jsonBody()] as const,
    request: {
      params: SlugParam,
      body: { required: true, ...json(ProductPatch, { title: 'Harbor Linen Shirt', priceAmount: 4500 }) },
    },
    responses: {
      200: { description: 'Updated', ...json(ProductUpdated) },
      ...bodyFailures,
      401: failure('No token'),
      403: failure('Not allowed'),
      404: failure('No such product'),
      409: failure(
        'The new slug is taken (SLUG_TAKEN), or a variant uses an option the new options leave out (OPTION_IN_USE)',
      ),
    },
  }),
  async (c) => {
    const result = unwrap(
      await traced(c.env.ADMIN).updateProduct(actorOf(c), c.req.valid('param').slug, c.req.valid('json')),
    );
    return c.json({ product: result.product, generation: result.generation }, 200);
  },
);

const stockFailures = {
  ...bodyFailures,
  400: failure('Invalid SKU or figure (the message names each bad field)'),
  401: failure('No token'),
  403: failure('Not allowed'),
  404: failure('No variant is sold under this SKU: nothing is created'),
  409: failure('Below what is held or sold (STOCK_BELOW_COMMITTED)'),
};

adminRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/inventory/{sku}',
    tags: ['Merchant'],
    summary: 'Set on-hand stock of a SKU (and optionally its per-customer cap), with a reason for its ledger',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { params: InventorySku, body: { required: true, ...json(SetStockBody, example.setStock) } },
    responses: { 200: { description: 'The new figures', ...json(InventoryView, example.inventory) }, ...stockFailures },
  }),
  async (c) => {
    const { inventory } = unwrap(
      await traced(c.env.ADMIN).setStock(actorOf(c), c.req.valid('param').sku, c.req.valid('json')),
    );
    return c.json(stockView(inventory), 200);
  },
);

adminRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/inventory/{sku}/adjustments',
    tags: ['Merchant'],
    summary: 'Change on-hand stock by a delta (goods received +, shrinkage −)',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: {
      params: InventorySku,
      body: { required: true, ...json(AdjustStockBody, { delta: 12, reason: 'goods received' }) },
    },
    responses: { 200: { description: 'The new figures', ...json(InventoryView, example.inventory) }, ...stockFailures },
  }),
  async (c) => {
    const { inventory } = unwrap(
      await traced(c.env.ADMIN).adjustStock(actorOf(c), c.req.valid('param').sku, c.req.valid('json')),
    );
    return c.json(stockView(inventory), 200);
  },
);

adminRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/inventory/{sku}/events',
    tags: ['Merchant'],
    summary: "A SKU's stock ledger: every change (hold, sale, release, expiry, set, adjustment, restock), newest first",
    description:
      'One event per change, with who (a merchant or admin, an order, or the system), why, the change and the ' +
      'levels it left. Filter by kind (comma-separated) and time; pages are keyset cursors (`nextCursor`). The ' +
      'newest events are listed the moment they happen.',
    security: bearer,
    request: { params: InventorySku, query: InventoryEventsQuery },
    responses: {
      200: { description: 'A page of events', ...json(InventoryEventPage) },
      400: failure('Invalid SKU, filter or cursor (the message names each bad parameter)'),
      401: failure('No token'),
      403: failure('Below the merchant role'),
      404: failure('No variant is sold under this SKU'),
    },
  }),
  async (c) => {
    const page = unwrapAnswer(
      await traced(c.env.ADMIN).inventoryEvents(actorOf(c), c.req.valid('param').sku, c.req.valid('query')),
    );
    return c.json(page as never, 200, { 'cache-control': 'no-store' });
  },
);

function stockView(l: {
  sku: string;
  onHand: number;
  held: number;
  sold: number;
  available: number;
  maxPerCustomer: number | null;
}) {
  return {
    sku: l.sku,
    onHand: l.onHand,
    held: l.held,
    sold: l.sold,
    available: l.available,
    maxPerCustomer: l.maxPerCustomer,
  };
}

const DeadLetters = z
  .object({
    letters: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        subject: z.string(),
        body: z.record(z.string(), z.any()).openapi({
          description: 'The message as the Queue carried it: storage form, with integer minor units and epoch ms.',
        }),
        attempts: z.number().int(),
        firstSeenAt: Timestamp,
        lastSeenAt: Timestamp,
        replayedAt: Timestamp.nullable(),
        replays: z.number().int(),
      }),
    ),
    waiting: z.number().int().openapi({ description: 'Dead letters not replayed yet.' }),
  })
  .openapi('DeadLetters');

adminRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/dead-letters',
    tags: ['Merchant'],
    summary: 'Messages of the `orders` Queue that ran out of retries (admin role)',
    security: bearer,
    request: {
      query: z
        .object({
          includeReplayed: z.enum(['true', 'false']).default('false'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        })
        .strict(),
    },
    responses: {
      200: { description: 'Dead letters, newest first', ...json(DeadLetters) },
      400: failure('Invalid query'),
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    return c.json(
      unwrap(await traced(c.env.ADMIN).deadLetters(actorOf(c), q.includeReplayed === 'true', q.limit)) as never,
      200,
      { 'cache-control': 'no-store' },
    );
  },
);

adminRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/dead-letters/replay',
    tags: ['Merchant'],
    summary: 'Send dead letters back to the `orders` Queue (all waiting, or the ids given); safe to repeat',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: {
      body: {
        required: false,
        ...json(z.object({ ids: z.array(z.string().min(1).max(200)).min(1).max(1000).optional() }).strict()),
      },
    },
    responses: {
      200: { description: 'What was replayed', ...json(z.object({ replayed: z.array(z.string()) })) },
      ...bodyFailures,
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => {
    const body = c.req.valid('json') ?? {};
    return c.json(unwrap(await traced(c.env.ADMIN).replayDeadLetters(actorOf(c), body.ids)) as never, 200);
  },
);
