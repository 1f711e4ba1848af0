// Catalog internals, run inside workerd with the catalog's real bindings (Cache API, KV) and the test
// stack's real Postgres (through the local Neon proxy).
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { GENERATION_KEY, lsnToBigInt, publishGeneration } from '../../lib/catalog/generation';
import { AppError } from '../../lib/errors';
import { admitToShared, cachedJson } from '../../workers/catalog/src/cache';
import { decodeCursor, encodeCursor } from '../../workers/catalog/src/cursor';
import type { CatalogService } from '../../workers/catalog/src/index';
import { type RedisCalls, SharedTier, sharedKey } from '../../workers/catalog/src/shared';

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

  it('answers from an expired entry when a search is cut by its statement_timeout (SEARCH_TIMEOUT), else the 503', async () => {
    const k = key();
    const sieOnly = { freshSeconds: 0, swrSeconds: 0, staleIfErrorSeconds: 3600 };
    const ctx = createExecutionContext();
    await cachedJson(ctx, k, sieOnly, async () => '"kept search"');
    await waitOnExecutionContext(ctx);
    await new Promise((r) => setTimeout(r, 20));
    const timedOut = () => new AppError('SEARCH_TIMEOUT', 'The search took too long.', { retryAfter: 2 });
    const answer = await cachedJson(createExecutionContext(), k, sieOnly, async () => {
      throw timedOut();
    });
    expect(answer).toMatchObject({ cache: 'STALE', body: '"kept search"' });
    await expect(
      cachedJson(createExecutionContext(), key(), sieOnly, async () => {
        throw timedOut();
      }),
    ).rejects.toMatchObject({ code: 'SEARCH_TIMEOUT' });
  });
});

/** The shared tier on an in-memory Redis: what another location put there, what this one puts. */
function sharedOnMemory(timeoutMs = 200) {
  const kv = new Map<string, string>();
  const calls: RedisCalls = {
    get: async (k) => kv.get(k) ?? null,
    set: async (k, v) => void kv.set(k, v),
    addCounts: async () => {},
    top: async () => [],
  };
  return { kv, tier: new SharedTier(calls, { timeoutMs, ttlSeconds: 60, maxBytes: 64 * 1024 }) };
}

describe('cache: the shared tier', () => {
  const policy = { freshSeconds: 60, swrSeconds: 60, staleIfErrorSeconds: 3600 };

  it('answers a miss of this location from the shared tier, with Postgres away, and keeps it here', async () => {
    const k = key();
    const { kv, tier } = sharedOnMemory();
    // Another location loaded it a second ago.
    kv.set(sharedKey(k), JSON.stringify({ s: Date.now() - 1000, e: 'W/"other"', b: '{"from":"elsewhere"}' }));
    const ctx = createExecutionContext();
    const answer = await cachedJson(
      ctx,
      k,
      policy,
      async () => {
        throw outage();
      },
      tier,
    );
    expect(answer).toMatchObject({ cache: 'HIT', tier: 'shared', body: '{"from":"elsewhere"}', etag: 'W/"other"' });
    expect(answer.age).toBeGreaterThanOrEqual(1);
    await waitOnExecutionContext(ctx);
    kv.clear();
    // Now in this location's own tiers: no call to the shared tier, no load.
    const again = await cachedJson(
      createExecutionContext(),
      k,
      policy,
      async () => {
        throw outage();
      },
      tier,
    );
    expect(again).toMatchObject({ cache: 'HIT', tier: 'memory', body: '{"from":"elsewhere"}' });
  });

  it('puts what it loads from Postgres in the shared tier, for the other locations', async () => {
    const k = key();
    const { kv, tier } = sharedOnMemory();
    const ctx = createExecutionContext();
    const answer = await cachedJson(ctx, k, policy, async () => '{"loaded":1}', tier);
    expect(answer).toMatchObject({ cache: 'MISS', tier: 'origin' });
    await waitOnExecutionContext(ctx);
    const stored = JSON.parse(kv.get(sharedKey(k))!);
    expect(stored).toMatchObject({ b: '{"loaded":1}', e: answer.etag });
  });

  it('admits a search or a later page to the shared tier only on its second load here (one-off queries stay out)', () => {
    const search = `${key()}/v1/products?limit=24&q=zzqword`;
    const page = `${key()}/v1/products?cursor=abc&limit=24`;
    const plain = `${key()}/v1/products?limit=24&sort=newest`;
    expect([admitToShared(search), admitToShared(search), admitToShared(search)]).toEqual([false, true, false]);
    expect([admitToShared(page), admitToShared(page)]).toEqual([false, true]);
    expect([admitToShared(plain), admitToShared(plain)]).toEqual([true, true]);
  });

  it('reads on from Postgres when the shared tier hangs, within its deadline', async () => {
    const k = key();
    const hanging: RedisCalls = {
      get: () => new Promise(() => {}),
      set: () => new Promise(() => {}),
      addCounts: async () => {},
      top: async () => [],
    };
    const tier = new SharedTier(hanging, { timeoutMs: 50, ttlSeconds: 60, maxBytes: 1024 });
    const started = Date.now();
    const answer = await cachedJson(createExecutionContext(), k, policy, async () => '"from postgres"', tier);
    expect(answer).toMatchObject({ cache: 'MISS', tier: 'origin', body: '"from postgres"' });
    // The deadline is 50 ms; without it the read would never end (the test's timeout).
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refreshes a stale entry from the shared tier when another location has refreshed it', async () => {
    const k = key();
    const { kv, tier } = sharedOnMemory();
    const stale = { freshSeconds: 1, swrSeconds: 60, staleIfErrorSeconds: 0 };
    let loads = 0;
    const load = async () => JSON.stringify({ loads: ++loads });
    const first = createExecutionContext();
    await cachedJson(first, k, stale, load, tier);
    await waitOnExecutionContext(first);
    await new Promise((r) => setTimeout(r, 1100));
    kv.set(sharedKey(k), JSON.stringify({ s: Date.now(), e: 'W/"newer"', b: '{"refreshed":"elsewhere"}' }));
    const ctx = createExecutionContext();
    expect(await cachedJson(ctx, k, stale, load, tier)).toMatchObject({ cache: 'STALE', body: '{"loads":1}' });
    await waitOnExecutionContext(ctx);
    expect(await cachedJson(createExecutionContext(), k, stale, load, tier)).toMatchObject({
      cache: 'HIT',
      body: '{"refreshed":"elsewhere"}',
    });
    expect(loads).toBe(1);
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
