// Facets on the category and search pages, against a fake API: the pages ask for the counts with the page's filters,
// show each value as a link that adds or takes away its filter (no JavaScript), keep the filters in the sort form and
// the paging links, and refuse a price that is not a whole number before any call.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppFetch } from '../web/api';
import { filtersOf } from './browse';
import { shopRoutes } from './routes';
import type { ShopApp } from './session';

const tree = {
  categories: [{ slug: 'apparel', name: 'Apparel', path: 'apparel', children: [] }],
};
const item = {
  id: '0f8e0c1a-0000-4000-8000-000000000000',
  slug: 'linen-shirt',
  title: 'Linen Shirt',
  brand: 'Northfold',
  category: { slug: 'apparel', name: 'Apparel', path: 'apparel' },
  price: { amount: 4900, currency: 'USD' },
  image: null,
  createdAt: '2026-11-28T16:03:10.007Z',
};
const facets = {
  brand: [
    { value: 'northfold', label: 'Northfold', count: 3 },
    { value: 'vusa studio', label: 'Vusa Studio', count: 1 },
    // A brand with a comma: the API escapes it in `value`, so it stays one value of a comma list.
    { value: 'smith\\, jones', label: 'Smith, Jones', count: 1 },
  ],
  size: [
    { value: 'm', label: 'M', count: 2 },
    { value: 'xl', label: 'XL', count: 1 },
  ],
  price: [
    { band: '2500-4999', min: 2500, max: 4999, count: 3 },
    { band: '100000-', min: 100000, max: null, count: 1 },
  ],
};
const asked: URL[] = [];
const fakeApi: AppFetch = async (request) => {
  const url = new URL(request.url);
  if (url.pathname === '/v1/categories') return Response.json(tree);
  asked.push(url);
  return Response.json({ items: [item], nextCursor: 'abc', facets, facetsExhaustive: true });
};
const env = { CATALOG: { generation: async () => ({ ok: false, error: { code: 'UNAVAILABLE', message: 'x' } }) } };
const app = new Hono<ShopApp>()
  .use(async (c, next) => {
    c.set('requestId', 'req-test-1');
    await next();
  })
  .route('/', shopRoutes(fakeApi));
const page = async (path: string) => {
  asked.length = 0;
  const res = await app.request(`https://shop.example${path}`, {}, env);
  return { status: res.status, html: await res.text(), asked: asked.at(-1) };
};
const decoded = (html: string) => html.replaceAll('&amp;', '&');

describe('facets on the browse pages', () => {
  it('a category page asks for the counts with its filters and links each value to its filter', async () => {
    const { status, html, asked } = await page('/c/apparel?size=M&brand=Northfold&sort=price_asc');
    expect(status).toBe(200);
    expect(Object.fromEntries(asked!.searchParams)).toMatchObject({
      category: 'apparel',
      brand: 'northfold',
      size: 'm',
      sort: 'price_asc',
      facets: 'brand,colour,price,size',
    });
    const links = decoded(html);
    // Selected: its link takes it away; not selected: its link adds it (sorted, first page).
    expect(links).toContain('<a href="/c/apparel?brand=northfold&sort=price_asc" aria-current="true">✓ M (2)</a>');
    expect(links).toContain('href="/c/apparel?brand=northfold&size=m%2Cxl&sort=price_asc">XL (1)</a>');
    expect(links).toContain('href="/c/apparel?size=m&sort=price_asc" aria-current="true">✓ Northfold (3)</a>');
    expect(links).toContain('href="/c/apparel?brand=northfold%2Cvusa+studio&size=m&sort=price_asc">Vusa Studio (1)');
    expect(links).toContain('href="/c/apparel?brand=northfold&price_max=4999&price_min=2500&size=m&sort=price_asc">');
    expect(links).toContain('$1,000.00 and up (1)');
    expect(links).toContain('<a href="/c/apparel?sort=price_asc">Clear filters</a>');
    expect(links).toContain('<details open="">'); // folded only while no filter is chosen
    // The sort form and the next page keep the filters.
    expect(links).toContain('<input type="hidden" name="brand" value="northfold"/>');
    expect(links).toContain('href="/c/apparel?sort=price_asc&brand=northfold&size=m&cursor=abc" rel="next"');
  });

  it('the search page counts every kind, and a selected price band links to clearing it', async () => {
    const { html, asked } = await page('/search?q=linen&price_min=2500&price_max=4999');
    expect(Object.fromEntries(asked!.searchParams)).toMatchObject({
      q: 'linen',
      price_min: '2500',
      price_max: '4999',
      facets: 'all',
    });
    expect(decoded(html)).toContain('<a href="/search?q=linen" aria-current="true">✓ $25.00 – $49.99 (3)</a>');
    const plain = await page('/search?q=linen');
    expect(plain.html).toContain('<details><summary>Filter</summary>');
    expect(plain.html).not.toContain('Clear filters');
  });

  it('refuses a price that is not a whole number, and an unknown parameter, before any call', async () => {
    for (const path of ['/c/apparel?price_min=1.5', '/search?q=x&price_max=-1', '/c/apparel?color=navy']) {
      const { status, asked } = await page(path);
      expect(status, path).toBe(400);
      expect(asked, path).toBeUndefined();
    }
  });

  it('keeps a value with a comma one value: selected, added beside others, and taken away', async () => {
    const chosen = await page('/c/apparel?brand=Smith%5C%2C++Jones');
    expect(chosen.asked!.searchParams.get('brand')).toBe('smith\\, jones');
    expect(decoded(chosen.html)).toContain('<a href="/c/apparel" aria-current="true">✓ Smith, Jones (1)</a>');
    const other = await page('/c/apparel?brand=northfold');
    expect(decoded(other.html)).toContain('href="/c/apparel?brand=northfold%2Csmith%5C%2C+jones">Smith, Jones (1)');
  });

  it('normalizes the filters as the API does, so a page has one cache key', () => {
    expect(
      filtersOf({ brand: ' Vusa  Studio,northfold,NORTHFOLD', price_min: '0100' }, ['brand', 'price_min']),
    ).toEqual({
      brand: 'northfold,vusa studio',
      price_min: '100',
    });
  });
});
