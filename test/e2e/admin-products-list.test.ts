// GET /v1/admin/products, the merchant's product list behind the console's products page: every status (a draft
// is listed at once), search by title, slug or SKU, status filter, keyset pages bound to their filters; bad input
// and callers below the merchant role refused.
import { describe, expect, it } from 'vitest';
import { guestToken } from './checkout-helpers';
import { client, merchantToken, ok, uniqueWord } from './helpers';
import { expectError } from './identity-helpers';

const as = async () => client(await merchantToken());

async function draft(word: string, n: number) {
  const slug = `${word}-${n}`;
  const body = {
    slug,
    title: `List test ${word} ${n}`,
    brand: 'Harbor',
    category: 'footwear',
    currency: 'USD',
    variants: [{ sku: `${slug.toUpperCase()}-ONE`, title: 'One', priceAmount: 1000 + n, initialStock: 1 }],
  };
  return ok('create', (await as()).POST('/v1/admin/products', { body })).then((r) => r.product);
}

describe('GET /v1/admin/products', () => {
  it('lists drafts at once, searches by title, slug and SKU, filters by status, and pages with cursors', async () => {
    const word = uniqueWord('list');
    const made = [];
    for (let n = 1; n <= 3; n++) made.push(await draft(word, n));
    const c = await as();
    const first = await ok('list', c.GET('/v1/admin/products', { params: { query: { q: word, limit: 2 } } }));
    // Newest first: the third, then the second; then the first on the next page.
    expect(first.products.map((p) => p.slug)).toEqual([`${word}-3`, `${word}-2`]);
    expect(first.products[0]).toMatchObject({
      status: 'draft',
      category: 'footwear',
      currency: 'USD',
      priceAmount: 1003,
      variants: 1,
      image: null,
    });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await ok(
      'page 2',
      c.GET('/v1/admin/products', { params: { query: { q: word, limit: 2, cursor: first.nextCursor! } } }),
    );
    expect(second.products.map((p) => p.slug)).toEqual([`${word}-1`]);
    expect(second.nextCursor).toBeNull();

    const bySku = await ok('sku', c.GET('/v1/admin/products', { params: { query: { q: `${word}-2-one` } } }));
    expect(bySku.products.map((p) => p.id)).toEqual([made[1]!.id]);
    const published = await ok(
      'published',
      c.GET('/v1/admin/products', { params: { query: { q: word, status: 'published' } } }),
    );
    expect(published.products).toEqual([]);
    // The seed's published products are listed too, in every status filter that matches them.
    const seeded = await ok('seed', c.GET('/v1/admin/products', { params: { query: { status: 'published' } } }));
    expect(seeded.products.length).toBeGreaterThan(0);
    expect(seeded.products.every((p) => p.status === 'published')).toBe(true);

    // A cursor made for other filters, a bad status, an unknown parameter: 400.
    expectError(
      await c.GET('/v1/admin/products', { params: { query: { q: 'other', cursor: first.nextCursor! } } }),
      400,
    );
    expectError(await c.GET('/v1/admin/products', { params: { query: { status: 'gone' as never } } }), 400);
    expectError(await c.GET('/v1/admin/products', { params: { query: { sort: 'x' } as never } }), 400);
  });

  it('answers 401 without a token and 403 to a shopper', async () => {
    expectError(await client().GET('/v1/admin/products'), 401);
    expectError(await client(await guestToken()).GET('/v1/admin/products'), 403);
  });
});
