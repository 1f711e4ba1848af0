// reserveAll with a card still to look up (cardPending), against real InventoryDOs inside workerd: a capped SKU
// waits for the card while the cart's other lines stay held, so no other shopper takes them during the lookup,
// and a cart short of another SKU is refused before any lookup.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { reserveAll } from '../../durable-objects/inventory/inventory.client';
import { freshSku, inAnHour, levelsOf, stockOf } from './helpers';

describe('reserveAll with cardPending', () => {
  it('keeps the other lines held while the card is looked up; the second pass holds the capped one', async () => {
    const open = freshSku('a-open'); // sorts before the capped SKU: held first
    const capped = freshSku('b-capped');
    await stockOf(open).initialize(open, 1);
    await stockOf(capped).initialize(capped, 10);
    await stockOf(capped).setMaxPerCustomer(capped, 1);
    const lines = [
      { sku: capped, quantity: 1 },
      { sku: open, quantity: 1 },
    ];
    const first = await reserveAll(env, 'order-1', lines, 'guest:1', inAnHour(), ['addr:x'], true);
    expect(first).toEqual({ ok: false, reason: 'NEEDS_CARD' });
    expect(await levelsOf(stockOf(open), open)).toMatchObject({ held: 1, available: 0 });
    expect(await levelsOf(stockOf(capped), capped)).toMatchObject({ held: 0, available: 10 });

    // Another shopper during the lookup: the last unit of the open SKU is not free.
    const other = await reserveAll(env, 'order-2', [{ sku: open, quantity: 1 }], 'guest:2', inAnHour(), [], true);
    expect(other).toMatchObject({ ok: false, reason: 'OUT_OF_STOCK' });

    const second = await reserveAll(env, 'order-1', lines, 'guest:1', inAnHour(), ['addr:x', 'pm:card']);
    expect(second).toEqual({ ok: true });
    expect(await levelsOf(stockOf(open), open)).toMatchObject({ held: 1, available: 0 });
    expect(await levelsOf(stockOf(capped), capped)).toMatchObject({ held: 1, available: 9 });
  });

  it('refuses a cart short of another SKU before any card lookup, holding nothing', async () => {
    const capped = freshSku('b-capped');
    const short = freshSku('c-short');
    await stockOf(capped).initialize(capped, 10);
    await stockOf(capped).setMaxPerCustomer(capped, 1);
    await stockOf(short).initialize(short, 0);
    const lines = [
      { sku: capped, quantity: 1 },
      { sku: short, quantity: 1 },
    ];
    const r = await reserveAll(env, 'order-3', lines, 'guest:3', inAnHour(), [], true);
    expect(r).toMatchObject({ ok: false, reason: 'OUT_OF_STOCK', items: [{ sku: short, available: 0 }] });
    expect(await levelsOf(stockOf(capped), capped)).toMatchObject({ held: 0, available: 10 });
  });
});
