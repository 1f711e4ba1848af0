// The Durable Objects' ops routes (admin role): exports of their state to R2, the stock check of every InventoryDO
// against Postgres' copy, and the rebuild of one SKU's InventoryDO or one shopper's OrdersDO from Postgres
// (docs/runbook.md#a-corrupted-durable-object).
import { createRoute, z } from '@hono/zod-openapi';
import {
  DoExportContinue,
  DoExportFile,
  DoExportId,
  DoExportManifest,
  DoExportProgress,
  DoExportStart,
  RebuildOrdersAnswer,
  RebuildOrdersBody,
  RebuildStockBody,
  ShopperSubject,
  StockVerifyPage,
  StockVerifyQuery,
} from '../../../../lib/admin/durable.schemas';
import { InventorySku } from '../../../../lib/checkout/schemas';
import { unwrap, unwrapAnswer } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { actorOf } from '../auth/actor';
import { requireRole } from '../auth/authenticate';
import { jsonBody } from '../middleware/json-body';
import { bearer, bodyFailures, failure, json } from './openapi';
import { router } from './router';

export const adminDurableRoutes = router();
adminDurableRoutes.use('/durable-objects/*', requireRole('admin'));
adminDurableRoutes.use('/inventory-verify', requireRole('admin'));
adminDurableRoutes.use('/inventory/:sku/rebuild', requireRole('admin'));
adminDurableRoutes.use('/shoppers/:subject/orders/rebuild', requireRole('admin'));

const adminOnly = { 401: failure('No token'), 403: failure('Not the admin role') };

const Levels = z.object({
  sku: z.string(),
  onHand: z.number().int(),
  held: z.number().int(),
  sold: z.number().int(),
  available: z.number().int(),
  maxPerCustomer: z.number().int().nullable(),
  version: z.number().int(),
  updatedAt: z.number().int(),
});

const RebuildAnswer = z
  .object({
    sku: z.string(),
    dryRun: z.boolean(),
    current: z.object({
      initialized: z.boolean(),
      onHand: z.number().int(),
      held: z.number().int(),
      sold: z.number().int(),
      maxPerCustomer: z.number().int().nullable(),
      version: z.number().int().openapi({ description: 'Pass it as expectVersion to rebuild.' }),
      lastSeq: z.number().int(),
      activeHolds: z.number().int(),
      soldHolds: z.number().int(),
    }),
    plan: z.object({
      sku: z.string(),
      onHand: z.number().int(),
      held: z.number().int(),
      sold: z.number().int(),
      maxPerCustomer: z.number().int().nullable(),
      holds: z.number().int().openapi({ description: 'Holds rebuilt (active ones of open orders, sold ones).' }),
      restocks: z.number().int(),
      versionFloor: z.number().int(),
      seqFloor: z.number().int(),
      sources: z.object({ onHand: z.string(), held: z.string(), sold: z.string() }),
      onHandRaisedBy: z.number().int().openapi({ description: 'With force: units on hand was raised by.' }),
    }),
    diff: z.array(z.object({ field: z.string(), from: z.number().int().nullable(), to: z.number().int().nullable() })),
    levels: Levels.optional().openapi({ description: 'After a rebuild: the new levels.' }),
  })
  .openapi('StockRebuild');

adminDurableRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/inventory/{sku}/rebuild',
    tags: ['Ops'],
    summary: "Rebuild a SKU's InventoryDO from Postgres (admin role); a dry run by default",
    description:
      'On hand from the stock ledger copy or the levels copy, held from open orders, sold from paid orders less ' +
      'restocks; the holds are rebuilt too. `dryRun` (default true) answers the plan and its diff. A rebuild ' +
      '(`dryRun: false`) needs `expectVersion` from the dry run and is audited (`stock.rebuild`).',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: {
      params: InventorySku,
      body: { required: false, ...json(RebuildStockBody, { dryRun: false, expectVersion: 12 }) },
    },
    responses: {
      200: { description: 'The plan and its diff (and, after a rebuild, the new levels)', ...json(RebuildAnswer) },
      ...bodyFailures,
      ...adminOnly,
      404: failure('No variant is sold under this SKU'),
      409: failure(
        'Postgres has more held + sold than on hand (REBUILD_OVERSELLS: rebuild with force), or the object ' +
          'changed since the dry run (REBUILD_STALE)',
      ),
    },
  }),
  async (c) => {
    const answer = unwrapAnswer(
      await traced(c.env.ADMIN).rebuildStock(actorOf(c), c.req.valid('param').sku, c.req.valid('json') ?? {}),
    );
    return c.json(answer as never, 200, { 'cache-control': 'no-store' });
  },
);

adminDurableRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/shoppers/{subject}/orders/rebuild',
    tags: ['Ops'],
    summary: "Rebuild a shopper's OrdersDO from Postgres' order copies (admin role); a dry run by default",
    description:
      'Each order Postgres has of the shopper that the object lacks, or keeps at an older version, is written ' +
      'from its copy (lines, totals, payment, status history; refund records and fulfilment are not in Postgres); ' +
      "an order the object has at the copy's version or newer is kept, never overwritten. Run again, it restores " +
      'nothing. `dryRun` (default true) answers the plan; a rebuild (`dryRun: false`) is audited (`orders.rebuild`).',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: {
      params: ShopperSubject,
      body: { required: false, ...json(RebuildOrdersBody, { dryRun: false }) },
    },
    responses: {
      200: { description: 'The plan (and, after a rebuild, what was done)', ...json(RebuildOrdersAnswer) },
      ...bodyFailures,
      ...adminOnly,
      404: failure('Postgres has no order of this shopper'),
    },
  }),
  async (c) => {
    const answer = unwrapAnswer(
      await traced(c.env.ADMIN).rebuildOrders(actorOf(c), c.req.valid('param').subject, c.req.valid('json') ?? {}),
    );
    return c.json(answer as never, 200, { 'cache-control': 'no-store' });
  },
);

adminDurableRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/inventory-verify',
    tags: ['Ops'],
    summary: "Check InventoryDOs' levels against Postgres' copies, a page of SKUs at a time (admin role)",
    security: bearer,
    request: { query: StockVerifyQuery },
    responses: {
      200: { description: 'The differences in this page of SKUs', ...json(StockVerifyPage) },
      400: failure('Invalid query'),
      ...adminOnly,
    },
  }),
  async (c) => {
    const page = unwrapAnswer(await traced(c.env.ADMIN).verifyStock(actorOf(c), c.req.valid('query')));
    return c.json(page as never, 200, { 'cache-control': 'no-store' });
  },
);

adminDurableRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/durable-objects/exports',
    tags: ['Ops'],
    summary: "Export the Durable Objects' state to R2 (admin role): the first page",
    description:
      'InventoryDO levels, active holds and ledger; OrdersDO orders; CartDO carts, as newline-delimited JSON in ' +
      'R2, one file per page of objects. The objects are the ones Postgres knows (SKUs, shoppers with orders, ' +
      'customers and live guests). Send `cursor` to `…/{id}/pages` until `done`; the last call writes the manifest.',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { body: { required: false, ...json(DoExportStart, { kinds: ['inventory'], pageSize: 50 }) } },
    responses: {
      200: { description: 'The first page written, and the cursor of the next', ...json(DoExportProgress) },
      ...bodyFailures,
      ...adminOnly,
    },
  }),
  async (c) => {
    const progress = unwrapAnswer(await traced(c.env.ADMIN).startDoExport(actorOf(c), c.req.valid('json') ?? {}));
    return c.json(progress as never, 200, { 'cache-control': 'no-store' });
  },
);

adminDurableRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/durable-objects/exports/{id}/pages',
    tags: ['Ops'],
    summary: 'Export the next page of an export (admin role); the last one writes the manifest',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { params: DoExportId, body: { required: true, ...json(DoExportContinue) } },
    responses: {
      200: { description: 'The page written, and the cursor of the next', ...json(DoExportProgress) },
      ...bodyFailures,
      ...adminOnly,
      404: failure('No such export'),
    },
  }),
  async (c) => {
    const progress = unwrapAnswer(
      await traced(c.env.ADMIN).continueDoExport(actorOf(c), c.req.valid('param').id, c.req.valid('json')),
    );
    return c.json(progress as never, 200, { 'cache-control': 'no-store' });
  },
);

adminDurableRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/durable-objects/exports/{id}',
    tags: ['Ops'],
    summary: "A finished export's manifest: files with their SHA-256, counts, time, catalog generation (admin role)",
    security: bearer,
    request: { params: DoExportId },
    responses: {
      200: { description: 'The manifest', ...json(DoExportManifest) },
      400: failure('Invalid export id'),
      ...adminOnly,
      404: failure('No such export, or not finished'),
    },
  }),
  async (c) => {
    const manifest = unwrapAnswer(await traced(c.env.ADMIN).doExportManifest(actorOf(c), c.req.valid('param').id));
    return c.json(manifest as never, 200, { 'cache-control': 'no-store' });
  },
);

adminDurableRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/durable-objects/exports/{id}/files/{kind}/{part}',
    tags: ['Ops'],
    summary: 'One file of an export, as stored in R2 (admin role)',
    security: bearer,
    request: { params: DoExportFile },
    responses: {
      200: {
        description: 'Newline-delimited JSON: one object per line (`x-content-sha256`: its SHA-256 when written)',
        content: { 'application/x-ndjson': { schema: z.string() } },
      },
      400: failure('Invalid export id, kind or part'),
      ...adminOnly,
      404: failure('No such file'),
    },
  }),
  async (c) => {
    const file = unwrap(await traced(c.env.ADMIN).doExportFile(actorOf(c), c.req.valid('param')));
    return new Response(file.text, {
      headers: {
        'content-type': 'application/x-ndjson',
        'cache-control': 'no-store',
        ...(file.sha256 ? { 'x-content-sha256': file.sha256 } : {}),
      },
    }) as never;
  },
);
