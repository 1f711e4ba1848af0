// GET /health (readiness: every dependency of every worker, each bounded in time; 503 naming what is down when a
// required one fails) and GET /health/live (liveness: the gateway answers, no dependency is called).
import { createRoute, z } from '@hono/zod-openapi';
import { healthReport } from '../health';
import { json } from './openapi';
import { router } from './router';

const Check = z.object({
  status: z.enum(['ok', 'down']),
  latencyMs: z.number().int(),
  required: z.boolean().openapi({ description: 'Down and required: the report is "down" (503)' }),
  value: z.number().optional().openapi({ description: 'A figure read on the way (deadLetters: letters waiting)' }),
});
const HealthReport = z
  .object({
    status: z.enum(['ok', 'degraded', 'down']).openapi({
      description: 'ok: every check passed; degraded (200): only checks not required failed; down (503)',
    }),
    failing: z.array(z.string()).openapi({ description: 'The checks that failed, by name' }),
    checks: z.record(z.string(), Check).openapi({
      description:
        'One per worker call (gateway, catalog, admin, cart, checkout, storefront) and per dependency they check: ' +
        'postgresPrimary, postgresReplica, kv, rateLimitStore, cartObjects, ordersObjects, inventoryObjects, ' +
        "ordersBacklog (order copies the orders consumer has not confirmed), deadLetters, stripe, and each worker's " +
        'settings.',
    }),
    latencyMs: z.number().int(),
  })
  .openapi('Health');
const healthExample = {
  status: 'ok',
  failing: [],
  checks: { catalog: { status: 'ok', latencyMs: 12, required: true } },
  latencyMs: 14,
};

export const healthRoutes = router();

healthRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['Service'],
    summary: 'Readiness: every dependency of every worker, with its latency',
    description:
      'All checks run at once, each bounded (2 s, 2.5 s for a worker call), so the answer comes within about ' +
      '3 s even when a dependency hangs.',
    responses: {
      200: { description: 'Everything required is up (status ok or degraded)', ...json(HealthReport, healthExample) },
      503: {
        description: 'A required dependency is down (named in `failing`)',
        ...json(HealthReport, {
          ...healthExample,
          status: 'down',
          failing: ['postgresPrimary'],
          checks: { postgresPrimary: { status: 'down', latencyMs: 1500, required: true } },
        }),
      },
    },
  }),
  async (c) => {
    const report = await healthReport(c.env);
    return c.json(report, report.status === 'down' ? 503 : 200, { 'cache-control': 'no-store' });
  },
);

healthRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/live',
    tags: ['Service'],
    summary: 'Liveness: the gateway answers (no dependency is called)',
    responses: { 200: { description: 'Alive', ...json(z.object({ status: z.literal('ok') }), { status: 'ok' }) } },
  }),
  (c) => c.json({ status: 'ok' as const }, 200, { 'cache-control': 'no-store' }),
);
