// Edge cache for catalog answers: a small in-isolate memory tier in front of the Cache API (both per location),
// then the shared tier (Upstash Redis, ./shared.ts: one for every location), then Postgres, with
// stale-while-revalidate and stale-if-error done here. The Cache API only returns entries it considers fresh, so
// entries are stored for the whole stale window and their age is judged from when they were loaded from Postgres
// (the same in every tier). Keys carry the catalog generation, so every tier is invalidated together by a merchant
// write. Each entry keeps its body's ETag (computed once, when loaded), and each answer names the tier it came from
// (memory, cache-api, shared, origin) for the figures' per-tier hit ratios.
import { etagOf } from '../../../lib/catalog/etag';
import type { CachedAnswer } from '../../../lib/contracts/catalog';
import { isDbUnavailable } from '../../../lib/db/errors';
import { AppError } from '../../../lib/errors';
import { log } from '../../../lib/log';
import type { SharedTier } from './shared';

export interface CachePolicy {
  freshSeconds: number;
  swrSeconds: number;
  staleIfErrorSeconds: number;
}

interface Entry {
  body: string;
  /** The body's validator (lib/catalog/etag.ts), computed once when the entry is made. */
  etag: string;
  /** When the body was loaded from Postgres (epoch ms), whichever tier holds it now. */
  storedAt: number;
}

/** The tier an entry was found in: this isolate's memory, the location's Cache API, or the shared tier. */
type Found = Entry & { tier: 'memory' | 'cache-api' | 'shared' };

/** An entry just filled, and whether it came from the shared tier (else from Postgres). */
type Filled = Entry & { fromShared: boolean };

const STORED_AT = 'x-stored-at';
const MEMORY_ENTRIES = 512;
// Memory tier: insertion-ordered Map used as an LRU. Per isolate, so it only ever saves a Cache API read.
const memory = new Map<string, Entry>();
// Fills under way in this isolate: concurrent misses and stale refreshes of one key share one read.
const inflight = new Map<string, Promise<Filled>>();

/**
 * Browsers (and any cache that reads only Cache-Control) keep the answer but revalidate it on every use, with its
 * ETag: a 304 from the gateway costs no body, and a merchant's change is never hidden behind a browser's copy.
 */
export const BROWSER_CACHE_CONTROL = 'public, no-cache';

/** For a CDN in front of the API (CDN-Cache-Control, RFC 9213): the windows the catalog keeps itself. */
export function cdnCacheControl(p: CachePolicy): string {
  return (
    `public, max-age=${p.freshSeconds}, ` +
    `stale-while-revalidate=${p.swrSeconds}, stale-if-error=${p.staleIfErrorSeconds}`
  );
}

function remember(key: string, entry: Entry) {
  memory.delete(key);
  memory.set(key, entry);
  if (memory.size > MEMORY_ENTRIES) memory.delete(memory.keys().next().value!);
}

const ageOf = (e: Entry) => Math.max(0, (Date.now() - e.storedAt) / 1000);

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

