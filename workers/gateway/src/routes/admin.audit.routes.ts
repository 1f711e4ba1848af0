// GET /v1/admin/audit: the audit log of merchant and admin writes (roles merchant and admin), newest first.
import { createRoute } from '@hono/zod-openapi';
import { AuditPageSchema, AuditQuery } from '../../../../lib/admin/audit.schemas';
import { unwrapAnswer } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { actorOf } from '../auth/actor';
import { requireRole } from '../auth/authenticate';
import { bearer, failure, json } from './openapi';
import { router } from './router';

export const adminAuditRoutes = router();
adminAuditRoutes.use('*', requireRole('merchant'));

adminAuditRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/audit',
    tags: ['Merchant'],
    summary: 'Who changed what: every merchant and admin write, newest first',
    description:
      'One entry per write: actor (id, email, role), action, target, the target before and after, outcome, ' +
      'request id, client address and time. Filters combine; pages are keyset cursors (`nextCursor`).',
    security: bearer,
    request: { query: AuditQuery },
    responses: {
      200: { description: 'A page of entries', ...json(AuditPageSchema) },
      400: failure('Invalid filter or cursor (the message names each bad parameter)'),
      401: failure('No token'),
      403: failure('Below the merchant role'),
    },
  }),
  async (c) => {
    const page = unwrapAnswer(await traced(c.env.ADMIN).audit(actorOf(c), c.req.valid('query')));
    return c.json(page as never, 200, { 'cache-control': 'no-store' });
  },
);
