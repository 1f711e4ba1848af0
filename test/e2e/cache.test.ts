// Edge caching of catalog answers, the invalidation bound after a merchant write, and replica routing.
// The test stack runs with CACHE_FRESH_SECONDS=3, CACHE_SWR_SECONDS=4, GENERATION_TTL_MS=250.
import { describe, expect, it } from 'vitest';
import { api, client, eventually, insertProduct, merchantToken, ok, primary, replica, uniqueWord } from './helpers';

/** The documented bound for a merchant's change to show in catalog reads (locally; see README). */
const INVALIDATION_BOUND_MS = 2000;

const product = (slug: string) => client().GET('/v1/products/{slug}', { params: { path: { slug } } });
const search = (q: string) => client().GET('/v1/products', { params: { query: { q } } });
const patch = async (slug: string, body: { title?: string; priceAmount?: number }) =>
  ok(
    'merchant patch',
    client(await merchantToken()).PATCH('/v1/admin/products/{slug}', { params: { path: { slug } }, body }),
  );

describe('edge cache', () => {
  it('answers a repeat from the cache, whatever the parameter order and case', async () => {
    const word = uniqueWord();
    await insertProduct({ title: `${word} Lamp`, price: 4200 });
    const first = await client().GET('/v1/products', { params: { query: { q: word, sort: 'price_asc', limit: 5 } } });
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get('x-cache')).toBe('MISS');
    // Browsers revalidate every use; a CDN in front may keep it for the catalog's own windows.
    expect(first.response.headers.get('cache-control')).toBe('public, no-cache');
    expect(first.response.headers.get('cdn-cache-control')).toBe(
      'public, max-age=3, stale-while-revalidate=4, stale-if-error=3600',
    );
    // Raw: spellings of the same query (order, case, padding, leading zeros) that the typed client would not send.
    for (const variant of [
      `/v1/products?limit=5&sort=price_asc&q=${word}`,
      `/v1/products?sort=PRICE_ASC&q=${word.toUpperCase()}&limit=5`,
      `/v1/products?q=%20${word}%20&limit=05&sort=Price_Asc`,
    ]) {
      const again = await api(variant);
      expect(again.headers.get('x-cache'), variant).toBe('HIT');
      expect(again.body).toEqual(first.data);
    }
    // A different query is a different entry.
    const other = await client().GET('/v1/products', { params: { query: { q: word, sort: 'price_desc', limit: 5 } } });
    expect(other.response.headers.get('x-cache')).toBe('MISS');
  });

  it('serves stale while revalidating, then the refreshed answer', async () => {
    const word = uniqueWord();
    const slug = await insertProduct({ title: `${word} Kettle` });
    expect((await product(slug)).response.headers.get('x-cache')).toBe('MISS');
    // Changed behind the cache's back (no merchant write, so no invalidation): only expiry reveals it.
    await primary('update products set title = $1 where slug = $2', [`${word} Kettle Mk2`, slug]);
    await eventually('the replica has the change', async () =>
      (await replica('select title from products where slug = $1', [slug]))[0]?.title.endsWith('Mk2'),
    );
    await new Promise((r) => setTimeout(r, 3300));
    const stale = await product(slug);
    expect(stale.response.headers.get('x-cache')).toBe('STALE');
    expect(stale.data?.title).toBe(`${word} Kettle`);
    const refreshed = await eventually('the background refresh lands', async () => {
      const res = await product(slug);
      return res.response.headers.get('x-cache') === 'HIT' && res.data?.title.endsWith('Mk2') ? res : undefined;
    });
    expect(refreshed.data?.title).toBe(`${word} Kettle Mk2`);
  });

  it(`shows a merchant's change in product and list reads within ${INVALIDATION_BOUND_MS} ms`, async () => {
    const word = uniqueWord();
    const slug = await insertProduct({ title: `${word} Chair`, price: 9900 });
    await product(slug);
    await search(word);
    expect((await product(slug)).response.headers.get('x-cache')).toBe('HIT');
    expect((await search(word)).response.headers.get('x-cache')).toBe('HIT');

    const patched = await patch(slug, { title: `${word} Chair Deluxe`, priceAmount: 12345 });
    expect(patched.product).toMatchObject({
      slug,
      title: `${word} Chair Deluxe`,
      price: { amount: 12345, currency: 'USD' },
    });
    const changedAt = Date.now();

    await eventually(
      'product and list show the change',
      async () => {
        const [detail, list] = await Promise.all([product(slug), search(word)]);
        return (
          detail.data?.title === `${word} Chair Deluxe` &&
          detail.data.variants.every((v) => v.price.amount === 12345) &&
          list.data?.items[0]?.price.amount === 12345
        );
      },
      INVALIDATION_BOUND_MS,
      20,
    );
    const visibleAfter = Date.now() - changedAt;
    console.log(`merchant change visible after ${visibleAfter} ms`);
    expect(visibleAfter).toBeLessThanOrEqual(INVALIDATION_BOUND_MS);
    // ...and it stays visible: no later answer brings the old title back.
    for (let i = 0; i < 5; i++) expect((await product(slug)).data?.title).toBe(`${word} Chair Deluxe`);
  });
});

