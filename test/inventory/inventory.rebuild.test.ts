// InventoryDO's rebuild from a plan made from Postgres (durable-objects/inventory/rebuild.store.ts): the levels, holds
// and restocks replaced in one write, the version and the ledger's seq continued above Postgres' copies, a `rebuild`
// event recorded, the rebuilt holds working afterwards (a payment finds its hold, a refund its sale), a stale plan
// refused, and a plan breaking the invariant refused; the export answers what the object keeps.
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { InventoryDO } from '../../durable-objects/inventory/inventory.do';
import type { CurrentStock, RebuildPlan } from '../../durable-objects/inventory/rebuild';
import type { InventoryExport } from '../../durable-objects/inventory/rebuild.store';
import { expectBalanced, freshSku, holdsOf, inAnHour, levelsOf, req, stockOf } from './helpers';

const admin = { actor: { type: 'admin' as const, id: 'admin-1' }, reason: 'rebuilt from Postgres (test)' };

function planFor(sku: string, over: Partial<RebuildPlan> = {}): RebuildPlan {
  const expiresAt = inAnHour();
  return {
    sku,
    onHand: 10,
    held: 2,
    sold: 3,
    maxPerCustomer: null,
    holds: [
      { holdId: 'ord_paid', owner: 'o1', quantity: 3, status: 'sold', expiresAt },
      { holdId: 'ord_open', owner: 'o2', quantity: 2, status: 'active', expiresAt },
    ],
    restocks: [],
    versionFloor: 40,
    seqFloor: 25,
    sources: { onHand: 'test', held: 'test', sold: 'test' },
    onHandRaisedBy: 0,
    ...over,
  };
}

describe('InventoryDO: rebuild', () => {
  it('replaces levels and holds, continues version and seq above the floors, and records a rebuild event', async () => {
    const sku = freshSku('rebuild');
    const stub = stockOf(sku);
    await stub.initialize(sku, 10);
    await stub.reserve(sku, req('ord_stray', 4)); // a hold Postgres does not know: gone after the rebuild
    const before = (await stub.rebuildState(sku)) as CurrentStock;
    expect(before).toMatchObject({ onHand: 10, held: 4, sold: 0, activeHolds: 1, lastSeq: 2 });

    const r = (await stub.rebuild(sku, planFor(sku), before.version, admin)) as {
      ok: true;
      levels: { version: number };
    };
    expect(r).toMatchObject({ ok: true, levels: { onHand: 10, held: 2, sold: 3, available: 5, version: 41 } });
    expectBalanced(await levelsOf(stub, sku));
    expect((await holdsOf(stub)).map((h) => [h.hold_id, h.status, h.quantity])).toEqual([
      ['ord_open', 'active', 2],
      ['ord_paid', 'sold', 3],
    ]);
    const events = await runInDurableObject(stub, (_i: InventoryDO, state) =>
      state.storage.sql
        .exec<{ seq: number; kind: string; actor_id: string }>('select seq, kind, actor_id from events order by seq')
        .toArray(),
    );
    expect(events.at(-1)).toEqual({ seq: 26, kind: 'rebuild', actor_id: 'admin-1' });

    // The rebuilt holds work: the open order's payment finds its hold, the paid order's refund its sale.
    expect(await stub.commit(sku, 'ord_open')).toMatchObject({ ok: true, levels: { held: 0, sold: 5 } });
    expect(await stub.restock(sku, 're_1', 'ord_paid', 1)).toMatchObject({ ok: true, levels: { sold: 4 } });
    expect(await stub.commit(sku, 'ord_stray')).toEqual({ ok: false, reason: 'UNKNOWN_HOLD' });
    expectBalanced(await levelsOf(stub, sku));
  });

  it('rebuilds an object that lost its storage, and refuses a stale plan or one that oversells', async () => {
    const sku = freshSku('rebuild-lost');
    const stub = stockOf(sku);
    expect(await stub.rebuild(sku, planFor(sku), 3, admin)).toEqual({ ok: false, reason: 'STALE', version: 0 });
    expect(await stub.rebuild(sku, planFor(sku, { onHand: 4 }), 0, admin)).toEqual({ ok: false, reason: 'INVALID' });
    expect((await levelsOf(stub, sku)).initialized).toBe(false);
    expect(await stub.rebuild(sku, planFor(sku), 0, admin)).toMatchObject({
      ok: true,
      levels: { onHand: 10, version: 41 },
    });
    expect(await levelsOf(stub, sku)).toMatchObject({ initialized: true, onHand: 10, held: 2, sold: 3 });
  });

  it('exports its levels, active holds and the ledger it keeps; nothing for an object never written', async () => {
    const sku = freshSku('rebuild-export');
    const stub = stockOf(sku);
    expect(await stub.exportState(sku)).toBeNull();
    await stub.initialize(sku, 6);
    await stub.reserve(sku, req('ord_x', 2));
    const x = (await stub.exportState(sku)) as InventoryExport;
    expect(x).toMatchObject({ sku, initialized: true, levels: { onHand: 6, held: 2, available: 4 } });
    expect(x.activeHolds).toEqual([expect.objectContaining({ holdId: 'ord_x', quantity: 2 })]);
    expect(x.events.map((e) => e.kind)).toEqual(['initialize', 'hold']);
  });
});
