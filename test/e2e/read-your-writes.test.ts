// Read-your-writes (lib/db/read-after.ts, middleware/read-after.ts): a merchant's write is answered with an
// `x-read-after` token, and that merchant's read that echoes it never shows the state before the write, though the
// replica of its region (`us`, the first) has its replay paused: it is served by a replica that has replayed the
// write (`eu`) or the primary. The token is the writer's (another account's read ignores it) and scoped: an order
// or stock change's token leaves the catalog's shared cache to answer, unless the change was sent with a catalog
// token, whose scope it keeps. A shopper's orders come from their OrdersDO, so they show a checkout at once with no
// token.
// Serial (test/stack.config.ts): it pauses replay on the first replica.
import { afterEach, describe, expect, it } from 'vitest';
import { copied } from './admin-orders-helpers';
import { checkout, checkoutBody, freshSku, orderOf, orders, shopperWith } from './checkout-helpers';
import { Browser } from './console-helpers';
import {
  adminPatch,
  api,
  eventually,
  insertProduct,
  merchantToken,
  primary,
  replica,
  replicaEu,
  uniqueWord,
} from './helpers';

const COOKIE = '__Host-read_after';
const TOKEN = /^v2\.(catalog|other)\.[0-9A-F]{1,8}\/[0-9A-F]{1,8}\.\d{10}\.[A-Za-z0-9_-]{43}$/;
const titleOn = async (db: typeof replica, slug: string) =>
  (await db<{ title: string }>('select title from products where slug = $1', [slug]))[0]?.title;
/** The public product read, as the merchant (a token is honoured only for the account that wrote). */
const readProduct = async (slug: string, headers: Record<string, string> = {}) =>
  api(`/v1/products/${slug}`, {
    headers: { authorization: `Bearer ${await merchantToken()}`, 'x-read-region': 'us', ...headers },
  });
const searchOrders = async (email: string, headers: Record<string, string> = {}) => {
  const res = await api(`/v1/admin/orders?email=${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${await merchantToken()}`, 'x-read-region': 'us', ...headers },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.orders as { id: string }[]).map((o) => o.id);
};

afterEach(async () => {
  await replica('select pg_wal_replay_resume()');
  await replicaEu('select pg_wal_replay_resume()');
});

