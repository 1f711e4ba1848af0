// Edge cache for catalog answers: a small in-isolate memory tier in front of the Cache API, with
// stale-while-revalidate and stale-if-error done here. The Cache API only returns entries it considers
// fresh, so entries are stored for the whole stale window and their age is judged from when they were stored.
// Keys carry the catalog generation, so both tiers are invalidated together by a merchant write. Each entry keeps its
// body's ETag (computed once, when loaded), and each answer names the tier it came from (memory, cache-api, origin)
// for the figures' per-tier hit ratios.
import { etagOf } from '../../../lib/catalog/etag';
import type { CachedAnswer } from '../../../lib/contracts/catalog';
import { isDbUnavailable } from '../../../lib/db/errors';
import { log } from '../../../lib/log';

export interface CachePolicy {
  freshSeconds: number;
  swrSeconds: number;
  staleIfErrorSeconds: number;
}

interface Entry {
  body: string;
  /** The body's validator (lib/catalog/etag.ts), computed once when the entry is made. */
  etag: string;
  storedAt: number;
}

/** The tier an entry was found in: this isolate's memory or the location's Cache API. */
type Found = Entry & { tier: 'memory' | 'cache-api' };

const STORED_AT = 'x-stored-at';
const MEMORY_ENTRIES = 512;
// Memory tier: insertion-ordered Map used as an LRU. Per isolate, so it only ever saves a Cache API read.
const memory = new Map<string, Entry>();
// Loads under way in this isolate: concurrent misses and stale refreshes of one key share one database read.
const inflight = new Map<string, Promise<Loaded>>();

export function publicCacheControl(p: CachePolicy): string {
  return (
    `public, max-age=0, s-maxage=${p.freshSeconds}, ` +
    `stale-while-revalidate=${p.swrSeconds}, stale-if-error=${p.staleIfErrorSeconds}`
  );
}

function remember(key: string, entry: Entry) {
  memory.delete(key);
  memory.set(key, entry);
  if (memory.size > MEMORY_ENTRIES) memory.delete(memory.keys().next().value!);
}

async function lookup(cache: Cache, key: string): Promise<Found | undefined> {
  const inMemory = memory.get(key);
  if (inMemory) return { ...inMemory, tier: 'memory' };
  const hit = await cache.match(new Request(key));
  if (!hit) return undefined;
  const body = await hit.text();
  const entry = {
    body,
    etag: hit.headers.get('etag') ?? (await etagOf(body)),
    storedAt: Number(hit.headers.get(STORED_AT) ?? 0),
  };
  remember(key, entry);
  return { ...entry, tier: 'cache-api' };
}

async function store(cache: Cache, key: string, { body, etag }: Loaded, p: CachePolicy) {
  const storedAt = Date.now();
  remember(key, { body, etag, storedAt });
  const keep = p.freshSeconds + Math.max(p.swrSeconds, p.staleIfErrorSeconds);
  await cache.put(
    new Request(key),
    new Response(body, {
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': `public, max-age=${keep}`,
        etag,
        [STORED_AT]: String(storedAt),
      },
    }),
  );
}

/** A body just loaded, with its validator. */
interface Loaded {
  body: string;
  etag: string;
}

/** One database load per key at a time in this isolate; the result is stored in both tiers. */
function loadOnce(ctx: ExecutionContext, cache: Cache, key: string, policy: CachePolicy, load: () => Promise<string>) {
  let pending = inflight.get(key);
  if (!pending) {
    pending = load()
      .then(async (body) => ({ body, etag: await etagOf(body) }))
      .finally(() => inflight.delete(key));
    inflight.set(key, pending);
    ctx.waitUntil(pending.then((body) => store(cache, key, body, policy)).catch(() => {}));
  }
  return pending;
}

/**
 * Answers `key` from the cache, or from `load` (which returns a JSON body). `load` errors that mean the
 * database is away are answered from any stored entry still inside the stale-if-error window.
 */
export async function cachedJson(
  ctx: ExecutionContext,
  key: string,
  policy: CachePolicy,
  load: () => Promise<string>,
): Promise<CachedAnswer> {
  const cache = await caches.open('catalog');
  const cacheControl = publicCacheControl(policy);
  const entry = await lookup(cache, key);

  if (entry) {
    const age = Math.max(0, (Date.now() - entry.storedAt) / 1000);
    const { body, etag, tier } = entry;
    if (age <= policy.freshSeconds) return { body, etag, tier, cache: 'HIT', age, cacheControl };
    if (age <= policy.freshSeconds + policy.swrSeconds) {
      if (!inflight.has(key)) {
        loadOnce(ctx, cache, key, policy, load).catch((err) =>
          log.warn('catalog revalidation failed', { key, error: String(err) }),
        );
      }
      return { body, etag, tier, cache: 'STALE', age, cacheControl };
    }
    try {
      return {
        ...(await loadOnce(ctx, cache, key, policy, load)),
        tier: 'origin',
        cache: 'MISS',
        age: 0,
        cacheControl,
      };
    } catch (err) {
      if (isDbUnavailable(err) && age <= policy.freshSeconds + policy.staleIfErrorSeconds) {
        return { body, etag, tier, cache: 'STALE', age, cacheControl };
      }
      throw err;
    }
  }
  return { ...(await loadOnce(ctx, cache, key, policy, load)), tier: 'origin', cache: 'MISS', age: 0, cacheControl };
}
