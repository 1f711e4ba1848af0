// Carts through the running gateway: one per shopper, whole-cart answers with ETags, prices from the catalog,
// bounds, currency, optimistic concurrency, isolation between shoppers, and the guest-to-customer merge.
import { describe, expect, it } from 'vitest';
import { adminPatch, client, eventually, insertProduct, ok, postJson, primary, uniqueWord } from './helpers';

async function guestToken() {
  return (await ok('guest', client().POST('/v1/auth/guest'))).accessToken;
}
const as = (token: string) => ({ authorization: `Bearer ${token}` });
const add = (token: string, sku: string, quantity = 1, ifMatch?: string) =>
  client(token).POST('/v1/cart/items', {
    params: { header: ifMatch === undefined ? {} : { 'if-match': ifMatch } },
    body: { sku, quantity },
  });
const cartOf = (token: string) => client(token).GET('/v1/cart');
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
    expect((await client().GET('/v1/cart')).response.status).toBe(401);
    const token = await guestToken();
    const empty = await cartOf(token);
    expect(empty.response.status).toBe(200);
    expect(empty.data).toMatchObject({ lines: [], itemCount: 0, subtotal: null, version: 0 });
    expect(empty.response.headers.get('etag')).toBe('"v0"');

    const [a, b] = await seededSkus(2);
    const [price] = await primary<{ price_amount: number }>(
      'select price_amount from product_variants where sku = $1',
      [a],
    );
    const first = await add(token, a!, 2);
    expect(first.response.status).toBe(200);
    const second = await ok('add', add(token, b!, 1));
    const added = await add(token, a!, 1); // quantities add up
    const again = added.data!;
    expect(again.lines.find((l) => l.sku === a)!.quantity).toBe(3);
    expect(again.expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(again.lines[0]).toMatchObject({
      sku: a,
      unitPrice: { amount: price!.price_amount, currency: 'USD' },
      priceChanged: false,
      available: true,
    });
    expect(again.itemCount).toBe(4);
    expect(again.subtotal!.amount).toBe(again.lines.reduce((n, l) => n + l.lineTotal.amount, 0));
    expect(again.version).toBe(3);
    expect(added.response.headers.get('etag')).toBe('"v3"');
    expect(second.version).toBe(2);

    const line = { params: { path: { sku: b! } } };
    const patched = await ok('patch', client(token).PATCH('/v1/cart/items/{sku}', { ...line, body: { quantity: 5 } }));
    expect(patched.lines.find((l) => l.sku === b)!.quantity).toBe(5);
    const removed = await ok('delete', client(token).DELETE('/v1/cart/items/{sku}', line));
    expect(removed.lines.map((l) => l.sku)).toEqual([a]);
  });

  it('refuses unknown SKUs (404), client prices (400), bounds (422) and other currencies (409)', async () => {
    const token = await guestToken();
    expect((await add(token, 'NO-SUCH-SKU-1')).response.status).toBe(404);
    // A price from the client: a body the typed client would not build, sent raw.
    const priced = await postJson('/v1/cart/items', { sku: 'X-1', quantity: 1, price: 1 }, as(token));
    expect(priced.status).toBe(400);
    expect(priced.body.error.message).toBe('Invalid body: Unrecognized key: "price"');
    const [a] = await seededSkus(1);
    expect((await add(token, a!, 11)).response.status).toBe(422);
    expect((await add(token, a!, 0)).response.status).toBe(400);
    expect((await add(token, a!, 10)).response.status).toBe(200);
    expect((await add(token, a!, 1)).error?.error.code).toBe('CART_LIMIT_EXCEEDED');
    const eurSlug = await insertProduct({ title: `Euro Mug ${uniqueWord()}` });
    await primary(
      "update product_variants set currency = 'EUR' where product_id = (select id from products where slug = $1)",
      [eurSlug],
    );
    await primary("update products set currency = 'EUR' where slug = $1", [eurSlug]);
    const mismatch = await add(token, await skuOf(eurSlug));
    expect(mismatch.response.status).toBe(409);
    expect(mismatch.error?.error.code).toBe('CURRENCY_MISMATCH');
  });

  it('answers 412 to a write with a stale If-Match and applies a fresh one', async () => {
    const token = await guestToken();
    const [a, b] = await seededSkus(2);
    const first = await add(token, a!);
    const etag = first.response.headers.get('etag')!;
    expect((await add(token, b!, 1, etag)).response.status).toBe(200);
    const stale = await add(token, b!, 1, etag);
    expect(stale.response.status).toBe(412);
    expect(stale.error?.error.code).toBe('PRECONDITION_FAILED');
    expect((await add(token, b!, 1, 'garbage')).response.status).toBe(412);
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
        const { data } = await cartOf(token);
        return data?.lines[0]?.unitPrice.amount === 1250 ? data : undefined;
      },
      2000,
    );
    expect(cart.lines[0]).toMatchObject({
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
    expect((await cartOf(bob)).data?.lines).toEqual([]);
    // Bob cannot change Alice's line either: there is no way to name another cart, and his own has no such line.
    const bobsDelete = await client(bob).DELETE('/v1/cart/items/{sku}', { params: { path: { sku: a! } } });
    expect(bobsDelete.response.status).toBe(404);
    expect(JSON.stringify(bobsDelete.error)).not.toContain('"lines"');
    expect((await cartOf(alice)).data?.itemCount).toBe(3);
  });

  it('merges the guest cart into the customer cart at login, once, even with two logins at once', async () => {
    const [a, b] = await seededSkus(2);
    const email = `${uniqueWord()}@example.com`;
    const password = 'a long enough password';
    const reg = await ok('register', client().POST('/v1/auth/register', { body: { email, password } }));
    await add(reg.accessToken, a!, 1);
    const guest = await guestToken();
    await add(guest, a!, 2);
    await add(guest, b!, 1);
    // The guest's token as the bearer of /login merges the guest cart.
    const logins = await Promise.all(
      [0, 1].map(() => client(guest).POST('/v1/auth/login', { body: { email, password } })),
    );
    expect(logins.map((l) => l.response.status)).toEqual([200, 200]);
    const merged = await ok('cart', cartOf(logins[0]!.data!.accessToken));
    const qty = Object.fromEntries(merged.lines.map((l) => [l.sku, l.quantity]));
    expect(qty).toEqual({ [a!]: 3, [b!]: 1 });
    expect((await cartOf(guest)).data?.lines).toEqual([]);
  });
});
