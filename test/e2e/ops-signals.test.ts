// Ops signals against the real stack: with Postgres stopped, /health answers 503 naming it, and after failing
// traffic the catalog's Postgres breaker shows open at /v1/admin/ops/breakers; with Postgres back, health is 200
// and the breaker closes (its transitions recorded, as the catalog's isolate pushed them to MetricsDO `breakers`).
// The ops route is for the admin role only.
import { afterAll, describe, expect, it } from 'vitest';
import { stripeControl } from './checkout-helpers';
import { client, devAccountToken, eventually, uniqueWord } from './helpers';
import { pgControl } from './pg-control';

type Breakers = NonNullable<Awaited<ReturnType<typeof breakers>>['data']>;
const breakers = async () => client(await devAccountToken('admin')).GET('/v1/admin/ops/breakers');
const catalogPostgres = (b: Breakers) => b.breakers.find((x) => x.worker === 'catalog' && x.name === 'postgres');

describe('ops signals: health and breakers', () => {
  afterAll(async () => {
    await stripeControl('resume');
    await pgControl('startAll');
  });

  it('serves breakers to admins only', async () => {
    expect((await client().GET('/v1/admin/ops/breakers')).response.status).toBe(401);
    const merchant = client(await devAccountToken('merchant'));
    expect((await merchant.GET('/v1/admin/ops/breakers')).response.status).toBe(403);
    const res = await breakers();
    expect(res.response.status).toBe(200);
    // Pushed by the isolates themselves (the route runs no health check): the stale bound is part of the answer.
    expect(res.data!.staleAfterSeconds).toBe(120);
    expect(Array.isArray(res.data!.breakers)).toBe(true);
  });

  it('answers liveness without calling a dependency, and readiness with every check timed', async () => {
    const live = await client().GET('/health/live');
    expect(live.response.status).toBe(200);
    const ready = await client().GET('/health');
    expect(ready.response.status).toBe(200);
    for (const name of ['postgresPrimary', 'postgresReplica', 'kv', 'cartObjects', 'ordersObjects', 'stripe']) {
      expect(ready.data?.checks[name]?.status, name).toBe('ok');
      expect(ready.data?.checks[name]?.latencyMs, name).toBeGreaterThanOrEqual(0);
    }
    // The orders Queue's backlog as the objects see it: order copies not yet confirmed, a count.
    expect(ready.data?.checks.ordersBacklog).toMatchObject({ status: 'ok', value: expect.any(Number) });
    // The dead letters waiting are the queue's own store's (the same count the admin API gives), not a probe's.
    const letters = await client(await devAccountToken('admin')).GET('/v1/admin/dead-letters');
    expect(ready.data?.checks.deadLetters?.value).toBe(letters.data!.waiting);
  });

  it('answers within its bound while Stripe hangs: stripe down, degraded, still ready (200)', async () => {
    await stripeControl('hang');
    try {
      const started = Date.now();
      const r = await client().GET('/health');
      const ms = Date.now() - started;
      expect(r.response.status).toBe(200);
      expect(r.data?.status).toBe('degraded');
      expect(r.data?.failing).toEqual(['stripe']);
      expect(r.data?.checks.stripe).toMatchObject({ status: 'down', required: false });
      // The probe's deadline (2 s), not Stripe's, bounds the answer.
      expect(r.data!.checks.stripe!.latencyMs).toBeGreaterThanOrEqual(1900);
      expect(ms).toBeLessThan(4000);
    } finally {
      await stripeControl('resume');
    }
    await eventually('stripe up again', async () => (await client().GET('/health')).data?.status === 'ok', 10_000, 200);
  });

  it('names Postgres on /health and opens its breaker while it is down; both recover when it returns', async () => {
    await pgControl('stopAll');
    const started = Date.now();
    const down = await client().GET('/health');
    expect(Date.now() - started).toBeLessThan(4000);
    expect(down.response.status).toBe(503);
    expect(down.error?.failing).toContain('postgresPrimary');
    expect(down.error?.checks.postgresPrimary?.required).toBe(true);

    // Catalog misses fail against Postgres until the breaker opens (3 failures in a row).
    await eventually(
      'the catalog postgres breaker opens',
      async () => {
        await client().GET('/v1/products', { params: { query: { q: uniqueWord() } } });
        const b = (await breakers()).data!;
        return (
          catalogPostgres(b)?.state === 'open' && b.open.some((o) => o.worker === 'catalog' && o.name === 'postgres')
        );
      },
      20_000,
      100,
    );
    const open = catalogPostgres((await breakers()).data!)!;
    expect(open.transitions.at(-1)).toMatchObject({ from: 'closed', to: 'open' });
    expect(open.retryAt).toBeDefined();

    await pgControl('startAll');
    await eventually('health recovers', async () => (await client().GET('/health')).response.status === 200, 20_000);
    await eventually(
      'the breaker closes',
      async () => {
        await client().GET('/v1/products', { params: { query: { q: uniqueWord() } } });
        return catalogPostgres((await breakers()).data!)?.state === 'closed';
      },
      20_000,
      200,
    );
    const closed = catalogPostgres((await breakers()).data!)!;
    const moves = closed.transitions.map((t) => `${t.from}>${t.to}`);
    expect(moves.slice(-2)).toEqual(['open>half-open', 'half-open>closed']);
  });
});
