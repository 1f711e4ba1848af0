// The shared tier of the catalog's cache: Upstash Redis (global in production; locally the Upstash bridge to a
// redis-server, dev/upstash-bridge.ts), between each location's own tiers (memory, Cache API: ./cache.ts) and
// Postgres. A miss in one location is answered from here before it reaches a replica.
//
// Keys carry the catalog generation (the same key as the local tiers), so a merchant write makes every older entry
// unreachable, like theirs; entries expire after SHARED_CACHE_TTL_SECONDS, and bodies over SHARED_CACHE_MAX_BYTES
// are not put here. The tier may never fail or slow a read beyond its bound: every call has a deadline
// (SHARED_CACHE_TIMEOUT_MS, the HTTP call aborted with it) and goes through a breaker (3 failures in a row, timeouts
// included, open it for 5 s: then no call is made at all); whatever goes wrong is a miss, and the read goes on to
// Postgres. Nothing here throws.
//
// It also keeps the products most requested lately (a sorted set per 10 minutes, fed by each isolate's counts in
// batches), from which the catalog warms the shared tier after a merchant write (index.ts `warm`).
import { Redis } from '@upstash/redis/cloudflare';
import { log } from '../../../lib/log';
import { CircuitBreaker, withTimeout } from '../../../lib/resilience';

export interface SharedTierOptions {
  url: string;
  token: string;
  timeoutMs: number;
  ttlSeconds: number;
  maxBytes: number;
}

/** An entry as every tier keeps it: the body, its validator, and when it was loaded from Postgres. */
export interface SharedEntry {
  body: string;
  etag: string;
  storedAt: number;
}

/** The few Redis calls the tier makes (the real client, or a stand-in in tests). */
export interface RedisCalls {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Adds each count to its member of the sorted set `key`, and (re)sets the set's expiry. */
  addCounts(key: string, counts: Map<string, number>, ttlSeconds: number): Promise<void>;
  /** The sorted set's `n` best members with their scores, best first. */
  top(key: string, n: number): Promise<[string, number][]>;
}

const PREFIX = 'storefront:catalog:';
const LOCAL_PREFIX = 'https://catalog.cache/';
/** Popularity is counted in 10-minute buckets; the current and the previous one are read. */
const HOT_BUCKET_MS = 10 * 60_000;
/** An isolate sends its counts at most this often, and keeps at most this many products between sends. */
const HOT_FLUSH_MS = 10_000;
const HOT_KEPT = 1000;

/** The Redis key of a local cache key (`https://catalog.cache/<generation>/<path>`). */
export function sharedKey(key: string): string {
  return PREFIX + (key.startsWith(LOCAL_PREFIX) ? key.slice(LOCAL_PREFIX.length) : key);
}

const hotKey = (bucket: number) => `${PREFIX}hot:${bucket}`;

/** The real client: no retries (a retry would outlast the deadline), the HTTP call aborted at the deadline. */
export function upstashCalls(url: string, token: string, timeoutMs: number): RedisCalls {
  const redis = new Redis({
    url,
    token,
    retry: false,
    enableTelemetry: false,
    // Bodies are kept as the JSON text they are: no parsing on the way in or out.
    automaticDeserialization: false,
    signal: () => AbortSignal.timeout(timeoutMs),
  });
  return {
    get: (key) => redis.get<string>(key),
    async set(key, value, ttlSeconds) {
      await redis.set(key, value, { ex: ttlSeconds });
    },
    async addCounts(key, counts, ttlSeconds) {
      const p = redis.pipeline();
      for (const [member, n] of counts) p.zincrby(key, n, member);
      p.expire(key, ttlSeconds);
      await p.exec();
    },
    async top(key, n) {
      const flat = await redis.zrange<(string | number)[]>(key, 0, n - 1, { rev: true, withScores: true });
      const out: [string, number][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), Number(flat[i + 1])]);
      return out;
    },
  };
}

