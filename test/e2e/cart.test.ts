// Carts through the running gateway: one per shopper, whole-cart answers with ETags, prices from the catalog,
// bounds, currency, optimistic concurrency, isolation between shoppers, and the guest-to-customer merge.
import { describe, expect, it } from 'vitest';
import { adminPatch, api, eventually, insertProduct, postJson, primary, uniqueWord } from './helpers';

async function guestToken() {
  return (await postJson('/v1/auth/guest', {})).body.accessToken as string;
}
const as = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
const add = (token: string, sku: string, quantity = 1, extra: Record<string, string> = {}) =>
  postJson('/v1/cart/items', { sku, quantity }, as(token, extra));
async function skuOf(slug: string): Promise<string> {
  const [row] = await primary<{ sku: string }>(
    'select v.sku from product_variants v join products p on p.id = v.product_id where p.slug = $1 order by v.position limit 1',
    [slug],
  );
  return row!.sku;
}
async function seededSkus(n: number): Promise<string[]> {
  const rows = await primary<{ sku: string }>(
    "select sku from product_variants where currency = 'USD' order by sku limit $1",
    [n],
  );
  return rows.map((r) => r.sku);
}

describe('cart', () => {
  it('needs a token, starts empty, and answers the whole cart with prices from the catalog', async () => {
    expect((await api('/v1/cart')).status).toBe(401);
    const token = await guestToken();
    const empty = await api('/v1/cart', { headers: as(token) });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ lines: [], itemCount: 0, subtotal: null, version: 0 });
    expect(empty.headers.get('etag')).toBe('"v0"');

    const [a, b] = await seededSkus(2);
    const [price] = await primary<{ price_amount: number }>(
      'select price_amount from product_variants where sku = $1',
      [a],
    );
    const first = await add(token, a!, 2);
    expect(first.status).toBe(200);
    const second = await add(token, b!, 1);
    const again = await add(token, a!, 1); // quantities add up
    expect(again.body.lines.find((l: { sku: string }) => l.sku === a).quantity).toBe(3);
    expect(again.body.lines[0]).toMatchObject({
      sku: a,
      unitPrice: { amount: price!.price_amount, currency: 'USD' },
      priceChanged: false,
      available: true,
    });
    expect(again.body.itemCount).toBe(4);
    expect(again.body.subtotal.amount).toBe(
      again.body.lines.reduce((n: number, l: { lineTotal: { amount: number } }) => n + l.lineTotal.amount, 0),
    );
    expect(again.body.version).toBe(3);
    expect(again.headers.get('etag')).toBe('"v3"');
    expect(second.body.version).toBe(2);

    const patched = await api(`/v1/cart/items/${b}`, {
      method: 'PATCH',
      headers: as(token, { 'content-type': 'application/json' }),
      body: '{"quantity": 5}',
    });
    expect(patched.body.lines.find((l: { sku: string }) => l.sku === b).quantity).toBe(5);
    const removed = await api(`/v1/cart/items/${b}`, { method: 'DELETE', headers: as(token) });
    expect(removed.body.lines.map((l: { sku: string }) => l.sku)).toEqual([a]);
  });

  it('refuses unknown SKUs (404), client prices (400), bounds (422) and other currencies (409)', async () => {
    const token = await guestToken();
    expect((await add(token, 'NO-SUCH-SKU-1')).status).toBe(404);
    expect((await postJson('/v1/cart/items', { sku: 'X-1', quantity: 1, price: 1 }, as(token))).status).toBe(400);
    const [a] = await seededSkus(1);
    expect((await add(token, a!, 11)).status).toBe(422);
    expect((await add(token, a!, 0)).status).toBe(400);
    expect((await add(token, a!, 10)).status).toBe(200);
    expect((await add(token, a!, 1)).body.error.code).toBe('CART_LIMIT_EXCEEDED');
    const eurSlug = await insertProduct({ title: `Euro Mug ${uniqueWord()}` });
    await primary(
      "update product_variants set currency = 'EUR' where product_id = (select id from products where slug = $1)",
      [eurSlug],
    );
    await primary("update products set currency = 'EUR' where slug = $1", [eurSlug]);
    const mismatch = await add(token, await skuOf(eurSlug));
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.error.code).toBe('CURRENCY_MISMATCH');
  });

  it('answers 412 to a write with a stale If-Match and applies a fresh one', async () => {
    const token = await guestToken();
    const [a, b] = await seededSkus(2);
    const first = await add(token, a!);
    const etag = first.headers.get('etag')!;
    expect((await add(token, b!, 1, { 'if-match': etag })).status).toBe(200);
    const stale = await add(token, b!, 1, { 'if-match': etag });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('PRECONDITION_FAILED');
    expect((await add(token, b!, 1, { 'if-match': 'garbage' })).status).toBe(412);
  });

  it('shows a new price and says it changed', async () => {
    const token = await guestToken();
    const slug = await insertProduct({ title: `Price Watch ${uniqueWord()}`, price: 1000 });
    const sku = await skuOf(slug);
    await add(token, sku, 2);
    expect((await adminPatch(slug, { priceAmount: 1250 })).status).toBe(200);
    // Within the catalog's invalidation bound (README), like every catalog read.
    const cart = await eventually(
      'the cart shows the new price',
      async () => {
        const res = await api('/v1/cart', { headers: as(token) });
        return res.body.lines[0].unitPrice.amount === 1250 ? res : undefined;
      },
      2000,
    );
    expect(cart.body.lines[0]).toMatchObject({
      unitPrice: { amount: 1250 },
      previousUnitPrice: { amount: 1000 },
      priceChanged: true,
      lineTotal: { amount: 2500 },
    });
  });

  it('keeps shoppers apart: each token sees only its own cart', async () => {
    const [a] = await seededSkus(1);
    const alice = await guestToken();
    const bob = await guestToken();
    await add(alice, a!, 3);
    expect((await api('/v1/cart', { headers: as(bob) })).body.lines).toEqual([]);
    // Bob cannot change Alice's line either: there is no way to name another cart, and his own has no such line.
    const bobsDelete = await api(`/v1/cart/items/${a}`, { method: 'DELETE', headers: as(bob) });
    expect(bobsDelete.status).toBe(404);
    expect(JSON.stringify(bobsDelete.body)).not.toContain('"lines"');
    expect((await api('/v1/cart', { headers: as(alice) })).body.itemCount).toBe(3);
  });

  it('merges the guest cart into the customer cart at login, once, even with two logins at once', async () => {
    const [a, b] = await seededSkus(2);
    const email = `${uniqueWord()}@example.com`;
    const reg = await postJson('/v1/auth/register', { email, password: 'a long enough password' });
    await add(reg.body.accessToken, a!, 1);
    const guest = await guestToken();
    await add(guest, a!, 2);
    await add(guest, b!, 1);
    const logins = await Promise.all(
      [0, 1].map(() => postJson('/v1/auth/login', { email, password: 'a long enough password' }, as(guest))),
    );
    expect(logins.map((l) => l.status)).toEqual([200, 200]);
    const merged = await api('/v1/cart', { headers: as(logins[0]!.body.accessToken) });
    const qty = Object.fromEntries(
      merged.body.lines.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity]),
    );
    expect(qty).toEqual({ [a!]: 3, [b!]: 1 });
    expect((await api('/v1/cart', { headers: as(guest) })).body.lines).toEqual([]);
  });
});
