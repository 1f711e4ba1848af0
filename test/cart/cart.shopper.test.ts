// The shopper's calls on CartDO (view, addItem, setQuantity, removeItem), as the gateway makes them, inside workerd
// with a stand-in catalog (vitest.config.ts): the caller's role sets the cart's lifetime, input is validated in the
// object, and a catalog that fails answers 503 before anything is stored, so a client retrying cannot add twice.
import { describe, expect, it } from 'vitest';
import { add, cartOf, freshName, LIMITS, lineData, qty } from './helpers';

describe('CartDO: the shopper calls', () => {
  it('adds at the catalog price and answers the cart as the shopper sees it', async () => {
    const stub = cartOf(freshName('shopper-add'));
    const r = await stub.addItem('customer', { sku: 'TST-1', quantity: 2 });
    expect(r).toMatchObject({ ok: true, cart: { version: 1, itemCount: 2, subtotal: { amount: 3000 } } });
    expect(r.ok && r.cart.lines[0]).toMatchObject({ sku: 'TST-1', title: 'Tee TST-1 — M', available: true });
    expect(await stub.addItem('customer', { sku: 'NOPE-1', quantity: 1 })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await stub.view()).toMatchObject({ ok: true, cart: { version: 1, itemCount: 2 } });
  });

  it("gives a guest's cart the guest lifetime and a signed-in shopper's the customer one", async () => {
    const guest = await cartOf(freshName('shopper-guest')).addItem('guest', { sku: 'TST-1', quantity: 1 });
    const customer = await cartOf(freshName('shopper-customer')).addItem('customer', { sku: 'TST-1', quantity: 1 });
    const lifetime = (r: typeof guest) => (r.ok ? Date.parse(r.cart.expiresAt!) - Date.now() : Number.NaN);
    // The cart project sets CART_TTL_GUEST_SECONDS to 1; customers keep the default 30 days.
    expect(lifetime(guest)).toBeLessThanOrEqual(1000);
    expect(lifetime(customer)).toBeGreaterThan(29 * 86_400_000);
  });

  it('refuses a role, If-Match or body it does not know with a 400, and stores nothing', async () => {
    const stub = cartOf(freshName('shopper-input'));
    for (const r of [
      await stub.addItem('admin' as never, { sku: 'TST-1', quantity: 1 }),
      await stub.addItem('guest', { sku: 'TST-1', quantity: 1 }, '3' as never),
      await stub.addItem('guest', { sku: 'TST-1', quantity: 0 }),
      await stub.setQuantity('guest', 'tst-1', { quantity: -1 }),
    ])
      expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect((await stub.cart()).version).toBe(0);
  });

  it('answers 503 when the catalog fails, before the write: the cart is unchanged', async () => {
    const stub = cartOf(freshName('shopper-down'));
    // A line whose catalog lookup fails, already in the cart (written directly, as before the outage).
    await stub.apply(add('TST-1', 1), LIMITS);
    await stub.apply({ kind: 'add', line: { ...lineData('TST-2'), sku: 'DOWN-2' }, quantity: 1 }, LIMITS);
    const before = await stub.cart();
    for (const r of [
      await stub.addItem('customer', { sku: 'TST-3', quantity: 1 }),
      await stub.removeItem('customer', 'TST-1'),
      await stub.view(),
    ])
      expect(r).toMatchObject({ ok: false, error: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 } });
    expect(await stub.cart()).toEqual(before);
    expect(qty(before.lines)).toEqual([
      { sku: 'TST-1', quantity: 1 },
      { sku: 'DOWN-2', quantity: 1 },
    ]);
  });
});
