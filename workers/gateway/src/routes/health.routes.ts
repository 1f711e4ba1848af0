// GET /health: one check per dependency, each bounded in time; 503 when any is down.
import { Hono } from 'hono';
import type { GatewayApp, GatewayBindings } from '../types';

interface Check {
  status: 'ok' | 'down';
  latencyMs?: number;
}
const HEALTH_TIMEOUT_MS = 2500;

async function timed(fn: () => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('health check timed out')), HEALTH_TIMEOUT_MS);
      }),
    ]);
    return { status: 'ok', latencyMs: Date.now() - started };
  } catch (err) {
    console.warn(JSON.stringify({ msg: 'health check failed', error: String(err) }));
    return { status: 'down', latencyMs: Date.now() - started };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export async function healthReport(env: GatewayBindings) {
  const started = Date.now();
  let databases: Partial<Record<'postgresPrimary' | 'postgresReplica', Check>> = {};
  const [catalog, admin, cart, checkout] = await Promise.all([
    timed(async () => {
      const { postgresPrimary, postgresReplica } = await env.CATALOG.health();
      databases = { postgresPrimary, postgresReplica };
    }),
    timed(() => env.ADMIN.health()),
    timed(() => env.CART.health()),
    timed(() => env.CHECKOUT.health()),
  ]);
  const checks: Record<string, Check> = {
    gateway: { status: 'ok' },
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
