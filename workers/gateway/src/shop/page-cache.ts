// The edge cache of the storefront's browse pages (home, category, search, product): the rendered HTML, the same
// for every shopper (its personal parts are slots: slots.ts), kept in the isolate's memory and the Cache API under
// `<catalog generation><path and canonical query>`. A merchant's write publishes a new generation, which makes
// every older page unreachable at once, as it does the API's answers (docs/catalog.md).
//
// A page is stored only under the generation its data came from: every catalog answer it read names its
// generation (x-catalog-generation), and a page whose answers are of another (the catalog or the gateway's memo
// still answering from before the write) is sent but not kept, so a new generation is never filled with old data.
// The last good copy of each page is also kept apart from the generation (SHOP_PAGE_FALLBACK_SECONDS), and answers
// when a render fails for want of the catalog (a 5xx, no answer) or is degraded (rendered without a part whose read
// failed): the page degrades to what it last was, and is never kept in that state.
import type { CacheStatus } from '../../../../lib/contracts/catalog';
import { log } from '../../../../lib/log';
import { withTimeout } from '../../../../lib/resilience';
import { unwrap } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import type { GatewayBindings } from '../types';

export interface Rendered {
  html: string;
  status: number;
  /** What the page's per-request slots need to know of it (the product page's SKU), kept with it. */
  meta?: Record<string, string>;
  /** The generations of the catalog answers the page was made from. */
  generations: Set<string>;
  /**
   * Rendered without some of its data (a catalog read failed: the home page's trending products): never kept, and
   * the last good copy answers instead when there is one, as for a failed render.
   */
  degraded?: boolean;
}

interface Stored {
  html: string;
  status: number;
  meta?: Record<string, string>;
  storedAt: number;
  /** The catalog generation it was made from (a degraded render yields only to a copy of its own generation). */
  generation?: string;
}

/** Where pages are kept beyond the isolate: the Cache API in a worker; tests give a map. */
export interface PageStore {
  match(key: string): Promise<Stored | undefined>;
  put(key: string, page: Stored, keepSeconds: number): Promise<void>;
}

export interface PagePolicy {
  freshSeconds: number;
  fallbackSeconds: number;
}

const MEMORY_ENTRIES = 300;
const MAX_HTML = 256 * 1024;
const STORED_AT = 'x-stored-at';
const ORIGIN = 'https://shop-pages.cache';

/** The Cache API as a PageStore (entries kept for `keepSeconds`; their age judged from when they were stored). */
export function cacheApiStore(): PageStore {
  const cache = caches.open('shop-pages');
  return {
    async match(key) {
      const hit = await (await cache).match(new Request(`${ORIGIN}${key}`));
      if (!hit) return undefined;
      const meta = hit.headers.get('x-meta');
      return {
        html: await hit.text(),
        status: Number(hit.headers.get('x-status')),
        meta: meta ? JSON.parse(meta) : undefined,
        storedAt: Number(hit.headers.get(STORED_AT)),
        generation: hit.headers.get('x-generation') ?? undefined,
      };
    },
    async put(key, page, keepSeconds) {
      await (await cache).put(
        new Request(`${ORIGIN}${key}`),
        new Response(page.html, {
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': `public, max-age=${keepSeconds}`,
            'x-status': String(page.status),
            ...(page.meta ? { 'x-meta': JSON.stringify(page.meta) } : {}),
            ...(page.generation ? { 'x-generation': page.generation } : {}),
            [STORED_AT]: String(page.storedAt),
          },
        }),
      );
    },
  };
}

export class PageCache {
  private readonly memory = new Map<string, Stored>();

  constructor(
    private readonly store: PageStore | undefined,
    private readonly policy: () => PagePolicy,
  ) {}

  private remember(key: string, page: Stored) {
    this.memory.delete(key);
    this.memory.set(key, page);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
  }

