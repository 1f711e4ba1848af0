// GET /health: one check per dependency, each bounded in time; 503 when any is down. The gateway's own check
// is its settings: the vars (a bad one fails every request before this), the database and token secrets.
import { createRoute, z } from '@hono/zod-openapi';
import { authKeys } from '../../../../lib/auth/tokens';
import { dbSettings } from '../../../../lib/db/client';
import { withTimeout } from '../../../../lib/resilience';
import type { GatewayBindings } from '../types';
import { json } from './openapi';
import { router } from './router';

interface Check {
  status: 'ok' | 'down';
  latencyMs?: number;
}
const HEALTH_TIMEOUT_MS = 2500;

async function timed(name: string, fn: () => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  try {
    await withTimeout(fn(), HEALTH_TIMEOUT_MS, `${name} health check`);
    return { status: 'ok', latencyMs: Date.now() - started };
  } catch (err) {
    // The reason (e.g. a ConfigError naming a variable) goes to the log, not to the public answer.
    console.warn(JSON.stringify({ msg: 'health check failed', check: name, error: String(err) }));
    return { status: 'down', latencyMs: Date.now() - started };
  }
}

export async function healthReport(env: GatewayBindings) {
  const started = Date.now();
  let databases: Partial<Record<'postgresPrimary' | 'postgresReplica', Check>> = {};
  const [gateway, catalog, admin, cart, checkout] = await Promise.all([
    timed('gateway', async () => {
      dbSettings(env);
      await authKeys(env);
    }),
    timed('catalog', async () => {
      const { postgresPrimary, postgresReplica } = await env.CATALOG.health();
      databases = { postgresPrimary, postgresReplica };
    }),
    timed('admin', () => env.ADMIN.health()),
    timed('cart', () => env.CART.health()),
    timed('checkout', () => env.CHECKOUT.health()),
  ]);
  const checks: Record<string, Check> = {
    gateway,
    catalog,
    admin,
    cart,
    checkout,
    postgresPrimary: databases.postgresPrimary ?? { status: 'down' },
    postgresReplica: databases.postgresReplica ?? { status: 'down' },
  };
  const ok = Object.values(checks).every((c) => c.status === 'ok');
  return { status: ok ? ('ok' as const) : ('degraded' as const), checks, latencyMs: Date.now() - started };
}

const Check = z.object({
  status: z.enum(['ok', 'down']),
  latencyMs: z.number().int().optional(),
});
const HealthReport = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.record(z.string(), Check).openapi({
      description: 'One per dependency: gateway, catalog, admin, cart, checkout, postgresPrimary, postgresReplica.',
    }),
    latencyMs: z.number().int(),
  })
  .openapi('Health');
const healthExample = {
  status: 'ok',
  checks: { gateway: { status: 'ok' }, catalog: { status: 'ok', latencyMs: 12 } },
  latencyMs: 14,
};

export const healthRoutes = router().openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['Service'],
    summary: 'Health of the gateway and of every dependency',
    description:
      'Each check is bounded in time, so the answer comes within a few seconds even when a dependency hangs.',
    responses: {
      200: { description: 'Everything is up', ...json(HealthReport, healthExample) },
      503: {
        description: 'Something is down (the report names it)',
        ...json(HealthReport, {
          ...healthExample,
          status: 'degraded',
          checks: { postgresPrimary: { status: 'down' } },
        }),
      },
    },
  }),
  async (c) => {
    const report = await healthReport(c.env);
    return c.json(report, report.status === 'ok' ? 200 : 503, { 'cache-control': 'no-store' });
  },
);
