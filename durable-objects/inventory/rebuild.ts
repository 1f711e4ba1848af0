// Rebuilding one SKU's InventoryDO from Postgres (docs/runbook.md#a-corrupted-durable-object): the plan, worked out from what
// Postgres knows of the SKU, and its diff against what the object holds now. Pure: rebuild.client.ts reads Postgres
// and calls the object; InventoryDO.rebuild writes the plan in one transaction.
//
// What is authoritative, figure by figure (the object is the truth while it is healthy; Postgres only has copies):
//  - on hand: only merchant writes (initialize, set, adjust) move it, and each is an event of the ledger, which the
//    object copies straight to Postgres (`inventory_events`, confirmed by the insert itself, so at most one alarm
//    run behind). So the levels the newest copied event left; the levels copy (`inventory_levels`, through the
//    Queue) when it is newer (a change whose event is not copied yet); the seeded `initial_on_hand` when neither.
//  - sold: the paid orders (`orders`/`order_lines`, written by the Queue consumer): a line of an order that was
//    paid (paid, fulfilled, or refunded after it was paid) is a sold hold of its quantity, less the units restocked
//    by refunds, which only the ledger records (`restock` events: the order, the units, `refund <restock id>`).
//  - held: the orders still waiting for payment (`pending_payment`) whose hold has not expired: one active hold
//    per order line, expiring where the object would have released it (the order's hold expiry + the grace).
// The holds are rebuilt with the figures (a sale, release or refund of an order finds its hold), so the object's
// later answers stay consistent with its levels. What Postgres does not have is lost: a hold's shopper keys (the
// per-address and per-card caps count only holds made after the rebuild), holds of orders not yet copied (an order
// reaches Postgres about a second after its payment, or ORDER_PUBLISH_DELAY_MS plus that while it waits for it), released holds (nothing needs them).
// The version and the ledger's seq continue after the larger of the object's and Postgres' (a copy never loses
// to an older one: `inventory_levels` keeps the newest version, `inventory_events` ignores a seq it has).

/** What Postgres knows of a SKU, as rebuild.client.ts reads it (times in ms since epoch). */
export interface RebuildSource {
  sku: string;
  /** The SKU is sold under a variant (else there is nothing to rebuild). */
  exists: boolean;
  initialOnHand: number;
  /** `inventory_levels` (the levels copy); null when there is no row. */
  copy: {
    onHand: number;
    held: number;
    sold: number;
    maxPerCustomer: number | null;
    version: number;
    updatedAt: number;
  } | null;
  /** The newest event of `inventory_events`; null when none was copied. */
  lastEvent: { seq: number; onHand: number; held: number; sold: number; at: number } | null;
  /** The SKU's lines of orders Postgres has, with their order's state. */
  lines: {
    orderId: string;
    owner: string;
    status: string;
    /** The order was paid at some point (status paid or fulfilled, or an order event into `paid`). */
    everPaid: boolean;
    quantity: number;
    holdExpiresAt: number;
  }[];
  /**
   * Units sold by orders archived since (their lines left Postgres: workers/admin/src/archive.ts), less their
   * restocks: kept per SKU by archive_batch_commit (inventory_archive), counted as sold.
   */
  archivedSold?: number;
  /** The highest seq of the SKU's archived stock events (they left `inventory_events`); 0 when none. */
  archivedMaxSeq?: number;
  /** The ledger's `restock` events: units of a sold hold given back by a refund. */
  restocks: { restockId: string; holdId: string; quantity: number; at: number }[];
}

/** What the object holds now (InventoryDO.rebuildState). */
export interface CurrentStock {
  initialized: boolean;
  onHand: number;
  held: number;
  sold: number;
  maxPerCustomer: number | null;
  version: number;
  lastSeq: number;
  activeHolds: number;
  soldHolds: number;
}

export interface PlannedHold {
  holdId: string;
  owner: string;
  quantity: number;
  status: 'active' | 'sold';
  /** ms since epoch when the object releases it by itself (sold holds: the order's, unused). */
  expiresAt: number;
}

export interface RebuildPlan {
  sku: string;
  onHand: number;
  held: number;
  sold: number;
  maxPerCustomer: number | null;
  holds: PlannedHold[];
  restocks: { restockId: string; holdId: string; quantity: number; at: number }[];
  /** The version the object's next change gets is above this (the larger of the object's and the copy's). */
  versionFloor: number;
  /** The seq after which the rebuild's own event is recorded (the larger of the object's and Postgres'). */
  seqFloor: number;
  /** Where each figure came from, for the dry run and the audit log. */
  sources: { onHand: string; held: string; sold: string };
  /** With force: on hand was raised to held + sold by this many units (0 otherwise). */
  onHandRaisedBy: number;
}

export type RebuildPlanResult =
  | { ok: true; plan: RebuildPlan }
  | { ok: false; reason: 'NOT_FOUND' }
  | { ok: false; reason: 'OVERSELLS'; onHand: number; held: number; sold: number; plan: RebuildPlan };

/** Statuses whose hold is still active in the object (until its expiry). */
const OPEN = new Set(['pending_payment']);
/** Statuses of an order whose units were sold when it was paid (refunded only if it was paid first). */
const SOLD = new Set(['paid', 'fulfilled', 'refunded']);

