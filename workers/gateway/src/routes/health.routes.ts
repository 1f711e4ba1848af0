// GET /health: one check per dependency, each bounded in time; 503 when any is down. The gateway's own check
// is its settings: the vars (a bad one fails every request before this), the database and token secrets.
import { Hono } from 'hono';
import { authKeys } from '../../../../lib/auth/tokens';
import { dbSettings } from '../../../../lib/db/client';
import { withTimeout } from '../../../../lib/resilience';
import type { GatewayApp, GatewayBindings } from '../types';

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

export const healthRoutes = new Hono<GatewayApp>().get('/', async (c) => {
  const report = await healthReport(c.env);
  return c.json(report, report.status === 'ok' ? 200 : 503, { 'cache-control': 'no-store' });
});
