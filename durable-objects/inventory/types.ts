// What InventoryDO answers over its RPC (to its client, durable-objects/inventory/inventory.client.ts, and the
// checkout worker): holds, levels, and each refusal as a `reason` the caller decides on (results, not errors).
import type { InventoryLevels } from '../../lib/contracts/queue';

/** Upper bound for on-hand counts and caps; a larger figure is a typo, not stock. */
export const MAX_ON_HAND = 10_000_000;
/** Upper bound for one hold. */
export const MAX_HOLD_QUANTITY = 1000;

export interface ReserveRequest {
  /** Chosen by the caller (one per order line); repeating a reserve with the same id is safe. */
  holdId: string;
  quantity: number;
  /** Who the units are for (customer id), for the per-customer cap. */
  owner: string;
  /**
   * More keys of the same shopper (`addr:<hash>` of the client address, `pm:<fingerprint>` of the card), so a
   * fresh guest identity does not reset the per-customer cap; an `addr:` key also bounds unpaid holds per address.
   */
  keys?: string[];
  /**
   * The card's `pm:` key is not known yet: a SKU with a per-customer cap answers NEEDS_CARD instead of holding
   * (once every other check passed), so the card is looked up only for a checkout about to get a capped unit.
   */
  cardPending?: boolean;
  /** ms since epoch: the order's expiry. This object releases the hold HOLD_GRACE_SECONDS later. */
  expiresAt: number;
}

export interface Hold {
  holdId: string;
  quantity: number;
  status: 'active' | 'sold';
  /** ms since epoch when this object releases the hold by itself (the order's expiry + the grace). */
  expiresAt: number;
}

export type LevelsState = InventoryLevels & { initialized: boolean };

export type ReserveResult =
  | { ok: true; hold: Hold; levels: InventoryLevels }
  | { ok: false; reason: 'UNINITIALIZED' }
  | { ok: false; reason: 'INSUFFICIENT'; available: number; levels: InventoryLevels }
  | {
      ok: false;
      reason: 'CUSTOMER_LIMIT';
      limit: number;
      alreadyHas: number;
      /** What the cap counts: `customer` (active + sold, by subject or any key) or `unpaid_per_address`. */
      scope: 'customer' | 'unpaid_per_address';
      levels: InventoryLevels;
    }
  | { ok: false; reason: 'HOLD_MISMATCH' }
  | { ok: false; reason: 'NEEDS_CARD'; levels: InventoryLevels };

export type CommitResult =
  | { ok: true; levels: InventoryLevels }
  | { ok: false; reason: 'UNKNOWN_HOLD' }
  | { ok: false; reason: 'INSUFFICIENT'; available: number; levels: InventoryLevels };

export type ReleaseResult =
  | { ok: true; released: boolean; levels: InventoryLevels }
  | { ok: false; reason: 'ALREADY_SOLD' };

export type StockResult =
  | { ok: true; levels: InventoryLevels }
  | { ok: false; reason: 'BELOW_COMMITTED'; held: number; sold: number; minimum: number }
  | { ok: false; reason: 'INVALID' };

export type CapResult = { ok: true; levels: InventoryLevels } | { ok: false; reason: 'INVALID' };

/** A restock of refunded units; once per restock id (a refund), never more than the hold sold. */
export type RestockResult =
  | { ok: true; restocked: boolean; levels: InventoryLevels }
  | { ok: false; reason: 'NOT_SOLD' }
  | { ok: false; reason: 'OVER_RESTOCK'; left: number };