  private async lookup(key: string): Promise<Stored | undefined> {
    const inMemory = this.memory.get(key);
    if (inMemory) return inMemory;
    const stored = await this.store?.match(key).catch(() => undefined);
    if (stored) this.remember(key, stored);
    return stored;
  }

  private keep(ctx: Pick<ExecutionContext, 'waitUntil'>, key: string, page: Stored, keepSeconds: number) {
    this.remember(key, page);
    if (this.store)
      ctx.waitUntil(
        this.store.put(key, page, keepSeconds).catch((err) => log.warn('shop page not stored', { error: String(err) })),
      );
  }

  /**
   * The page at `path` (path and canonical query): from the cache under `generation` while fresh, else rendered
   * (and kept when its data is of that generation). A render that fails for want of the catalog (5xx) or is
   * degraded answers the last good copy instead, if there is one (x-cache STALE), else itself, not kept. Without a generation (the catalog could not say),
   * every request renders and nothing is kept under a generation.
   */
  async page(
    ctx: Pick<ExecutionContext, 'waitUntil'>,
    generation: string | undefined,
    path: string,
    render: () => Promise<Rendered>,
    now = Date.now,
  ): Promise<{ html: string; status: number; meta?: Record<string, string>; cache: CacheStatus }> {
    const { freshSeconds, fallbackSeconds } = this.policy();
    const key = generation ? `/${generation}${path}` : undefined;
    if (key) {
      const hit = await this.lookup(key);
      if (hit && now() - hit.storedAt < freshSeconds * 1000) return { ...strip(hit), cache: 'HIT' };
    }
    const fallbackKey = `/fallback${path}`;
    let rendered: Rendered;
    try {
      rendered = await render();
    } catch (err) {
      log.error('shop page render failed', { path, error: String(err) });
      rendered = { html: '', status: 500, generations: new Set() };
    }
    if (rendered.status >= 500 || rendered.degraded) {
      const fallback = await this.lookup(fallbackKey);
      // A failed page takes any recent good copy; a degraded one (its main content is current) only one made from
      // the same generation, so that the copy never hides a merchant's change longer than the bound.
      const usable =
        fallback &&
        now() - fallback.storedAt < fallbackSeconds * 1000 &&
        (rendered.status >= 500 || (generation !== undefined && fallback.generation === generation));
      if (usable) return { ...strip(fallback), cache: 'STALE' };
      return { ...strip(rendered), cache: 'MISS' };
    }
    const ofThisGeneration =
      generation !== undefined && rendered.generations.size === 1 && rendered.generations.has(generation);
    const storable = (rendered.status === 200 || rendered.status === 404) && rendered.html.length <= MAX_HTML;
    if (storable && ofThisGeneration && key) {
      const page = { ...strip(rendered), storedAt: now(), generation };
      this.keep(ctx, key, page, freshSeconds);
      if (rendered.status === 200) this.keep(ctx, fallbackKey, page, fallbackSeconds);
    }
    return { ...strip(rendered), cache: 'MISS' };
  }
}

const strip = (p: { html: string; status: number; meta?: Record<string, string> }) => ({
  html: p.html,
  status: p.status,
  meta: p.meta,
});

let known: { value: string; readAt: number } | undefined;

/**
 * The catalog generation as the catalog worker knows it, trusted for `ttlMs` in this isolate. Undefined when the
 * catalog cannot say (pages then render without the cache); the last known one is kept through a failed ask.
 */
export async function currentGeneration(env: GatewayBindings, ttlMs: number): Promise<string | undefined> {
  if (known && Date.now() - known.readAt < ttlMs) return known.value;
  try {
    const { generation } = unwrap(await withTimeout(traced(env.CATALOG).generation(), 1000, 'catalog generation'));
    known = { value: generation, readAt: Date.now() };
  } catch (err) {
    log.warn('shop: catalog generation unknown', { error: String(err) });
    if (known) known = { ...known, readAt: Date.now() };
  }
  return known?.value;
}