describe('the browser tier: ETag and 304', () => {
  it('answers a matching If-None-Match (the tag, a list, or *) with 304 and no body, a changed body anew', async () => {
    const word = uniqueWord();
    const slug = await insertProduct({ title: `${word} Stool`, price: 3100 });
    const paths = [`/v1/products/${slug}`, `/v1/products?q=${word}`, '/v1/categories'];
    for (const path of paths) {
      const first = await api(path);
      expect(first.status, path).toBe(200);
      const etag = first.headers.get('etag')!;
      expect(etag, path).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);
      expect(first.headers.get('cache-control'), path).toBe('public, no-cache');
      for (const inm of [etag, `"nope", ${etag}`, etag.slice(2), '*']) {
        const again = await api(path, { headers: { 'if-none-match': inm } });
        expect(again.status, `${path} ${inm}`).toBe(304);
        expect(again.body, path).toBe('');
        expect(again.headers.get('etag'), path).toBe(etag);
        expect(again.headers.get('x-cache'), path).toMatch(/^(HIT|STALE)$/);
      }
      expect((await api(path, { headers: { 'if-none-match': 'W/"nope"' } })).status, path).toBe(200);
    }
    // After a merchant's change the old tag no longer matches: the new body comes with a new tag.
    const before = (await api(`/v1/products/${slug}`)).headers.get('etag')!;
    await patch(slug, { priceAmount: 3200 });
    const changed = await eventually('the change, with a new tag', async () => {
      const res = await api(`/v1/products/${slug}`, { headers: { 'if-none-match': before } });
      return res.status === 200 ? res : undefined;
    });
    expect(changed.body.price.amount).toBe(3200);
    expect(changed.headers.get('etag')).not.toBe(before);
  });

  it('sends an unknown product its 404 whatever If-None-Match says', async () => {
    const res = await api('/v1/products/no-such-product-etag', { headers: { 'if-none-match': '*' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('etag')).toBeNull();
  });
});

describe('replica routing', () => {
  it('reads from the replica: with replay paused, a direct primary change is not seen', async () => {
    const word = uniqueWord();
    const slug = await insertProduct({ title: `${word} Vase` });
    await eventually(
      'replica has the product',
      async () => (await replica('select 1 from products where slug = $1', [slug])).length === 1,
    );
    await replica('select pg_wal_replay_pause()');
    try {
      await primary('update products set title = $1 where slug = $2', [`${word} Vase Changed`, slug]);
      const res = await product(slug);
      expect(res.response.status).toBe(200);
      expect(res.data?.title).toBe(`${word} Vase`); // the primary already says "Changed"
      expect((await primary('select title from products where slug = $1', [slug]))[0].title).toBe(
        `${word} Vase Changed`,
      );
    } finally {
      await replica('select pg_wal_replay_resume()');
    }
  });

  it('never fills the cache from a replica that has not replayed the merchant write', async () => {
    const word = uniqueWord();
    const slug = await insertProduct({ title: `${word} Rug` });
    await eventually(
      'replica has the product',
      async () => (await replica('select 1 from products where slug = $1', [slug])).length === 1,
    );
    await replica('select pg_wal_replay_pause()');
    try {
      await patch(slug, { title: `${word} Rug Woven` }); // throws unless 200
      // The replica is behind the write, so the catalog reads this generation's fill from the primary.
      const seen = await eventually(
        'new title visible while the replica lags',
        async () => {
          const res = await product(slug);
          return res.data?.title === `${word} Rug Woven` ? res : undefined;
        },
        INVALIDATION_BOUND_MS,
      );
      expect(seen.response.status).toBe(200);
      expect((await replica('select title from products where slug = $1', [slug]))[0].title).toBe(`${word} Rug`);
    } finally {
      await replica('select pg_wal_replay_resume()');
    }
  });
});
