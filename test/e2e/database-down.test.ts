// With PostgreSQL stopped: cached and stale catalog answers still serve, everything else answers 503 with
// Retry-After quickly, /health names what is down; with it back, everything recovers without a restart.
import { afterAll, describe, expect, it } from 'vitest';
import { client, eventually, primary, uniqueWord } from './helpers';
import { pgControl } from './pg-control';

type ListQuery = { q?: string; category?: string; limit?: number; sort?: 'price_asc' | 'price_desc' };
const list = (query: ListQuery) => client().GET('/v1/products', { params: { query } });
const health = () => client().GET('/health');

/** A call's answer and how long it took. */
async function timed<T>(call: Promise<T>): Promise<T & { ms: number }> {
  const started = Date.now();
  const answer = await call;
  return { ...answer, ms: Date.now() - started };
}

describe('database down', () => {
  afterAll(async () => {
    await pgControl('startAll');
  });

  it('serves cached and stale answers, 503s the rest quickly, and recovers when Postgres returns', async () => {
    const cachedQuery: ListQuery = { q: 'linen', limit: 3 };
    const staleQuery: ListQuery = { category: 'home', limit: 4, sort: 'price_desc' };
    expect((await list(staleQuery)).response.status).toBe(200);
    await new Promise((r) => setTimeout(r, 3200)); // staleQuery is now past its fresh window
    expect((await list(cachedQuery)).response.status).toBe(200); // cachedQuery is fresh

    await pgControl('stopAll');
    const hit = await list(cachedQuery);
    expect(hit.response.status).toBe(200);
    expect(hit.response.headers.get('x-cache')).toBe('HIT');
    const stale = await list(staleQuery);
    expect(stale.response.status).toBe(200);
    expect(stale.response.headers.get('x-cache')).toBe('STALE');

    const miss = await timed(list({ q: uniqueWord() }));
    expect(miss.response.status).toBe(503);
    expect(miss.error?.error.code).toBe('DB_UNAVAILABLE');
    expect(Number(miss.response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(miss.ms).toBeLessThan(2000);
    const missingProduct = await timed(
      client().GET('/v1/products/{slug}', { params: { path: { slug: uniqueWord('gone') } } }),
    );
    expect(missingProduct.response.status).toBe(503);
    expect(missingProduct.ms).toBeLessThan(2000);

    const down = await timed(health());
    expect(down.response.status).toBe(503);
    expect(down.error?.checks.postgresPrimary?.status).toBe('down');
    expect(down.error?.checks.postgresReplica?.status).toBe('down');
    expect(down.error?.checks.gateway?.status).toBe('ok');
    expect(down.error?.status).toBe('down');
    expect(down.error?.failing).toContain('postgresPrimary');
    expect(down.ms).toBeLessThan(3000);

    await pgControl('startAll');
    await eventually('health recovers', async () => (await health()).response.status === 200, 15_000, 200);
    // The catalog's Postgres breaker opened on the misses above: fills are refused at once until its open time
    // (5 s, lib/db/breaker.ts) has passed, then one trial read closes it. So misses recover within that bound.
    const reopened = Date.now();
    const recovered = async () => (await list({ q: uniqueWord() })).response.status === 200;
    await eventually('cache misses recover', recovered, 10_000, 200);
    expect(Date.now() - reopened).toBeLessThan(8000);
  });

  it('keeps reading from the replica while only the primary is down', async () => {
    await pgControl('stopPrimary');
    try {
      const res = await list({ q: uniqueWord() });
      expect(res.response.status).toBe(200);
      const report = await health();
      expect(report.response.status).toBe(503);
      expect(report.error?.checks.postgresPrimary?.status).toBe('down');
      expect(report.error?.checks.postgresReplica?.status).toBe('ok');
    } finally {
      await pgControl('startAll');
    }
    expect(await primary('select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('falls back to the primary while only the replica is down', async () => {
    await pgControl('stopReplica');
    try {
      const res = await list({ q: uniqueWord() });
      expect(res.response.status).toBe(200);
      const boots = await list({ category: 'boots', limit: 3, sort: 'price_asc' });
      expect(boots.response.status).toBe(200);
      expect(boots.data?.items).toHaveLength(3);
      // The replica is not required (reads fall back to the primary): degraded, still ready.
      const report = await health();
      expect(report.response.status).toBe(200);
      expect(report.data?.status).toBe('degraded');
      expect(report.data?.failing).toEqual(['postgresReplica']);
      expect(report.data?.checks.postgresReplica?.status).toBe('down');
      expect(report.data?.checks.postgresPrimary?.status).toBe('ok');
    } finally {
      await pgControl('startAll');
    }
  });
});
