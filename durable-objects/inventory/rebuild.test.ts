// The rebuild plan (rebuild.ts): which figure comes from where in Postgres, the holds it recreates, the restocks it
// counts, the oversell refusal and what force does, the version and seq floors, and the diff a dry run shows.
import { describe, expect, it } from 'vitest';
import { type CurrentStock, planRebuild, type RebuildSource, rebuildDiff } from './rebuild';

const now = 1_800_000_000_000;
const graceMs = 5000;
const source = (over: Partial<RebuildSource> = {}): RebuildSource => ({
  sku: 'SKU-1',
  exists: true,
  initialOnHand: 10,
  copy: null,
  lastEvent: null,
  lines: [],
  restocks: [],
  ...over,
});
const line = (orderId: string, status: string, quantity: number, extra: Partial<RebuildSource['lines'][0]> = {}) => ({
  orderId,
  owner: `owner-${orderId}`,
  status,
  everPaid: status === 'paid' || status === 'fulfilled',
  quantity,
  holdExpiresAt: now + 60_000,
  ...extra,
});
const fresh = { version: 0, lastSeq: 0 };
const plan = (src: RebuildSource, current = fresh, force = false) => planRebuild(src, current, { now, graceMs, force });

describe('planRebuild', () => {
  it('takes on hand from the initial stock when Postgres has no copy and no ledger', () => {
    const r = plan(source());
    expect(r.ok && r.plan).toMatchObject({ onHand: 10, held: 0, sold: 0, holds: [], versionFloor: 0, seqFloor: 0 });
  });

  it('takes on hand from the newest ledger event, or the levels copy when that is newer', () => {
    const lastEvent = { seq: 7, onHand: 30, held: 0, sold: 0, at: now - 10_000 };
    const older = { onHand: 20, held: 0, sold: 0, maxPerCustomer: 2, version: 5, updatedAt: now - 20_000 };
    const a = plan(source({ lastEvent, copy: older }));
    expect(a.ok && a.plan).toMatchObject({ onHand: 30, maxPerCustomer: 2, versionFloor: 5, seqFloor: 7 });
    expect(a.ok && a.plan.sources.onHand).toContain('inventory_events seq 7');
    const newer = { ...older, onHand: 25, version: 9, updatedAt: now - 1000 };
    const b = plan(source({ lastEvent, copy: newer }));
    expect(b.ok && b.plan).toMatchObject({ onHand: 25, versionFloor: 9 });
    expect(b.ok && b.plan.sources.onHand).toContain('inventory_levels version 9');
  });

  it('rebuilds a sold hold per paid order and an active hold per open order, ignoring closed and expired ones', () => {
    const r = plan(
      source({
        lines: [
          line('o1', 'paid', 2),
          line('o2', 'fulfilled', 1),
          line('o3', 'pending_payment', 3),
          line('o4', 'pending_payment', 4, { holdExpiresAt: now - graceMs - 1 }), // past the object's own expiry
          line('o5', 'expired', 5),
          line('o6', 'canceled', 1),
          line('o7', 'refunded', 1, { everPaid: true }), // paid, then refunded without a restock: still sold
          line('o8', 'refunded', 1, { everPaid: false }), // money after the order closed: never sold
        ],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan).toMatchObject({ onHand: 10, sold: 4, held: 3 });
    expect(r.plan.holds).toEqual([
      { holdId: 'o1', owner: 'owner-o1', quantity: 2, status: 'sold', expiresAt: now + 60_000 + graceMs },
      { holdId: 'o2', owner: 'owner-o2', quantity: 1, status: 'sold', expiresAt: now + 60_000 + graceMs },
      { holdId: 'o3', owner: 'owner-o3', quantity: 3, status: 'active', expiresAt: now + 60_000 + graceMs },
      { holdId: 'o7', owner: 'owner-o7', quantity: 1, status: 'sold', expiresAt: now + 60_000 + graceMs },
    ]);
  });

  it('takes restocked units off sold, never more than the hold sold, and keeps their ids', () => {
    const r = plan(
      source({
        lines: [line('o1', 'paid', 3)],
        restocks: [
          { restockId: 'rf1:SKU-1', holdId: 'o1', quantity: 2, at: now - 5 },
          { restockId: 'rf2:SKU-1', holdId: 'o1', quantity: 2, at: now - 4 }, // would take sold below zero
          { restockId: 'rf3:SKU-1', holdId: 'unknown', quantity: 1, at: now - 3 },
        ],
      }),
    );
    expect(r.ok && r.plan.sold).toBe(1);
    expect(r.ok && r.plan.restocks.map((x) => x.restockId)).toEqual(['rf1:SKU-1']);
  });

  it('counts the units of archived orders as sold (their lines left Postgres), so nothing is sold twice', () => {
    const src = source({ initialOnHand: 10, lines: [line('o1', 'paid', 2)], archivedSold: 5 });
    const r = plan(src);
    expect(r.ok && r.plan).toMatchObject({ onHand: 10, held: 0, sold: 7 });
    expect(r.ok && r.plan.sources.sold).toContain('5 units of archived orders');
    expect(plan({ ...src, archivedSold: 9 })).toMatchObject({ ok: false, reason: 'OVERSELLS', sold: 11 });
    // The ledger continues above the archived events too, even when none is left in the hot table.
    const after = plan({ ...src, lastEvent: null, archivedMaxSeq: 40 }, { version: 0, lastSeq: 3 });
    expect(after.ok && after.plan.seqFloor).toBe(40);
  });

  it('refuses a plan that oversells, and with force raises on hand to held + sold', () => {
    const src = source({ initialOnHand: 2, lines: [line('o1', 'paid', 2), line('o2', 'pending_payment', 1)] });
    const refused = plan(src);
    expect(refused).toMatchObject({ ok: false, reason: 'OVERSELLS', onHand: 2, held: 1, sold: 2 });
    const forced = plan(src, fresh, true);
    expect(forced.ok && forced.plan).toMatchObject({ onHand: 3, held: 1, sold: 2, onHandRaisedBy: 1 });
    expect(forced.ok && forced.plan.sources.onHand).toContain('raised by 1');
  });

  it("continues the version and the ledger's seq above the object's and Postgres'", () => {
    const src = source({
      copy: { onHand: 10, held: 0, sold: 0, maxPerCustomer: null, version: 4, updatedAt: now - 100 },
      lastEvent: { seq: 3, onHand: 10, held: 0, sold: 0, at: now - 200 },
    });
    const r = plan(src, { version: 9, lastSeq: 2 });
    expect(r.ok && r.plan).toMatchObject({ versionFloor: 9, seqFloor: 3 });
  });

  it('answers NOT_FOUND for a SKU no variant is sold under', () => {
    expect(plan(source({ exists: false }))).toEqual({ ok: false, reason: 'NOT_FOUND' });
  });
});

describe('rebuildDiff', () => {
  it('lists only the fields that change', () => {
    const current: CurrentStock = {
      initialized: true,
      onHand: 10,
      held: 0,
      sold: 7,
      maxPerCustomer: null,
      version: 3,
      lastSeq: 3,
      activeHolds: 0,
      soldHolds: 1,
    };
    const r = plan(source({ lines: [line('o1', 'paid', 2)] }));
    if (!r.ok) throw new Error('plan refused');
    expect(rebuildDiff(current, r.plan)).toEqual([
      { field: 'sold', from: 7, to: 2 },
      { field: 'available', from: 3, to: 8 },
    ]);
  });
});
