// Issue 11, finding 2, on the InventoryDO itself: the per-customer cap also counts by the shopper's other keys (a
// client network's `addr:` hash, a card's `pm:` fingerprint), so a fresh guest identity does not reset it; and
// unpaid holds under one `addr:` key are capped per SKU (40 % of on hand, at least 10 units), paid ones not.
import { describe, expect, it } from 'vitest';
import { freshSku, req, stockOf } from './helpers';

const addr = () => `addr:${crypto.randomUUID().replaceAll('-', '')}`;

describe('InventoryDO: caps by shopper keys', () => {
  it('unpaid holds of one address are capped per SKU; another address, or a paid hold, is not held against it', async () => {
    const sku = freshSku('addr-cap');
    const stub = stockOf(sku);
    await stub.initialize(sku, 25);
    const home = addr();
    const guest = (n: number, key = home, quantity = 10) => ({ ...req(`h${n}`, quantity, `guest:${n}`), keys: [key] });

    expect(await stub.reserve(sku, guest(1))).toMatchObject({ ok: true });
    expect(await stub.reserve(sku, guest(2))).toMatchObject({
      ok: false,
      reason: 'CUSTOMER_LIMIT',
      scope: 'unpaid_per_address',
      limit: 10, // max(10, 40 % of 25)
      alreadyHas: 10,
    });
    expect(await stub.reserve(sku, guest(3, home, 1))).toMatchObject({ ok: false, scope: 'unpaid_per_address' });
    expect(await stub.reserve(sku, guest(4, addr()))).toMatchObject({ ok: true, levels: { held: 20, available: 5 } });
    // Paid: the units no longer wait, so the address may hold again.
    expect(await stub.commit(sku, 'h1')).toMatchObject({ ok: true });
    expect(await stub.reserve(sku, guest(5, home, 5))).toMatchObject({ ok: true, levels: { available: 0 } });
  });

  it('maxPerCustomer counts by every key: fresh subjects with one card or one address reach the same cap', async () => {
    const sku = freshSku('key-cap');
    const stub = stockOf(sku);
    await stub.setOnHand(sku, 100);
    await stub.setMaxPerCustomer(sku, 2);
    const card = `pm:${crypto.randomUUID().slice(0, 16)}`;
    expect(await stub.reserve(sku, { ...req('a', 2, 'guest:a'), keys: [addr(), card] })).toMatchObject({ ok: true });
    expect(await stub.commit(sku, 'a')).toMatchObject({ ok: true });
    expect(await stub.reserve(sku, { ...req('b', 1, 'guest:b'), keys: [addr(), card] })).toMatchObject({
      ok: false,
      reason: 'CUSTOMER_LIMIT',
      scope: 'customer',
      limit: 2,
      alreadyHas: 2,
    });
    // Nothing shared: a new customer as far as the cap can tell.
    expect(await stub.reserve(sku, { ...req('c', 2, 'guest:c'), keys: [addr()] })).toMatchObject({ ok: true });
  });

  it('asked with cardPending, a capped SKU answers NEEDS_CARD after every other check, holding nothing', async () => {
    const capped = freshSku('card-pending');
    const stub = stockOf(capped);
    await stub.setOnHand(capped, 3);
    await stub.setMaxPerCustomer(capped, 1);
    const pending = (id: string, quantity = 1) => ({ ...req(id, quantity, `guest:${id}`), cardPending: true });
    expect(await stub.reserve(capped, pending('p1'))).toMatchObject({ ok: false, reason: 'NEEDS_CARD' });
    expect(await stub.levels(capped)).toMatchObject({ held: 0, available: 3 });
    // Refusals come first: over the cap, or short of stock, the card is never needed.
    expect(await stub.reserve(capped, pending('p2', 2))).toMatchObject({ ok: false, reason: 'CUSTOMER_LIMIT' });
    // With the card's key, the hold is taken.
    const card = `pm:${crypto.randomUUID().slice(0, 16)}`;
    expect(await stub.reserve(capped, { ...req('p1', 1, 'guest:p1'), keys: [card] })).toMatchObject({ ok: true });
    // An uncapped SKU holds at once.
    const free = freshSku('card-free');
    await stockOf(free).setOnHand(free, 3);
    expect(await stockOf(free).reserve(free, pending('f1'))).toMatchObject({ ok: true });
  });
});