function parseEntry(raw: unknown): SharedEntry | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw) as { b?: unknown; e?: unknown; s?: unknown };
    if (typeof v.b !== 'string' || typeof v.e !== 'string' || typeof v.s !== 'number') return undefined;
    // A time in the future would make the entry look fresh for the life of its generation: not ours, a miss.
    if (!Number.isFinite(v.s) || v.s > Date.now() + 5000) return undefined;
    return { body: v.b, etag: v.e, storedAt: v.s };
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();

export class SharedTier {
  readonly breaker = new CircuitBreaker('shared cache (redis)', { failureThreshold: 3, openMs: 5_000 });
  private readonly counts = new Map<string, number>();
  private lastFlush = 0;

  constructor(
    private readonly redis: RedisCalls,
    readonly opts: Pick<SharedTierOptions, 'timeoutMs' | 'ttlSeconds' | 'maxBytes'>,
  ) {}

  /** `fn` within the deadline and through the breaker; undefined when anything went wrong (logged, never thrown). */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.breaker.run(() => withTimeout(fn(), this.opts.timeoutMs, `shared cache ${what}`));
    } catch (err) {
      log.warn('shared cache call failed', { what, error: String(err) });
      return undefined;
    }
  }

  /** The entry kept under the local cache key `key`, or undefined (a miss, or the tier away). */
  async get(key: string): Promise<SharedEntry | undefined> {
    return parseEntry(await this.call('get', () => this.redis.get(sharedKey(key))));
  }

  /** Keeps `entry` under `key` for the TTL; a body over the size bound is left out. True when it was stored. */
  async put(key: string, entry: SharedEntry): Promise<boolean> {
    const value = JSON.stringify({ s: entry.storedAt, e: entry.etag, b: entry.body });
    // A character is at least a byte: only a value that might be too large is measured.
    if (value.length > this.opts.maxBytes || encoder.encode(value).byteLength > this.opts.maxBytes) return false;
    const done = await this.call('set', async () => {
      await this.redis.set(sharedKey(key), value, this.opts.ttlSeconds);
      return true;
    });
    return done === true;
  }

  /**
   * Counts one request of product `slug`. The counts go to Redis at most every 10 s, in one call, which the caller
   * keeps alive (`keepAlive`, its waitUntil) past its answer.
   */
  noteProduct(slug: string, keepAlive: (p: Promise<unknown>) => void, now = Date.now()): void {
    if (this.counts.has(slug) || this.counts.size < HOT_KEPT) this.counts.set(slug, (this.counts.get(slug) ?? 0) + 1);
    if (now - this.lastFlush < HOT_FLUSH_MS || this.counts.size === 0) return;
    this.lastFlush = now;
    const batch = new Map(this.counts);
    this.counts.clear();
    const key = hotKey(Math.floor(now / HOT_BUCKET_MS));
    keepAlive(this.call('count', () => this.redis.addCounts(key, batch, (2 * HOT_BUCKET_MS) / 1000 + 60)));
  }

  /** The `n` products most requested over the last 10 to 20 minutes, most first (empty when the tier is away). */
  async hotProducts(n: number, now = Date.now()): Promise<string[]> {
    if (n <= 0) return [];
    const bucket = Math.floor(now / HOT_BUCKET_MS);
    const [current, previous] = await Promise.all([
      this.call('top', () => this.redis.top(hotKey(bucket), n)),
      this.call('top', () => this.redis.top(hotKey(bucket - 1), n)),
    ]);
    const score = new Map<string, number>();
    for (const [slug, s] of [...(current ?? []), ...(previous ?? [])]) score.set(slug, (score.get(slug) ?? 0) + s);
    return [...score.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, n)
      .map(([slug]) => slug);
  }
}

const tiers = new Map<string, SharedTier>();

/** This isolate's shared tier for these settings (one client and one breaker per isolate). */
export function sharedTierFor(opts: SharedTierOptions | undefined): SharedTier | undefined {
  if (!opts) return undefined;
  const id = JSON.stringify(opts);
  let tier = tiers.get(id);
  if (!tier) {
    tier = new SharedTier(upstashCalls(opts.url, opts.token, opts.timeoutMs), opts);
    tiers.set(id, tier);
  }
  return tier;
}
