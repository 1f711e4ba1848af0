// The stock check's comparison, pure: an InventoryDO's levels against a copy of them (Postgres' inventory_levels,
// live or restored). Used by the admin worker's stock check and exports (workers/admin/src/stock-verify.ts) and by the
// restore drill, which compares a restored cluster's copies with the live objects (dev/backup/object-check.ts).
import type { StockDifference } from './durable.schemas';

export interface Figures {
  onHand: number;
  held: number;
  sold: number;
  maxPerCustomer: number | null;
  version: number;
}
/** The object's levels with when it last changed (ms since epoch); null: it has no state. */
export type ObjectLevels = (Figures & { updatedAt: number }) | null;

/**
 * How long after a change its copy may still be on its way (the object's sync delay, a Queue delivery and the
 * consumer's write, with retries): a copy behind the object for less than this is not a difference.
 */
export const COPY_SETTLE_MS = 60_000;

export const figures = (f: Figures): Figures => ({
  onHand: f.onHand,
  held: f.held,
  sold: f.sold,
  maxPerCustomer: f.maxPerCustomer,
  version: f.version,
});

/** A copy's figures from its `inventory_levels` row (snake_case columns, as a SQL client answers them). */
export const figuresOfRow = (r: Record<string, unknown>): Figures => ({
  onHand: Number(r.on_hand),
  held: Number(r.held),
  sold: Number(r.sold),
  maxPerCustomer: r.max_per_customer === null ? null : Number(r.max_per_customer),
  version: Number(r.version),
});

/** What is wrong between an object and its copy, or null when they agree (or the copy is on its way). */
export function stockDifference(
  sku: string,
  object: ObjectLevels,
  copy: Figures | null,
  now: number,
  settleMs = COPY_SETTLE_MS,
): StockDifference | null {
  const pg = copy && copy.version > 0 ? figures(copy) : null;
  const diff = (problem: StockDifference['problem']): StockDifference => ({
    sku,
    problem,
    object: object && figures(object),
    postgres: pg,
  });
  if (!object) return pg ? diff('object_lost') : null;
  const settled = now - object.updatedAt > settleMs;
  if (!pg) return settled ? diff('copy_missing') : null;
  if (pg.version > object.version) return diff('object_behind');
  if (pg.version < object.version) return settled ? diff('copy_behind') : null;
  const same = (['onHand', 'held', 'sold', 'maxPerCustomer'] as const).every((k) => pg[k] === object[k]);
  return same ? null : diff('differs');
}

/** The levels of an inventory export record's state (null: no state). */
export function objectLevels(state: unknown): ObjectLevels {
  const s = state as { levels?: Figures & { updatedAt: number } } | null;
  return s?.levels ? { ...figures(s.levels), updatedAt: s.levels.updatedAt } : null;
}
