// Edge cache for catalog answers on the Cache API, with stale-while-revalidate and stale-if-error done here:
// the Cache API only returns entries it considers fresh, so entries are stored for the whole stale window
// and their age is judged from the time they were stored.
import { isDbUnavailable } from '../../../lib/db/errors';

export type CacheStatus = 'HIT' | 'MISS' | 'STALE';

export interface CachePolicy {
  freshSeconds: number;
  swrSeconds: number;
  staleIfErrorSeconds: number;
}

export interface CachedAnswer {
  body: string;
  cache: CacheStatus;
  /** Seconds since the entry was stored. */
  age: number;
  cacheControl: string;
}

const STORED_AT = 'x-stored-at';
// Revalidations under way in this isolate: one refresh per key, however many stale hits ask for it.
const refreshing = new Set<string>();

export function publicCacheControl(p: CachePolicy): string {
  return `public, max-age=0, s-maxage=${p.freshSeconds}, stale-while-revalidate=${p.swrSeconds}, stale-if-error=${p.staleIfErrorSeconds}`;
}

async function store(cache: Cache, key: Request, body: string, p: CachePolicy) {
  const keep = p.freshSeconds + Math.max(p.swrSeconds, p.staleIfErrorSeconds);
  await cache.put(
    key,
    new Response(body, {
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': `public, max-age=${keep}`,
        [STORED_AT]: String(Date.now()),
      },
    }),
  );
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
  const request = new Request(key);
  const cacheControl = publicCacheControl(policy);
  const hit = await cache.match(request);

  if (hit) {
    const age = Math.max(0, (Date.now() - Number(hit.headers.get(STORED_AT) ?? 0)) / 1000);
    const body = await hit.text();
    if (age <= policy.freshSeconds) return { body, cache: 'HIT', age, cacheControl };
    if (age <= policy.freshSeconds + policy.swrSeconds) {
      if (!refreshing.has(key)) {
        refreshing.add(key);
        ctx.waitUntil(
          load()
            .then((fresh) => store(cache, request, fresh, policy))
            .catch((err) => console.warn(JSON.stringify({ msg: 'catalog revalidation failed', key, error: String(err) })))
            .finally(() => refreshing.delete(key)),
        );
      }
      return { body, cache: 'STALE', age, cacheControl };
    }
    try {
      const fresh = await load();
      ctx.waitUntil(store(cache, request, fresh, policy));
      return { body: fresh, cache: 'MISS', age: 0, cacheControl };
    } catch (err) {
      if (isDbUnavailable(err) && age <= policy.freshSeconds + policy.staleIfErrorSeconds) {
        return { body, cache: 'STALE', age, cacheControl };
      }
      throw err;
    }
  }

  const fresh = await load();
  ctx.waitUntil(store(cache, request, fresh, policy));
  return { body: fresh, cache: 'MISS', age: 0, cacheControl };
}
