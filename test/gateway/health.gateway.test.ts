// /health inside workerd with stand-in workers: required vs not-required checks, the merge of a dependency several
// workers check, and the bound on the answer when a worker hangs.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { app } from '../../workers/gateway/src/app';

type Check = { status: 'ok' | 'down'; latencyMs: number; required: boolean; value?: number };
type Report = { status: string; failing: string[]; checks: Record<string, Check> };

const ok = (required = true): Check => ({ status: 'ok', latencyMs: 1, required });
const down = (required = true): Check => ({ status: 'down', latencyMs: 5, required });
const worker = (checks: Record<string, Check>) => ({
  health: async () => ({ checks, breakers: [], isolate: 'stand-in', isolateStartedAt: new Date().toISOString() }),
});
let secrets: Record<string, string>;

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  secrets = {
    DATABASE_URL: 'postgres://storefront@127.0.0.1:1/storefront',
    JWT_SIGNING_KEY: JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'health-test' }),
    RATE_LIMIT_BACKEND: 'off',
  };
});
afterEach(() => vi.restoreAllMocks());

async function health(workers: Record<string, unknown>): Promise<{ status: number; ms: number; body: Report }> {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  const started = Date.now();
  const res = await app.fetch(
    new Request('https://storefront.test/health'),
    { ...env, ...secrets, ...workers },
    createExecutionContext(),
  );
  return { status: res.status, ms: Date.now() - started, body: (await res.json()) as Report };
}

const healthy = {
  CATALOG: worker({ postgresPrimary: ok(), postgresReplica: ok(false), kv: ok() }),
  ADMIN: worker({ postgresPrimary: ok(), kv: ok() }),
  CART: worker({ cartObjects: ok() }),
  CHECKOUT: worker({ ordersObjects: ok(), deadLetters: { ...ok(), value: 2 }, postgresPrimary: ok(false) }),
  STOREFRONT: worker({ assets: ok() }),
};

describe('GET /health', () => {
  it('is ok with every check passed, and keeps the figures the checks read', async () => {
    const r = await health(healthy);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', failing: [] });
    expect(r.body.checks.deadLetters!.value).toBe(2);
    expect(r.body.checks.postgresPrimary!.required).toBe(true); // required by the catalog, not by checkout
  });

  it('is degraded (200) when only a check that is not required fails', async () => {
    const r = await health({ ...healthy, CATALOG: worker({ postgresPrimary: ok(), postgresReplica: down(false) }) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'degraded', failing: ['postgresReplica'] });
  });

  it('is degraded (200), not down, when the storefront worker (static files only) does not answer', async () => {
    const gone = { health: () => Promise.reject(new Error('storefront gone')) };
    const r = await health({ ...healthy, STOREFRONT: gone });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'degraded', failing: ['storefront'] });
  });

  it('is down (503) naming the dependency when a required one fails, even if one worker saw it up', async () => {
    const r = await health({
      ...healthy,
      CHECKOUT: worker({ ordersObjects: ok(), postgresPrimary: down(false) }),
      ADMIN: worker({ postgresPrimary: down(), kv: ok() }),
    });
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('down');
    expect(r.body.failing).toEqual(['postgresPrimary']);
  });

  it('answers within its bound when a worker hangs, naming that worker', async () => {
    const r = await health({ ...healthy, CART: { health: () => new Promise(() => {}) } });
    expect(r.status).toBe(503);
    expect(r.body.failing).toEqual(['cart']);
    expect(r.ms).toBeLessThan(3500);
  });

  it('computes one report at a time and reuses a finished one for HEALTH_CACHE_MS (a flood reaches no dependency)', async () => {
    let calls = 0;
    const counted = {
      ...healthy,
      CART: {
        health: async () => {
          calls++;
          return worker({ cartObjects: ok() }).health();
        },
      },
    };
    // One env object, as in production (the report is kept per isolate and env).
    const call = async (e: object) =>
      (await app.fetch(new Request('https://storefront.test/health'), e, createExecutionContext())).status;
    const noReuse = { ...env, ...secrets, ...counted, HEALTH_CACHE_MS: '0' };
    // Concurrent requests share the report being computed, even with no reuse after it is done.
    expect(await Promise.all(Array.from({ length: 10 }, () => call(noReuse)))).toEqual(Array(10).fill(200));
    expect(calls).toBe(1);
    expect(await call(noReuse)).toBe(200);
    expect(calls).toBe(2);
    // A finished report answers again within HEALTH_CACHE_MS.
    const reuse = { ...noReuse, HEALTH_CACHE_MS: '60000' };
    expect([await call(reuse), await call(reuse)]).toEqual([200, 200]);
    expect(calls).toBe(3);
  });

  it('has a liveness route that calls no worker', async () => {
    const never = { health: () => Promise.reject(new Error('must not be called')) };
    const res = await app.fetch(
      new Request('https://storefront.test/health/live'),
      { ...env, CATALOG: never, ADMIN: never, CART: never, CHECKOUT: never, STOREFRONT: never },
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /health behind the edge limiter', () => {
  it('counts readiness per address (refused once the counter says so); liveness stays free', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const counted: string[] = [];
    const refusing = {
      limit: async ({ key }: { key: string }) => {
        counted.push(key);
        return { success: false };
      },
    };
    const bindings = {
      ...env,
      ...secrets,
      ...healthy,
      RATE_LIMIT_BACKEND: 'durable-object',
      EDGE_LIMIT_ADDRESS: refusing,
    };
    const get = async (path: string) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(`https://storefront.test${path}`, { headers: { 'cf-connecting-ip': '203.0.113.77' } }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    await get('/health');
    expect(counted).toEqual(['ip:203.0.113.77']);
    const refused = await get('/health');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    const live = await get('/health/live');
    expect(live.status).toBe(200);
    expect(counted).toHaveLength(1);
  });
});