describe('read-your-writes', () => {
  it("a merchant's next read with the token sees the write while the region's replica lags it", async () => {
    const word = uniqueWord();
    const slug = await insertProduct({ title: `${word} Ladle` });
    await eventually(
      'both replicas have it',
      async () => (await titleOn(replica, slug)) && (await titleOn(replicaEu, slug)),
    );
    expect((await readProduct(slug)).body.title).toBe(`${word} Ladle`); // cached under the current generation
    await replica('select pg_wal_replay_pause()');
    const write = await adminPatch(slug, { title: `${word} Ladle Steel` });
    expect(write.status).toBe(200);
    const token = write.headers.get('x-read-after');
    expect(token).toMatch(TOKEN);
    // The very next read, with the token: the write, at once (no waiting for the generation to reach the catalog).
    const after = await readProduct(slug, { 'x-read-after': token! });
    expect(after.status).toBe(200);
    expect(after.body.title).toBe(`${word} Ladle Steel`);
    // ...though the region's replica still has the product as it was before the write.
    expect(await titleOn(replica, slug)).toBe(`${word} Ladle`);
    // Then a stock change, sent with that token (a client keeps only the newest): its token is `catalog` too, so the
    // merchant's next catalog read still sees the product edit.
    const [variant] = await primary<{ sku: string }>(
      'select v.sku from product_variants v join products p on p.id = v.product_id where p.slug = $1',
      [slug],
    );
    const stock = await api(`/v1/admin/inventory/${variant!.sku}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${await merchantToken()}`,
        'content-type': 'application/json',
        'x-read-after': token!,
      },
      body: JSON.stringify({ onHand: 4 }),
    });
    expect(stock.status, JSON.stringify(stock.body)).toBe(200);
    const next = stock.headers.get('x-read-after')!;
    expect(next).toMatch(/^v2\.catalog\./);
    expect((await readProduct(slug, { 'x-read-after': next })).body.title).toBe(`${word} Ladle Steel`);
  });

  it("an order or stock change's token leaves the catalog's shared cache to answer the merchant", async () => {
    const slug = await insertProduct({ title: `${uniqueWord()} Whisk` });
    const sku = await freshSku(3);
    await eventually('the replica has it', () => titleOn(replica, slug));
    const before = await readProduct(slug);
    const generation = before.headers.get('x-catalog-generation');
    expect(generation).toBeTruthy();
    const stock = await api(`/v1/admin/inventory/${sku}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await merchantToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ onHand: 4 }),
    });
    expect(stock.status, JSON.stringify(stock.body)).toBe(200);
    const token = stock.headers.get('x-read-after')!;
    expect(token).toMatch(/^v2\.other\./);
    expect(token.split('.')[2]).not.toBe(generation); // the stock change's audit entry is past the generation
    // The catalog keys the read on the shared generation, not the token's position: the shared entries answer.
    const after = await readProduct(slug, { 'x-read-after': token });
    expect(after.status).toBe(200);
    expect(after.headers.get('x-catalog-generation')).toBe(generation);
  });

  it("routes the merchant's reads past the lagging replica, API and console; without the token they are stale", async () => {
    const email = `ryw-${uniqueWord()}@example.com`;
    const sku = await freshSku(5);
    await eventually(
      'the replica has the SKU',
      async () => (await replica('select 1 from product_variants where sku = $1', [sku])).length === 1,
    );
    const shopper = await shopperWith(sku, 1);
    // The merchant's console session, and a product for its write, ready before replay is paused.
    const b = new Browser();
    await b.signInAs('merchant');
    expect(b.cookies.has(COOKIE)).toBe(false); // signing in writes nothing of the merchant's
    const slug = await insertProduct({ title: `${uniqueWord()} Cruet` });
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await b.request(`/admin/products/${slug}`)).text())![1]!;
    const consoleList = async () => (await b.request(`/admin/orders?email=${encodeURIComponent(email)}`)).text();

    await replica('select pg_wal_replay_pause()');
    const r = await checkout(shopper, checkoutBody('pm_card_visa', { email }));
    expect(r.response.status, JSON.stringify(r.error)).toBe(202);
    const orderId = r.data!.orderId;
    // The shopper's own reads of their orders come from their OrdersDO: the order is there at once, no token needed.
    expect((await orderOf(shopper, orderId)).response.status).toBe(200);
    expect((await orders(shopper)).data!.orders.map((o) => o.id)).toContain(orderId);
    await copied(orderId); // the order's copy is on the primary now
    // The merchant's order search reads the region's replica, which has not replayed the copy: stale without a token.
    expect(await searchOrders(email)).toEqual([]);
    expect(await consoleList()).not.toContain(orderId);
    // A merchant write: its token's position is past everything committed before it, the copy included.
    const tag = `${uniqueWord()} Tag`;
    const write = await adminPatch(await insertProduct({ title: tag }), { title: `${tag} Brass` });
    expect(write.status).toBe(200);
    const token = write.headers.get('x-read-after')!;
    expect(token).toMatch(TOKEN);
    expect(await searchOrders(email, { 'x-read-after': token })).toEqual([orderId]);
    // The console: a form that writes sets the token as a cookie, and the next page's API calls carry it.
    const form = await b.request(`/admin/products/${slug}/status`, {
      method: 'POST',
      form: { csrf, action: 'unpublish' },
    });
    expect(form.status).toBe(303);
    const cookie = b.last.find((c) => c.name === COOKIE);
    expect(decodeURIComponent(cookie?.value ?? '')).toMatch(TOKEN);
    expect(cookie?.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']));
    expect(await consoleList()).toContain(orderId);
    expect(await replica('select 1 from orders where id = $1', [orderId])).toEqual([]); // us still lags
  });

  it('ignores a token that does not verify, or of the first format: the read is answered as without one', async () => {
    for (const token of [
      'v2.catalog.FF/FFFFFFFF.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'v1.FF/FFFFFFFF.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      const res = await api('/v1/categories', {
        headers: { authorization: `Bearer ${await merchantToken()}`, 'x-read-after': token },
      });
      expect(res.status).toBe(200);
    }
  });
});
