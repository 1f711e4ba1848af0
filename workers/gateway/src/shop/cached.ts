// Sending a browse page through the page cache (page-cache.ts): the current generation, the cached or rendered
// page, then its personal slots for this request (page.tsx sendPage). One PageCache per isolate and settings.
import { type ShopConfig, shopConfig } from './config';
import { sendPage } from './page';
import { cacheApiStore, currentGeneration, PageCache, type Rendered } from './page-cache';
import type { ShopContext } from './session';
import type { SlotName } from './slots';

const pageCaches = new WeakMap<ShopConfig, PageCache>();
const RETRY_AFTER_SECONDS = 5;

function pageCacheOf(config: ShopConfig): PageCache {
  let cache = pageCaches.get(config);
  if (!cache) {
    // No Cache API outside workerd (the route tests run in Node): the isolate's memory alone.
    const store = typeof caches === 'undefined' ? undefined : cacheApiStore();
    cache = new PageCache(store, () => ({
      freshSeconds: config.SHOP_PAGE_FRESH_SECONDS,
      fallbackSeconds: config.SHOP_PAGE_FALLBACK_SECONDS,
    }));
    pageCaches.set(config, cache);
  }
  return cache;
}

function ctxOf(c: ShopContext): Pick<ExecutionContext, 'waitUntil'> {
  try {
    return c.executionCtx;
  } catch {
    return { waitUntil: () => {} };
  }
}

/**
 * Answers the browse page at `path` (its path and canonical query: the cache key) from the page cache or `render`,
 * with `slots` (per request: the product page's availability) filled beside the header's.
 */
export async function sendCachedPage(
  c: ShopContext,
  path: string,
  render: () => Promise<Rendered>,
  slots?: (page: { status: number; meta?: Record<string, string> }) => Promise<Partial<Record<SlotName, string>>>,
): Promise<Response> {
  const config = shopConfig(c.env);
  const generation = await currentGeneration(c.env, config.SHOP_GENERATION_TTL_MS);
  const page = await pageCacheOf(config).page(ctxOf(c), generation, path, render);
  return sendPage(c, page.html, {
    status: page.status,
    cache: page.cache,
    // A page the catalog could not make (nothing cached either): the shopper's browser may try again shortly.
    retryAfter: page.status === 503 ? String(RETRY_AFTER_SECONDS) : undefined,
    slots: slots ? await slots(page) : undefined,
  });
}

/** The canonical form of a page's query: its parameters sorted, empty ones left out. */
export function canonicalPath(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams(
    Object.entries(params)
      .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
      .sort(([a], [b]) => a.localeCompare(b)),
  ).toString();
  return q ? `${path}?${q}` : path;
}
