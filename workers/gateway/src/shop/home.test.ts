// The home page's render: featured and trending products with the categories; without trending (its read failed)
// the page still renders, marked degraded (the page cache then answers its last good copy: page-cache.test.ts);
// without products, the shell with the categories, the search and the request id, as a 503.
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../../../lib/client';
import { type HomeReads, renderHome } from './home';
import type { Read } from './reads';

const item = (slug: string): Schemas['ProductSummary'] => ({
  id: '2e38e2d8-2779-42c6-9d20-4431a2270000',
  slug,
  title: slug,
  brand: 'B',
  category: { slug: 'home', name: 'Home', path: 'home' },
  price: { amount: 1000, currency: 'USD' },
  image: `/images/${slug}.webp`,
  createdAt: '2026-11-30T09:45:00.000Z',
});
const down = { ok: false as const, status: 503, code: 'DB_UNAVAILABLE', message: 'down' };
const tree: Read<Schemas['CategoryTree']> = {
  ok: true,
  data: { categories: [{ slug: 'apparel', name: 'Apparel', path: 'apparel', children: [] }] },
};

function reads(parts: {
  tree?: Read<Schemas['CategoryTree']>;
  newest?: Read<Schemas['ProductList']>;
  trending?: Read<Schemas['ProductList']>;
}): HomeReads {
  const list = (slug: string) => ({ ok: true as const, data: { items: [item(slug)], nextCursor: null } });
  return {
    generations: new Set(['0/1']),
    categories: async () => parts.tree ?? tree,
    products: async (q) =>
      q.sort === 'trending' ? (parts.trending ?? list('hot-one')) : (parts.newest ?? list('new-one')),
  } as HomeReads;
}

describe('home page', () => {
  it('shows featured and trending products and the categories', async () => {
    const page = await renderHome(reads({}));
    expect(page).toMatchObject({ status: 200, degraded: false });
    expect(page.html).toContain('<h2 id="featured">');
    expect(page.html).toContain('<a href="/p/new-one">');
    expect(page.html).toContain('<h2 id="trending">Trending this week</h2>');
    expect(page.html).toContain('<a href="/p/hot-one">');
    // Below the featured grid: its images load lazily (the first featured ones do not).
    expect(page.html).toMatch(/src="\/images\/hot-one\.webp"[^>]*loading="lazy"/);
    expect(page.html).toMatch(/src="\/images\/new-one\.webp"[^>]*loading="eager"/);
    expect(page.html).toContain('<a href="/c/apparel">');
  });

  it('renders featured alone, marked degraded, when trending cannot be read; nothing sold leaves it out', async () => {
    const page = await renderHome(reads({ trending: down }));
    expect(page).toMatchObject({ status: 200, degraded: true });
    expect(page.html).toContain('<a href="/p/new-one">');
    expect(page.html).not.toContain('id="trending"');
    // Without the categories (and so the nav) it is degraded too: not kept as the home page of its generation.
    const noNav = await renderHome(reads({ tree: down }));
    expect(noNav).toMatchObject({ status: 200, degraded: true });
    expect(noNav.html).not.toContain('<a href="/c/apparel">');
    const none = await renderHome(reads({ trending: { ok: true, data: { items: [], nextCursor: null } } }));
    expect(none).toMatchObject({ status: 200, degraded: false });
    expect(none.html).not.toContain('id="trending"');
  });

  it('answers the shell with the categories, the search and the request id when products cannot be read', async () => {
    const page = await renderHome(reads({ newest: down, trending: down }), 'req-123');
    expect(page.status).toBe(503);
    expect(page.html).toContain('Our products cannot be shown right now');
    expect(page.html).toContain('or choose a category below');
    expect(page.html).toContain('<a href="/c/apparel">');
    expect(page.html).toContain('action="/search"');
    expect(page.html).toContain('<code>req-123</code>');
    expect(page.html).toContain('<meta name="robots" content="noindex"/>');
    const bare = await renderHome(reads({ tree: down, newest: down, trending: down }));
    expect(bare.status).toBe(503);
    expect(bare.html).toContain('<h1>Welcome to Edge Storefront</h1>');
    expect(bare.html).not.toContain('choose a category');
  });
});
