// Archival's routes (docs/runbook.md#archival): a run now (admin role; the gateway's daily Cron Trigger runs the
// same), and the archived batches with their manifests (merchants). Archived orders stay readable through
// GET /v1/admin/orders/{id} (admin.orders.routes.ts), marked `archived: true`.
import { createRoute } from '@hono/zod-openapi';
import { ArchiveBatchList, ArchiveBatchQuery, ArchiveRun } from '../../../../lib/admin/archive.schemas';
import { unwrapAnswer } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { actorOf } from '../auth/actor';
import { requireRole } from '../auth/authenticate';
import { bearer, failure, json } from './openapi';
import { router } from './router';

export const adminArchiveRoutes = router();
adminArchiveRoutes.use('/archive/batches', requireRole('merchant'));
adminArchiveRoutes.use('/archive/runs', requireRole('admin'));

const noStore = { 'cache-control': 'private, no-store' };

adminArchiveRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/archive/runs',
    tags: ['Ops'],
    summary: 'Archive settled old orders and old stock events to R2 now (admin role): one bounded run',
    description:
      'Refunded orders created more than `ARCHIVE_AFTER_DAYS` ago, with their lines, payment and events, and the ' +
      'stock events made before the same cutoff, move from the hot tables to gzip NDJSON objects in R2, one object ' +
      'and one manifest per batch, deleted from Postgres only once the object is read back and verified. A run is ' +
      'bounded (`ARCHIVE_BATCH_SIZE`, `ARCHIVE_TIME_BUDGET_MS`); `more` says whether rows were left for the next. ' +
      'Safe to repeat and to interrupt: a run finishes what an interrupted one left, and moves nothing twice.',
    security: bearer,
    responses: {
      200: { description: 'What this run moved', ...json(ArchiveRun) },
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => {
    const run = unwrapAnswer(await traced(c.env.ADMIN).archiveRun(actorOf(c)));
    return c.json(run as never, 200, noStore);
  },
);

adminArchiveRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/archive/batches',
    tags: ['Merchant'],
    summary: 'The archived batches, newest first, each with its manifest (row counts, SHA-256, time range)',
    security: bearer,
    request: { query: ArchiveBatchQuery },
    responses: {
      200: { description: 'A page of batches', ...json(ArchiveBatchList) },
      400: failure('Invalid query or cursor'),
      401: failure('No token'),
      403: failure('Not the merchant role or above'),
    },
  }),
  async (c) => {
    const page = unwrapAnswer(await traced(c.env.ADMIN).archiveBatches(actorOf(c), c.req.valid('query')));
    return c.json(page as never, 200, noStore);
  },
);
