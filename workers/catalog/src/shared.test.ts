// The shared cache tier in plain Node: entries under the generation's key, the size bound, and above all that Redis
// away (a dead port), hanging (a server that never answers) or failing never fails a read or holds it past the
// deadline: every call is a miss, and the breaker then stops calling at all.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCalls, SharedTier, sharedKey, upstashCalls } from './shared';

const opts = { timeoutMs: 100, ttlSeconds: 60, maxBytes: 1024 };
const entry = (body = '{"ok":true}') => ({ body, etag: 'W/"tag"', storedAt: 1_700_000_000_000 });
const key = (gen: string, path: string) => `https://catalog.cache/${gen}${path}`;

/** An in-memory Redis, counting the calls made. */
function memoryRedis() {
  const kv = new Map<string, { value: string; ttl: number }>();
  const sets = new Map<string, Map<string, number>>();
  let calls = 0;
  const redis: RedisCalls & { calls(): number; kv: typeof kv; sets: typeof sets } = {
    kv,
    sets,
    calls: () => calls,
    async get(k) {
      calls++;
      return kv.get(k)?.value ?? null;
    },
    async set(k, value, ttl) {
      calls++;
      kv.set(k, { value, ttl });
    },
    async addCounts(k, counts) {
      calls++;
      const set = sets.get(k) ?? new Map<string, number>();
      for (const [m, n] of counts) set.set(m, (set.get(m) ?? 0) + n);
      sets.set(k, set);
    },
    async top(k, n) {
      calls++;
      return [...(sets.get(k) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
    },
  };
  return redis;
}

describe('shared tier', () => {
  it('keeps an entry under its generation, with the TTL, and reads it back', async () => {
    const redis = memoryRedis();
    const tier = new SharedTier(redis, opts);
    expect(await tier.put(key('0/16B3748', '/products/a'), entry())).toBe(true);
    expect(redis.kv.get('storefront:catalog:0/16B3748/products/a')?.ttl).toBe(60);
    expect(await tier.get(key('0/16B3748', '/products/a'))).toEqual(entry());
    // Another generation is another key: a merchant write leaves the old entries unreachable.
    expect(await tier.get(key('0/16B3750', '/products/a'))).toBeUndefined();
    expect(sharedKey(key('0/1', '/categories'))).toBe('storefront:catalog:0/1/categories');
  });

  it('leaves out a body over the size bound, and reads a damaged value as a miss', async () => {
    const redis = memoryRedis();
    const tier = new SharedTier(redis, opts);
    expect(await tier.put(key('0/1', '/big'), entry(`"${'x'.repeat(2000)}"`))).toBe(false);
    // Multi-byte characters count as bytes: 600 of them are 1,200 bytes in about 650 characters.
    expect(await tier.put(key('0/1', '/wide'), entry(`"${'é'.repeat(600)}"`))).toBe(false);
    expect(redis.calls()).toBe(0);
    redis.kv.set(sharedKey(key('0/1', '/bad')), { value: 'not json', ttl: 1 });
    redis.kv.set(sharedKey(key('0/1', '/odd')), { value: '{"b":1,"e":"x","s":1}', ttl: 1 });
    expect(await tier.get(key('0/1', '/bad'))).toBeUndefined();
    expect(await tier.get(key('0/1', '/odd'))).toBeUndefined();
  });

  it('opens its breaker after 3 failures in a row, then makes no call until it is retried', async () => {
    let calls = 0;
    const failing: RedisCalls = {
      get: async () => {
        calls++;
        throw new Error('fetch failed');
      },
      set: async () => {},
      addCounts: async () => {},
      top: async () => [],
    };
    const tier = new SharedTier(failing, opts);
    for (let i = 0; i < 3; i++) expect(await tier.get(key('0/1', '/x'))).toBeUndefined();
    expect(tier.breaker.state).toBe('open');
    expect(await tier.get(key('0/1', '/x'))).toBeUndefined();
    expect(await tier.put(key('0/1', '/x'), entry())).toBe(false);
    expect(calls).toBe(3);
  });

  it('sends the product counts in batches and ranks the most requested over two buckets', async () => {
    const redis = memoryRedis();
    const tier = new SharedTier(redis, opts);
    const sent: Promise<unknown>[] = [];
    const keep = (p: Promise<unknown>) => sent.push(p);
    const t0 = 20 * 60_000 * 1000; // the start of a 10-minute bucket
    tier.noteProduct('a', keep, t0); // the first note sends at once (nothing was sent before)
    tier.noteProduct('b', keep, t0 + 1000);
    tier.noteProduct('b', keep, t0 + 2000);
    expect(sent).toHaveLength(1); // within 10 s of the last send: kept in the isolate
    tier.noteProduct('c', keep, t0 + 10 * 60_000 + 5000); // the next bucket
    expect(sent).toHaveLength(2);
    await Promise.all(sent);
    expect(redis.calls()).toBe(2);
    expect(await tier.hotProducts(2, t0 + 10 * 60_000 + 6000)).toEqual(['b', 'a']);
    expect(await tier.hotProducts(0, t0)).toEqual([]);
  });
});

describe('shared tier on the real client, with Redis away', () => {
  let hanging: http.Server;
  let hangingUrl: string;
  let deadUrl: string;
  beforeAll(async () => {
    // Takes every request and never answers.
    hanging = http.createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    // A port nobody listens on: taken, then let go.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  afterAll(async () => {
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
  });

  it('a dead port is a miss, never an error, and a put is dropped', async () => {
    const tier = new SharedTier(upstashCalls(deadUrl, 'token', opts.timeoutMs), opts);
    expect(await tier.get(key('0/1', '/products/a'))).toBeUndefined();
    expect(await tier.put(key('0/1', '/products/a'), entry())).toBe(false);
    expect(await tier.hotProducts(5)).toEqual([]);
    expect(tier.breaker.state).toBe('open');
  });

  it('a server that never answers is a miss once the deadline passes, and then the breaker answers at once', async () => {
    const tier = new SharedTier(upstashCalls(hangingUrl, 'token', opts.timeoutMs), opts);
    const started = Date.now();
    const results = await Promise.all([1, 2, 3].map((i) => tier.get(key('0/1', `/products/${i}`))));
    expect(results).toEqual([undefined, undefined, undefined]);
    // The deadline is 100 ms; a hang would keep these until the test's own timeout.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(tier.breaker.state).toBe('open');
    const again = Date.now();
    expect(await tier.get(key('0/1', '/products/4'))).toBeUndefined();
    expect(Date.now() - again).toBeLessThan(opts.timeoutMs);
  });
});
