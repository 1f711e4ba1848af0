// The catalog cache's shared tier (Upstash Redis through the local bridge): what a location loads from Postgres is put
// there under its generation; a location's miss is answered from it, Postgres stopped or not; after a merchant write
// the hot entries are warmed before any shopper asks; and Redis stopped never fails a read. Serial: it stops Postgres
// and Redis, makes merchant writes whose warming it watches, and counts on no other write between.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { SharedTier, upstashCalls } from '../../workers/catalog/src/shared';
import { api, client, eventually, insertProduct, merchantToken, ok, postJson, uniqueWord } from './helpers';
import { pgControl } from './pg-control';
import { workerLogLines } from './worker-log';

/** One command through the Upstash bridge, as the catalog's client sends it. */
async function redis<T = unknown>(...command: (string | number)[]): Promise<T> {
  const res = await fetch(inject('upstashUrl'), {
    method: 'POST',
    headers: { authorization: `Bearer ${inject('upstashToken')}` },
    body: JSON.stringify(command),
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await res.json()) as { result?: T; error?: string };
  if (!res.ok) throw new Error(`redis ${command[0]}: ${res.status} ${body.error}`);
  return body.result as T;
}

/** The Redis key of a catalog answer (workers/catalog/src/shared.ts sharedKey). */
const sharedKey = (generation: string, path: string) => `storefront:catalog:${generation}${path}`;
const product = (slug: string) => api(`/v1/products/${slug}`);

/** What this file stopped and has not started again (the afterAll starts those, and only those). */
const stopped = new Set<'postgres' | 'redis'>();
async function stop(what: 'postgres' | 'redis') {
  stopped.add(what);
  await pgControl(what === 'postgres' ? 'stopAll' : 'stopRedis');
}
async function start(what: 'postgres' | 'redis') {
  await pgControl(what === 'postgres' ? 'startAll' : 'startRedis');
  stopped.delete(what);
}

describe('the shared cache tier', () => {
  afterAll(async () => {
    for (const what of [...stopped]) await start(what);
  });

  it('keeps what a location loads from Postgres, under its generation, for an hour at most', async () => {
    const slug = await insertProduct({ title: `${uniqueWord()} Vase`, price: 2100 });
    const first = await product(slug);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const generation = first.headers.get('x-catalog-generation')!;
    const stored = await eventually(
      'the entry in Redis',
      async () => (await redis<string | null>('GET', sharedKey(generation, `/products/${slug}`))) ?? undefined,
    );
    const entry = JSON.parse(stored) as { b: string; e: string; s: number };
    expect(JSON.parse(entry.b)).toEqual(first.body);
    expect(entry.e).toBe(first.headers.get('etag'));
    const ttl = await redis<number>('TTL', sharedKey(generation, `/products/${slug}`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it("speaks the bridge's protocol: entries, and the counts the warm ranks products by", async () => {
    const calls = upstashCalls(inject('upstashUrl'), inject('upstashToken'), 2_000);
    const tier = new SharedTier(calls, { timeoutMs: 2_000, ttlSeconds: 30, maxBytes: 64 * 1024 });
    const word = uniqueWord();
    const key = `https://catalog.cache/0/0/${word}`;
    const body = JSON.stringify({ title: `${word} “quoted” é` });
    expect(await tier.put(key, { body, etag: 'W/"t"', storedAt: 1234 })).toBe(true);
    expect(await tier.get(key)).toEqual({ body, etag: 'W/"t"', storedAt: 1234 });
    expect(await redis<number>('TTL', `storefront:catalog:0/0/${word}`)).toBeLessThanOrEqual(30);
    // The counts: a sorted set per 10 minutes, read back best first with their scores.
    const set = `storefront:catalog:hot:test-${word}`;
    await calls.addCounts(
      set,
      new Map([
        [`${word}-a`, 2],
        [`${word}-b`, 5],
      ]),
      30,
    );
    await calls.addCounts(set, new Map([[`${word}-a`, 4]]), 30);
    expect(await calls.top(set, 5)).toEqual([
      [`${word}-a`, 6],
      [`${word}-b`, 5],
    ]);
    expect(await redis<number>('TTL', set)).toBeGreaterThan(0);
  });

  it("answers a location's miss from the shared tier with Postgres stopped", async () => {
    // A product this location has never served, which another location has loaded (as it would have put it).
    const template = await product(await insertProduct({ title: `${uniqueWord()} Bowl`, price: 1500 }));
    const slug = await insertProduct({ title: `${uniqueWord()} Jug`, price: 1700 });
    const generation = template.headers.get('x-catalog-generation')!;
    const body = JSON.stringify({ ...template.body, slug, title: 'Loaded by another location' });
    await redis(
      'SET',
      sharedKey(generation, `/products/${slug}`),
      JSON.stringify({ s: Date.now(), e: 'W/"elsewhere"', b: body }),
      'EX',
      60,
    );
    await stop('postgres');
    try {
      const answer = await product(slug);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-catalog-generation')).toBe(generation);
      expect(answer.headers.get('x-cache')).toBe('HIT');
      expect(answer.body.title).toBe('Loaded by another location');
      expect(answer.headers.get('etag')).toBe('W/"elsewhere"');
    } finally {
      await start('postgres');
    }
    await eventually('Postgres back', async () => (await client().GET('/health')).response.status === 200, 15_000, 200);
  });

  it('warms the categories, the home page lists and the most requested products after a merchant write', async () => {
    const word = uniqueWord();
    const hot = await insertProduct({ title: `${word} Lantern`, price: 3300 });
    // Requested more than anything else lately (the catalog's own counts land in the same sorted set, 10 s apart).
    const bucket = Math.floor(Date.now() / 600_000);
    await redis('ZINCRBY', `storefront:catalog:hot:${bucket}`, 1_000_000, hot);
    const token = await merchantToken();
    const patched = await ok(
      'merchant patch',
      client(token).PATCH('/v1/admin/products/{slug}', {
        params: { path: { slug: hot } },
        body: { title: `${word} Lantern Mk2` },
      }),
    );
    const { generation } = patched;
    const report = await eventually(
      'the warm of the new generation',
      async () => workerLogLines('catalog warmed').find((l) => l.generation === generation),
      10_000,
      100,
    );
    expect(report).toMatchObject({ failed: 0, skipped: 0 });
    expect(report.reads).toBeGreaterThanOrEqual(5);
    // The first shopper's reads of the new generation: each already in the cache, the change included.
    const reads = ['/v1/categories', '/v1/products?sort=newest&limit=8', '/v1/products', `/v1/products/${hot}`];
    for (const path of reads) {
      const answer = await eventually(
        `${path} under the new generation`,
        async () => {
          const res = await api(path);
          return res.headers.get('x-catalog-generation') === generation ? res : undefined;
        },
        5_000,
        20,
      );
      // Loaded by the warm, not by this read (STALE once older than the test stack's 3 fresh seconds).
      expect(answer.headers.get('x-cache'), path).toMatch(/^(HIT|STALE)$/);
    }
    expect((await product(hot)).body.title).toBe(`${word} Lantern Mk2`);
    // And in the shared tier, for every other location.
    expect(await redis('EXISTS', sharedKey(generation, `/products/${hot}`))).toBe(1);
    expect(await redis('EXISTS', sharedKey(generation, '/categories'))).toBe(1);
  });

  it('keeps answering catalog misses from Postgres while Redis is stopped', async () => {
    await stop('redis');
    try {
      for (let i = 0; i < 5; i++) {
        const slug = await insertProduct({ title: `${uniqueWord()} Tray`, price: 900 + i });
        const started = Date.now();
        const miss = await product(slug);
        expect(miss.status).toBe(200);
        expect(miss.headers.get('x-cache')).toBe('MISS');
        expect(miss.body.slug).toBe(slug);
        // The database deadline is 1.5 s; the shared tier's own is 300 ms here, and its breaker opens after 3.
        expect(Date.now() - started).toBeLessThan(2_000);
      }
    } finally {
      await start('redis');
    }
    // The rate limiter's breaker (the same Redis) may have opened: the next files need logins again.
    await eventually(
      'logins rate-limited again',
      async () =>
        (await postJson('/v1/auth/login', { email: 'nobody@example.com', password: 'whatever it is' })).status === 401,
      15_000,
      500,
    );
  });
});
