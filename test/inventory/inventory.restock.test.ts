// InventoryDO's restock of refunded units (a merchant refund with restock): sold goes back to available, once per
// restock id, never more units than the order's hold sold, never for a hold that was not sold; concurrent restocks
// of one hold never put back more than it sold.
import { describe, expect, it } from 'vitest';
import type { RestockResult } from '../../durable-objects/inventory/types';
import { expectBalanced, freshSku, levelsOf, req, stockOf } from './helpers';

describe('InventoryDO: restock', () => {
  it('puts sold units back on hand once per restock id, never more than the hold sold', async () => {
    const sku = freshSku('restock');
    const stub = stockOf(sku);
    await stub.initialize(sku, 10);
    await stub.reserve(sku, req('ord_a', 3));
    await stub.commit(sku, 'ord_a');
    const first = (await stub.restock(sku, 're_1', 'ord_a', 2)) as RestockResult;
    expect(first).toMatchObject({ ok: true, restocked: true, levels: { onHand: 10, sold: 1, available: 9 } });
    expect(await stub.restock(sku, 're_1', 'ord_a', 2)).toMatchObject({ ok: true, restocked: false });
    expect(await stub.restock(sku, 're_2', 'ord_a', 2)).toEqual({ ok: false, reason: 'OVER_RESTOCK', left: 1 });
    expect(await stub.restock(sku, 're_3', 'ord_a', 1)).toMatchObject({ ok: true, levels: { sold: 0 } });
    const l = await levelsOf(stub, sku);
    expectBalanced(l);
    expect(l).toMatchObject({ onHand: 10, held: 0, sold: 0, available: 10 });
  });

  it('refuses a hold that is only held, released or unknown, changing nothing', async () => {
    const sku = freshSku('restock-held');
    const stub = stockOf(sku);
    await stub.initialize(sku, 5);
    await stub.reserve(sku, req('ord_b', 2));
    expect(await stub.restock(sku, 're_x', 'ord_b', 1)).toEqual({ ok: false, reason: 'NOT_SOLD' });
    expect(await stub.restock(sku, 're_y', 'ord_none', 1)).toEqual({ ok: false, reason: 'NOT_SOLD' });
    expect(await levelsOf(stub, sku)).toMatchObject({ onHand: 5, held: 2, sold: 0, available: 3 });
  });

  it('never restocks more than the hold sold under concurrent restocks', async () => {
    const sku = freshSku('restock-race');
    const stub = stockOf(sku);
    await stub.initialize(sku, 50);
    await stub.reserve(sku, req('ord_c', 5));
    await stub.commit(sku, 'ord_c');
    const answers = (await Promise.all(
      Array.from({ length: 20 }, (_, i) => stub.restock(sku, `re_${i}`, 'ord_c', 1)),
    )) as RestockResult[];
    expect(answers.filter((a) => a.ok)).toHaveLength(5);
    const l = await levelsOf(stub, sku);
    expectBalanced(l);
    expect(l).toMatchObject({ onHand: 50, sold: 0, available: 50 });
  });
});
