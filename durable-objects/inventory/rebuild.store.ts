// InventoryDO's side of a rebuild (rebuild.ts has the plan): what it holds now, for the dry run's diff, and the
// plan written over its state in one transaction, with a `rebuild` event in its ledger. Also what an export of the
// object carries (its levels, active holds and the ledger events it keeps). All synchronous, inside the object.
import type { InventoryActor, InventoryEvent } from '../../lib/contracts/inventory';
import type { InventoryLevels } from '../../lib/contracts/queue';
import type { CurrentStock, RebuildPlan } from './rebuild';
import { eventOf, type StockStore } from './stock.store';

/** The object's state as a rebuild's diff sees it; an object never written is all zeros. */
export function currentStock(store: StockStore, sku: string): CurrentStock {
  const s = store.peek(sku);
  if (!s)
    return {
      initialized: false,
      onHand: 0,
      held: 0,
      sold: 0,
      maxPerCustomer: null,
      version: 0,
      lastSeq: 0,
      activeHolds: 0,
      soldHolds: 0,
    };
  const count = (status: string) =>
    store.sql.exec<{ n: number }>('select count(*) as n from holds where status = ?', status).one().n;
  return {
    initialized: s.initialized === 1,
    onHand: s.on_hand,
    held: s.held,
    sold: s.sold,
    maxPerCustomer: s.max_per_customer,
    version: s.version,
    lastSeq: store.lastSeq(),
    activeHolds: count('active'),
    soldHolds: count('sold'),
  };
}

/**
 * Replaces the levels, holds and restocks with the plan's, in one transaction: the version continues above the
 * plan's floor, the `rebuild` event gets the seq after the plan's (so Postgres' copy, keyed by seq, takes it), and
 * the copies to Postgres are due at once. The ledger's older events stay as they were.
 */
export function writeRebuild(
  store: StockStore,
  plan: RebuildPlan,
  actor: InventoryActor,
  reason: string,
  now: number,
): InventoryLevels {
  const sql = store.sql;
  const s = store.stock(plan.sku);
  const seq = Math.max(plan.seqFloor, store.lastSeq()) + 1;
  return store.mutate(() => {
    sql.exec('delete from hold_keys');
    sql.exec('delete from holds');
    sql.exec('delete from restocks');
    for (const h of plan.holds)
      sql.exec(
        `insert into holds (hold_id, owner, quantity, status, expires_at, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?)`,
        h.holdId,
        h.owner,
        h.quantity,
        h.status,
        h.expiresAt,
        now,
        now,
      );
    for (const r of plan.restocks)
      sql.exec(
        'insert into restocks (restock_id, hold_id, quantity, created_at) values (?, ?, ?, ?)',
        r.restockId,
        r.holdId,
        r.quantity,
        r.at,
      );
    // mutate adds 1 to the version: the next one is above both the object's and Postgres' copy.
    sql.exec(
      `update stock set on_hand = ?, held = ?, sold = ?, max_per_customer = ?, initialized = 1, version = ?,
         events_copied_seq = max(events_copied_seq, ?)`,
      plan.onHand,
      plan.held,
      plan.sold,
      plan.maxPerCustomer,
      Math.max(plan.versionFloor, s.version),
      plan.seqFloor,
    );
    sql.exec(
      `insert into events (seq, kind, delta, actor_type, actor_id, reason, on_hand, held, sold, at)
       select ?, 'rebuild', ? , ?, ?, ?, on_hand, held, sold, ? from stock`,
      seq,
      plan.onHand - s.on_hand,
      actor.type,
      actor.id,
      reason.slice(0, 200),
      now,
    );
  }, now);
}

/** One object's export: null when it has no storage (never written). */
export interface InventoryExport {
  sku: string;
  initialized: boolean;
  levels: InventoryLevels;
  eventsCopiedSeq: number;
  activeHolds: { holdId: string; owner: string; quantity: number; expiresAt: number }[];
  /** The ledger events the object keeps (the newest INVENTORY_EVENTS_KEPT copied ones and every uncopied one). */
  events: InventoryEvent[];
}

/** The newest events per object in an export (a page of 50 objects stays near 10 MB); older ones are in Postgres. */
export const EXPORT_EVENTS_MAX = 1000;

export function exportOf(store: StockStore, sku: string): InventoryExport | null {
  const s = store.peek(sku);
  if (!s) return null;
  const events = store.sql
    .exec<Parameters<typeof eventOf>[1]>('select * from events order by seq desc limit ?', EXPORT_EVENTS_MAX)
    .toArray()
    .reverse()
    .map((r) => eventOf(sku, r));
  const activeHolds = store.sql
    .exec<{ hold_id: string; owner: string; quantity: number; expires_at: number }>(
      "select hold_id, owner, quantity, expires_at from holds where status = 'active' order by hold_id",
    )
    .toArray()
    .map((h) => ({ holdId: h.hold_id, owner: h.owner, quantity: h.quantity, expiresAt: h.expires_at }));
  return {
    sku,
    initialized: s.initialized === 1,
    levels: store.levelsOf(s),
    eventsCopiedSeq: s.events_copied_seq,
    activeHolds,
    events,
  };
}
