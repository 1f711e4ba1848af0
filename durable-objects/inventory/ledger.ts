// The stock ledger's vocabulary inside InventoryDO: who a change is recorded under, and the checks of what callers
// send for it (a merchant's who and why, a page filter). Storage is stock.store.ts; the copy to Postgres copies.ts.
import {
  INVENTORY_ACTOR_TYPES,
  INVENTORY_EVENT_KINDS,
  type InventoryActor,
  type InventoryEventsFilter,
  type StockChange,
} from '../../lib/contracts/inventory';
import { text } from './stock.store';

/** First stock from Postgres' seeded copy, and the object's own hold expiry, are the system's changes. */
export const SYSTEM: InventoryActor = { type: 'system', id: 'inventory' };
/** Holds, sales, releases and restocks are recorded under the order (its id is the hold id). */
export const order = (holdId: string): InventoryActor => ({ type: 'order', id: holdId });

/** A merchant write's who and why, checked; a caller that gives none is recorded as the system. */
export function changeOf(change: StockChange | undefined): { actor: InventoryActor; reason: string | null } {
  const actor = change?.actor ?? SYSTEM;
  if (!INVENTORY_ACTOR_TYPES.includes(actor?.type)) throw new TypeError('InventoryDO: actor.type is not known');
  text(actor.id, 'actor.id');
  const reason = change?.reason == null ? null : text(change.reason, 'reason');
  return { actor: { type: actor.type, id: actor.id }, reason };
}

const whole = (n: unknown, min: number, max = Number.MAX_SAFE_INTEGER) =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

/** A page filter as the object accepts it (the API validated the query; this guards the binding). */
export function checkedFilter(filter: InventoryEventsFilter): InventoryEventsFilter {
  const f = filter ?? ({} as InventoryEventsFilter);
  const ok =
    whole(f.limit, 1, 1000) &&
    (f.before === undefined || whole(f.before, 1)) &&
    (f.from === undefined || whole(f.from, 0)) &&
    (f.to === undefined || whole(f.to, 0)) &&
    (f.kinds === undefined || (Array.isArray(f.kinds) && f.kinds.every((k) => INVENTORY_EVENT_KINDS.includes(k))));
  if (!ok) throw new TypeError('InventoryDO: events(): not a valid filter');
  return f;
}

/** The error a copy failed with, or null when it succeeded. */
export const failureOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (err: unknown) => err ?? new Error('copy failed'),
  );