/** Keeps `entry` in this location's tiers (memory, Cache API), with the time it was loaded from Postgres. */
async function storeLocal(cache: Cache, key: string, { body, etag, storedAt }: Entry, p: CachePolicy) {
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

/**
 * One fill per key at a time in this isolate: from the shared tier when `fromShared` and it holds an entry newer than
 * `newerThan` and still fresh, else from Postgres (`load`). The result is kept in the local tiers, and a load from
 * Postgres in the shared tier too.
 */
// Answers most worth sharing are the ones many ask for. A search or a page past the first is put in the shared
// tier only on its second load in this isolate (within the last SHARED_SEEN_MAX such loads): a stream of one-off
// queries (`?q=<random>`) then costs Postgres reads, as before, not a Redis write of up to SHARED_CACHE_MAX_BYTES each.
const SHARED_SEEN_MAX = 5000;
const seenOnce = new Set<string>();
export function admitToShared(key: string): boolean {
  if (!/[?&](q|cursor)=/.test(key)) return true;
  if (seenOnce.delete(key)) return true;
  if (seenOnce.size >= SHARED_SEEN_MAX) seenOnce.delete(seenOnce.values().next().value!);
  seenOnce.add(key);
  return false;
}

function fillOnce(
  ctx: ExecutionContext,
  cache: Cache,
  key: string,
  policy: CachePolicy,
  load: () => Promise<string>,
  shared: SharedTier | undefined,
  newerThan?: number,
) {
  let pending = inflight.get(key);
  if (!pending) {
    pending = (async (): Promise<Filled> => {
      if (shared && newerThan !== undefined) {
        const found = await shared.get(key);
        if (found && found.storedAt > newerThan && ageOf(found) <= policy.freshSeconds) {
          return { ...found, fromShared: true };
        }
      }
      const body = await load();
      return { body, etag: await etagOf(body), storedAt: Date.now(), fromShared: false };
    })().finally(() => inflight.delete(key));
    inflight.set(key, pending);
    ctx.waitUntil(
      pending
        .then((filled) =>
          Promise.all([
            storeLocal(cache, key, filled, policy),
            shared && !filled.fromShared && admitToShared(key) ? shared.put(key, filled) : undefined,
          ]),
        )
        .catch(() => {}),
    );
  }
  return pending;
}

/**
 * Answers `key` from the cache, or from `load` (which returns a JSON body). `load` errors that mean the
 * database is away are answered from any stored entry still inside the stale-if-error window. `shared`: the shared
 * tier, asked when this location holds nothing usable (a miss, or an entry past its stale-while-revalidate window)
 * and by background refreshes; it never fails or slows a read past its own deadline.
 */
export async function cachedJson(
  ctx: ExecutionContext,
  key: string,
  policy: CachePolicy,
  load: () => Promise<string>,
  shared?: SharedTier,
): Promise<CachedAnswer> {
  const cache = await caches.open('catalog');
  const headers = { cacheControl: BROWSER_CACHE_CONTROL, cdnCacheControl: cdnCacheControl(policy) };
  let entry = await lookup(cache, key);

  if (shared && (!entry || ageOf(entry) > policy.freshSeconds + policy.swrSeconds)) {
    const found = await shared.get(key);
    if (found && (!entry || found.storedAt > entry.storedAt)) {
      entry = { ...found, tier: 'shared' };
      ctx.waitUntil(storeLocal(cache, key, found, policy).catch(() => {}));
    }
  }

  const fromOrigin = async (): Promise<CachedAnswer> => {
    const filled = await fillOnce(ctx, cache, key, policy, load, shared);
    const { body, etag } = filled;
    // A refresh under way may have found a fresh entry in the shared tier: that tier answered.
    if (filled.fromShared) return { body, etag, tier: 'shared', cache: 'HIT', age: ageOf(filled), ...headers };
    return { body, etag, tier: 'origin', cache: 'MISS', age: 0, ...headers };
  };

  if (entry) {
    const age = ageOf(entry);
    const { body, etag, tier, storedAt } = entry;
    if (age <= policy.freshSeconds) return { body, etag, tier, cache: 'HIT', age, ...headers };
    if (age <= policy.freshSeconds + policy.swrSeconds) {
      if (!inflight.has(key)) {
        // Another location may have refreshed it already: the shared tier first (unless it just answered), then
        // Postgres.
        fillOnce(ctx, cache, key, policy, load, shared, tier === 'shared' ? undefined : storedAt).catch((err) =>
          log.warn('catalog revalidation failed', { key, error: String(err) }),
        );
      }
      return { body, etag, tier, cache: 'STALE', age, ...headers };
    }
    try {
      return await fromOrigin();
    } catch (err) {
      // An outage, or a search cut by its statement_timeout (search-statement.ts): what is stored is the better
      // answer while it is inside the stale-if-error window.
      const retryable = isDbUnavailable(err) || (err instanceof AppError && err.code === 'SEARCH_TIMEOUT');
      if (retryable && age <= policy.freshSeconds + policy.staleIfErrorSeconds) {
        return { body, etag, tier, cache: 'STALE', age, ...headers };
      }
      throw err;
    }
  }
  return fromOrigin();
}