/**
 * The object's state as Postgres knows it. Refuses (OVERSELLS) when what was sold and is held exceeds on hand
 * (Postgres' on hand is older than a sale, or a corrupted copy), unless `force`: then on hand is raised to
 * held + sold, so nothing is available until a merchant counts the stock again (the plan says by how much).
 */
export function planRebuild(
  src: RebuildSource,
  current: Pick<CurrentStock, 'version' | 'lastSeq'>,
  opts: { now: number; graceMs: number; force: boolean },
): RebuildPlanResult {
  if (!src.exists) return { ok: false, reason: 'NOT_FOUND' };
  let onHand = src.initialOnHand;
  let onHandSource = 'initial stock (inventory_levels.initial_on_hand)';
  if (src.lastEvent) {
    onHand = src.lastEvent.onHand;
    onHandSource = `stock ledger copy (inventory_events seq ${src.lastEvent.seq})`;
  }
  if (src.copy && src.copy.version > 0 && (!src.lastEvent || src.copy.updatedAt > src.lastEvent.at)) {
    onHand = src.copy.onHand;
    onHandSource = `levels copy (inventory_levels version ${src.copy.version})`;
  }

  const holds: PlannedHold[] = [];
  let held = 0;
  let sold = 0;
  for (const line of [...src.lines].sort((a, b) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0))) {
    if (line.quantity <= 0) continue;
    if (SOLD.has(line.status) && (line.status !== 'refunded' || line.everPaid)) {
      holds.push({
        holdId: line.orderId,
        owner: line.owner,
        quantity: line.quantity,
        status: 'sold',
        expiresAt: line.holdExpiresAt + opts.graceMs,
      });
      sold += line.quantity;
    } else if (OPEN.has(line.status) && line.holdExpiresAt + opts.graceMs > opts.now) {
      holds.push({
        holdId: line.orderId,
        owner: line.owner,
        quantity: line.quantity,
        status: 'active',
        expiresAt: line.holdExpiresAt + opts.graceMs,
      });
      held += line.quantity;
    }
  }
  // A restock counts against its sold hold, never below zero (a restock of an order Postgres does not have as sold
  // is left out: its hold is not there to give units back).
  const soldOf = new Map(holds.filter((h) => h.status === 'sold').map((h) => [h.holdId, h.quantity]));
  const restocks: RebuildPlan['restocks'] = [];
  for (const r of src.restocks) {
    const left = soldOf.get(r.holdId) ?? 0;
    if (r.quantity <= 0 || r.quantity > left) continue;
    soldOf.set(r.holdId, left - r.quantity);
    restocks.push(r);
    sold -= r.quantity;
  }
  const archivedSold = src.archivedSold ?? 0;
  sold += archivedSold;

  const plan: RebuildPlan = {
    sku: src.sku,
    onHand,
    held,
    sold,
    maxPerCustomer: src.copy?.maxPerCustomer ?? null,
    holds,
    restocks,
    versionFloor: Math.max(current.version, src.copy?.version ?? 0),
    seqFloor: Math.max(current.lastSeq, src.lastEvent?.seq ?? 0, src.archivedMaxSeq ?? 0),
    sources: {
      onHand: onHandSource,
      held: `${holds.filter((h) => h.status === 'active').length} open orders (pending_payment, hold not expired)`,
      sold:
        `${holds.filter((h) => h.status === 'sold').length} paid orders` +
        (restocks.length ? `, less ${restocks.length} restocks from the ledger copy` : '') +
        (archivedSold ? `, and ${archivedSold} units of archived orders` : ''),
    },
    onHandRaisedBy: 0,
  };
  if (held + sold > onHand) {
    if (!opts.force) return { ok: false, reason: 'OVERSELLS', onHand, held, sold, plan };
    plan.onHandRaisedBy = held + sold - onHand;
    plan.onHand = held + sold;
    plan.sources.onHand += `, raised by ${plan.onHandRaisedBy} to held + sold (forced)`;
  }
  return { ok: true, plan };
}

export interface RebuildDiff {
  field: 'onHand' | 'held' | 'sold' | 'available' | 'maxPerCustomer' | 'activeHolds' | 'soldHolds';
  from: number | null;
  to: number | null;
}

/** What the rebuild changes, field by field (only the fields that differ). */
export function rebuildDiff(current: CurrentStock, plan: RebuildPlan): RebuildDiff[] {
  const after = {
    onHand: plan.onHand,
    held: plan.held,
    sold: plan.sold,
    available: plan.onHand - plan.held - plan.sold,
    maxPerCustomer: plan.maxPerCustomer,
    activeHolds: plan.holds.filter((h) => h.status === 'active').length,
    soldHolds: plan.holds.filter((h) => h.status === 'sold').length,
  };
  const before = {
    onHand: current.onHand,
    held: current.held,
    sold: current.sold,
    available: current.onHand - current.held - current.sold,
    maxPerCustomer: current.maxPerCustomer,
    activeHolds: current.activeHolds,
    soldHolds: current.soldHolds,
  };
  return (Object.keys(after) as RebuildDiff['field'][])
    .filter((k) => before[k] !== after[k])
    .map((field) => ({ field, from: before[field], to: after[field] }));
}
