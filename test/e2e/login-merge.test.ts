// Issue 11, finding 9: with both carts at their line limit (CART_MAX_LINES, 50), signing in with the guest token
// answered 200, emptied the guest cart, and 50 items vanished without a word. Now what does not fit stays in the
// guest cart, and the login answer says which lines and why.
import { describe, expect, it } from 'vitest';
import { client, ok, primary, uniqueWord } from './helpers';

const MAX_LINES = 50; // the cart worker's CART_MAX_LINES default, unchanged in the test stack

async function fillCart(token: string, skus: string[]) {
  // Sequential per cart: each write is a check-and-write on one object, and the order does not matter here.
  for (const sku of skus) await ok(`add ${sku}`, client(token).POST('/v1/cart/items', { body: { sku, quantity: 1 } }));
}

describe('login merge with both carts at their line limit', () => {
  it('keeps every guest line that does not fit in the guest cart and names it in the answer', async () => {
    const rows = await primary<{ sku: string }>(
      `select v.sku from product_variants v join products p on p.id = v.product_id
       where v.currency = 'USD' and p.status = 'published' order by v.sku desc limit $1`,
      [2 * MAX_LINES],
    );
    const skus = rows.map((r) => r.sku);
    expect(skus).toHaveLength(2 * MAX_LINES);
    const [mine, theirs] = [skus.slice(0, MAX_LINES), skus.slice(MAX_LINES)];
    // One SKU in both carts: its units can merge (the line exists); every other guest line needs a new line.
    const shared = mine[0]!;
    const guestSkus = [shared, ...theirs.slice(1)];

    const email = `${uniqueWord()}@example.com`;
    const password = 'a long enough password';
    const account = await ok('register', client().POST('/v1/auth/register', { body: { email, password } }));
    const guest = (await ok('guest', client().POST('/v1/auth/guest'))).accessToken;
    await Promise.all([fillCart(account.accessToken, mine), fillCart(guest, guestSkus)]);

    const login = await client(guest).POST('/v1/auth/login', { body: { email, password } });
    expect(login.response.status).toBe(200);
    const merge = login.data!.cartMerge!;
    // The shared line had room (1 + 1 within the per-line bound); the 49 others had no line left to go to.
    expect(merge.merged).toBe(1);
    expect(merge.kept).toHaveLength(MAX_LINES - 1);
    expect(new Set(merge.kept.map((k) => k.reason))).toEqual(new Set(['MAX_LINES']));
    expect(merge.kept.map((k) => k.sku).sort()).toEqual(theirs.slice(1).sort());

    // Nothing vanished: the account cart took the one unit, the guest cart kept the rest.
    const accountCart = await ok('account cart', client(login.data!.accessToken).GET('/v1/cart'));
    expect(accountCart.lines).toHaveLength(MAX_LINES);
    expect(accountCart.lines.find((l) => l.sku === shared)?.quantity).toBe(2);
    const guestCart = await ok('guest cart', client(guest).GET('/v1/cart'));
    expect(guestCart.lines.map((l) => l.sku).sort()).toEqual(theirs.slice(1).sort());
    expect(accountCart.itemCount + guestCart.itemCount).toBe(2 * MAX_LINES);
  });
});
