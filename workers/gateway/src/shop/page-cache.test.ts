// The page cache: a page is kept under the generation its data came from and answered from there while fresh; a
// page whose data is of another generation is sent, not kept; a new generation renders again; and a render that
// fails for want of the catalog answers the last good copy (the home page's fallback), or the failure when none.
import { describe, expect, it } from 'vitest';
import { PageCache, type PageStore, type Rendered } from './page-cache';

const ctx = { waitUntil: (p: Promise<unknown>) => void p };
const policy = () => ({ freshSeconds: 60, fallbackSeconds: 3600 });
const page = (html: string, generation: string, status = 200): Rendered => ({
  html,
  status,
  generations: new Set([generation]),
});

function mapStore(): PageStore & { keys: () => string[] } {
  const m = new Map<string, { html: string; status: number; storedAt: number }>();
  return {
    match: async (k) => m.get(k),
    put: async (k, p) => void m.set(k, p),
    keys: () => [...m.keys()],
  };
}

describe('PageCache', () => {
  it('keeps a page under its generation, answers it while fresh, and renders again for a new generation', async () => {
    const store = mapStore();
    const cache = new PageCache(store, policy);
    let renders = 0;
    const render = (gen: string) => async () => {
      renders++;
      return page(`home at ${gen}`, gen);
    };
    expect(await cache.page(ctx, '0/1', '/', render('0/1'))).toMatchObject({ html: 'home at 0/1', cache: 'MISS' });
    expect(await cache.page(ctx, '0/1', '/', render('0/1'))).toMatchObject({ html: 'home at 0/1', cache: 'HIT' });
    expect(renders).toBe(1);
    expect(await cache.page(ctx, '0/2', '/', render('0/2'))).toMatchObject({ html: 'home at 0/2', cache: 'MISS' });
    expect(renders).toBe(2);
    expect(store.keys()).toEqual(expect.arrayContaining(['/0/1/', '/0/2/', '/fallback/']));
    // Past its freshness the page renders again (the backstop for a lost generation write).
    const later = () => Date.now() + 61_000;
    expect(await cache.page(ctx, '0/2', '/', render('0/2'), later)).toMatchObject({ cache: 'MISS' });
  });

  it('sends but does not keep a page made from another generation’s data (a catalog not caught up yet)', async () => {
    const cache = new PageCache(undefined, policy);
    let renders = 0;
    const old = async () => {
      renders++;
      return page('old title', '0/1');
    };
    expect(await cache.page(ctx, '0/2', '/p/x', old)).toMatchObject({ html: 'old title', cache: 'MISS' });
    expect(await cache.page(ctx, '0/2', '/p/x', old)).toMatchObject({ cache: 'MISS' });
    expect(renders).toBe(2);
    const mixed = async () => ({ html: 'mixed', status: 200, generations: new Set(['0/1', '0/2']) });
    await cache.page(ctx, '0/2', '/c/y', mixed);
    expect(await cache.page(ctx, '0/2', '/c/y', mixed)).toMatchObject({ cache: 'MISS' });
  });

  it('answers the last good copy when the catalog fails, and the failure when there is none', async () => {
    const cache = new PageCache(mapStore(), policy);
    await cache.page(ctx, '0/1', '/', async () => page('featured: A, B', '0/1'));
    const failing = async (): Promise<Rendered> => ({ html: 'catalog down', status: 503, generations: new Set() });
    // A new generation (nothing cached under it) while the catalog cannot answer: the last good home page.
    expect(await cache.page(ctx, '0/9', '/', failing)).toEqual({
      html: 'featured: A, B',
      status: 200,
      meta: undefined,
      cache: 'STALE',
    });
    const throwing = async (): Promise<Rendered> => {
      throw new Error('boom');
    };
    expect(await cache.page(ctx, '0/9', '/', throwing)).toMatchObject({ html: 'featured: A, B', cache: 'STALE' });
    expect(await cache.page(ctx, '0/9', '/never-seen', failing)).toMatchObject({ status: 503, cache: 'MISS' });
    // Too old a copy is not answered.
    const nextWeek = () => Date.now() + 8 * 86_400_000;
    expect(await cache.page(ctx, '0/9', '/', failing, nextWeek)).toMatchObject({ status: 503 });
  });

  it('never keeps a degraded page, and answers the last good copy of its generation instead when there is one', async () => {
    const cache = new PageCache(mapStore(), policy);
    const degraded = async (): Promise<Rendered> => ({ ...page('featured only', '0/1'), degraded: true });
    // No copy yet: the degraded page is answered, and not kept (the next request renders again).
    expect(await cache.page(ctx, '0/1', '/', degraded)).toMatchObject({ html: 'featured only', cache: 'MISS' });
    expect(await cache.page(ctx, '0/1', '/', degraded)).toMatchObject({ html: 'featured only', cache: 'MISS' });
    await cache.page(ctx, '0/1', '/', async () => page('featured and trending', '0/1'));
    // Past its freshness, the good copy of the same generation answers instead of the degraded render.
    const later = () => Date.now() + 61_000;
    expect(await cache.page(ctx, '0/1', '/', degraded, later)).toMatchObject({
      html: 'featured and trending',
      cache: 'STALE',
    });
    // Not a copy of another generation: it would hide a merchant's change, and the degraded page is current.
    const newer = async (): Promise<Rendered> => ({ ...page('featured only, new', '0/2'), degraded: true });
    expect(await cache.page(ctx, '0/2', '/', newer)).toMatchObject({ html: 'featured only, new', cache: 'MISS' });
  });

  it('keeps nothing without a generation, and no 4xx but a 404', async () => {
    const cache = new PageCache(undefined, policy);
    let renders = 0;
    const render = async () => {
      renders++;
      return page('x', '0/1');
    };
    await cache.page(ctx, undefined, '/', render);
    await cache.page(ctx, undefined, '/', render);
    expect(renders).toBe(2);
    const bad = async () => page('bad', '0/1', 400);
    await cache.page(ctx, '0/1', '/c/z?sort=x', bad);
    expect(await cache.page(ctx, '0/1', '/c/z?sort=x', bad)).toMatchObject({ cache: 'MISS' });
    const gone = async () => page('no such product', '0/1', 404);
    await cache.page(ctx, '0/1', '/p/gone', gone);
    expect(await cache.page(ctx, '0/1', '/p/gone', gone)).toMatchObject({ status: 404, cache: 'HIT' });
  });
});
