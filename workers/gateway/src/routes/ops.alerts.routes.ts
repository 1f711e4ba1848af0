// GET /v1/admin/ops/alerts (admin role only: 401 without a token, 403 below admin): every alert rule with its state
// (ok, or firing since when), last value and threshold, and the recent notifications with their delivery. The rules,
// their thresholds and the webhook: docs/operations.md#alerts.
import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../auth/authenticate';
import { alertsReport } from '../ops/alerts.service';
import { bearer, failure, json } from './openapi';
import { router } from './router';

const RuleState = z
  .object({
    rule: z.string().openapi({ description: 'e.g. error-rate, burn-fast:checkout-accepted:availability' }),
    summary: z.string(),
    status: z.enum(['ok', 'firing']),
    since: z.string().nullable().openapi({ description: 'When it entered its status' }),
    lastValue: z.number().nullable().openapi({ description: 'null: its signal could not be read (state kept)' }),
    threshold: z.number(),
    detail: z.string().nullable(),
    evaluatedAt: z.string(),
    notifiedAt: z.string().nullable(),
  })
  .openapi('AlertRuleState');

const AlertEvent = z
  .object({
    id: z.number().int(),
    rule: z.string(),
    kind: z.enum(['firing', 'reminder', 'resolved']),
    at: z.string(),
    since: z.string().nullable(),
    summary: z.string(),
    value: z.number().nullable(),
    threshold: z.number(),
    detail: z.string().nullable(),
    delivery: z.enum(['pending', 'sent', 'failed', 'expired', 'unsent']).openapi({
      description:
        'unsent: no webhook configured; failed: out of attempts; expired: still undelivered ' +
        'ALERT_DELIVERY_MAX_AGE_MINUTES after it was recorded',
    }),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
  })
  .openapi('AlertEvent');

const AlertsReport = z
  .object({
    evaluatedAt: z.string().nullable(),
    evaluations: z.number().int(),
    webhook: z.object({ configured: z.boolean() }),
    rules: z.array(RuleState),
    history: z.array(AlertEvent).openapi({ description: 'Newest first' }),
  })
  .openapi('AlertsReport');

export const opsAlertsRoutes = router();
opsAlertsRoutes.use('*', requireRole('admin'));

opsAlertsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/alerts',
    tags: ['Ops'],
    summary: 'Alert rules with their state, and the recent notifications (admin role)',
    description: 'Rules are evaluated every minute (Cron Trigger). `limit` bounds the history (1–500, default 50).',
    security: bearer,
    request: {
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict(),
    },
    responses: {
      200: { description: 'Every rule and the latest notifications', ...json(AlertsReport) },
      400: failure('Invalid limit'),
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => c.json(await alertsReport(c.env, c.req.valid('query').limit), 200, { 'cache-control': 'no-store' }),
);
