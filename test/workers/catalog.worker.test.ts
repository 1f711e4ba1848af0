// Catalog internals, run inside workerd with the catalog's real bindings (Cache API, KV) and the test
// stack's real Postgres (through the local Neon proxy).
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { GENERATION_KEY, lsnToBigInt, publishGeneration } from '../../lib/catalog/generation';
import { AppError } from '../../lib/errors';
import { cachedJson } from '../../workers/catalog/src/cache';
import { decodeCursor, encodeCursor } from '../../workers/catalog/src/cursor';
import type { CatalogService } from '../../workers/catalog/src/index';

const catalog = (exports as unknown as { CatalogService: Service<CatalogService> }).CatalogService;
let n = 0;
const key = () => `https://catalog.cache/test/${Date.now()}-${n++}`;
const outage = () => Object.assign(new Error('fetch failed'), { name: 'TypeError' });

describe('cursor', () => {
  it('round-trips and refuses a cursor from another sort or filter', () => {
    const c = encodeCursor({
      sort: 'price_asc',
      key: [1299, '2e38e2d8-2779-42c6-9d20-4431a2270000'],
      filter: '["",""]',
    });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c, { sort: 'price_asc', filter: '["",""]' }).key).toEqual([
      1299,
      '2e38e2d8-2779-42c6-9d20-4431a2270000',
    ]);
    expect(() => decodeCursor(c, { sort: 'newest', filter: '["",""]' })).toThrow(AppError);
    expect(() => decodeCursor(c, { sort: 'price_asc', filter: '["x",""]' })).toThrow(/another search/);
    const forged = encodeCursor({
      sort: 'price_asc',
      key: ['1 or 1=1' as unknown as number, 'not-a-uuid'],
      filter: '["",""]',
    });
    expect(() => decodeCursor(forged, { sort: 'price_asc', filter: '["",""]' })).toThrow(/wrong key/);
  });
});

describe('cache', () => {
  const policy = { freshSeconds: 60, swrSeconds: 60, staleIfErrorSeconds: 3600 };

  it('misses, then hits without calling the loader', async () => {
    const k = key();
    let loads = 0;
    const load = async () => JSON.stringify({ loads: ++loads });
    const ctx = createExecutionContext();
    expect(await cachedJson(ctx, k, policy, load)).toMatchObject({ cache: 'MISS', body: '{"loads":1}' });
    await waitOnExecutionContext(ctx);
    expect(await cachedJson(createExecutionContext(), k, policy, load)).toMatchObject({
      cache: 'HIT',
      body: '{"loads":1}',
    });
    expect(loads).toBe(1);
  });

  it('serves stale past the fresh window and refreshes once in the background', async () => {
    const k = key();
    let loads = 0;
    const load = async () => JSON.stringify({ loads: ++loads });
    const stalePolicy = { freshSeconds: 0, swrSeconds: 60, staleIfErrorSeconds: 0 };
    const first = createExecutionContext();
    await cachedJson(first, k, stalePolicy, load);
    await waitOnExecutionContext(first);
    await new Promise((r) => setTimeout(r, 20));
    const ctxs = [createExecutionContext(), createExecutionContext(), createExecutionContext()];
    const answers = await Promise.all(ctxs.map((ctx) => cachedJson(ctx, k, stalePolicy, load)));
    expect(answers.map((a) => a.cache)).toEqual(['STALE', 'STALE', 'STALE']);
    await Promise.all(ctxs.map((ctx) => waitOnExecutionContext(ctx)));
    expect(loads).toBe(2); // one refresh for three stale answers
  });

  it('answers from an expired entry while the database is away, and 503-class errors pass through otherwise', async () => {
    const k = key();
    const sieOnly = { freshSeconds: 0, swrSeconds: 0, staleIfErrorSeconds: 3600 };
    const ctx = createExecutionContext();
    await cachedJson(ctx, k, sieOnly, async () => '"kept"');
    await waitOnExecutionContext(ctx);
    await new Promise((r) => setTimeout(r, 20));
    const answer = await cachedJson(createExecutionContext(), k, sieOnly, async () => {
      throw outage();
    });
    expect(answer).toMatchObject({ cache: 'STALE', body: '"kept"' });
    // A bug is not hidden behind stale data...
    await expect(
      cachedJson(createExecutionContext(), k, sieOnly, async () => {
        throw new Error('column does not exist');
      }),
    ).rejects.toThrow('column does not exist');
    // ...and with nothing cached, the outage surfaces.
    await expect(
      cachedJson(createExecutionContext(), key(), sieOnly, async () => {
        throw outage();
      }),
    ).rejects.toThrow('fetch failed');
  });
});

describe('generation', () => {
  it('only moves forward', async () => {
    await env.CATALOG_META.delete(GENERATION_KEY);
    expect(await publishGeneration(env.CATALOG_META, '0/5000')).toBe('0/5000');
    expect(await publishGeneration(env.CATALOG_META, '0/4000')).toBe('0/5000');
    expect(await publishGeneration(env.CATALOG_META, '1/0')).toBe('1/0');
    expect(lsnToBigInt('1/0')).toBeGreaterThan(lsnToBigInt('0/FFFFFFFF'));
    expect(() => lsnToBigInt('nonsense')).toThrow();
  });
});

describe('CatalogService over RPC, against the real replica', () => {
  it('answers a list, validates its input, and reports unknown products', async () => {
    const ok = await catalog.listProducts({ q: 'wool', limit: 3 });
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    const body = JSON.parse(ok.body);
    expect(body.items).toHaveLength(3);
    expect(['MISS', 'HIT']).toContain(ok.cache);

    const bad = await catalog.listProducts({ limit: 1000, extra: true });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });

    const missing = await catalog.getProduct('definitely-not-a-product');
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('reports both databases healthy', async () => {
    const health = await catalog.health();
    expect(health.checks.postgresPrimary!.status).toBe('ok');
    expect(health.checks.postgresReplica!.status).toBe('ok');
    expect(health.checks.kv!.status).toBe('ok');
    expect(health.checks.postgresPrimary!.latencyMs).toBeGreaterThanOrEqual(0);
  });
});
