// The stock ledger as it crosses bindings: one event per change of a SKU's stock, recorded by its InventoryDO in the
// same transaction as the change, copied to Postgres (`inventory_events`) and read by the admin API
// (GET /v1/admin/inventory/:sku/events). docs/admin.md#the-stock-ledger describes each kind.

/**
 * What changed: `initialize` (first stock from Postgres), `set` / `adjust` (a merchant's count or delta; a CSV
 * import is a set with reason `import`), `cap` (the per-customer cap), `hold` / `release` / `sale` (a checkout's
 * hold, given back or paid), `expire` (the object released a hold past its own expiry), `restock` (a refund put
 * sold units back), `rebuild` (an admin rebuilt the object's levels and holds from Postgres: docs/runbook.md).
 */
export const INVENTORY_EVENT_KINDS = [
  'initialize',
  'set',
  'adjust',
  'cap',
  'hold',
  'release',
  'expire',
  'sale',
  'restock',
  'rebuild',
] as const;
export type InventoryEventKind = (typeof INVENTORY_EVENT_KINDS)[number];

/**
 * Who made the change: a merchant or admin (`id`: their subject), an order (`id`: the order id that holds,
 * buys, releases or had units restocked), or the system (`initialize`, `expire`).
 */
export const INVENTORY_ACTOR_TYPES = ['merchant', 'admin', 'order', 'system'] as const;
export interface InventoryActor {
  type: (typeof INVENTORY_ACTOR_TYPES)[number];
  id: string;
}

/** A merchant write's who and why, passed to the object with the write. */
export interface StockChange {
  actor: InventoryActor;
  /** Free text, at most 200 characters; null when the merchant gave none. */
  reason?: string | null;
}

/** One event as the object and the admin worker exchange it (times in ms since epoch). */
export interface InventoryEvent {
  sku: string;
  /** 1, 2, 3 ... per SKU, in the order of the changes; never reused. */
  seq: number;
  kind: InventoryEventKind;
  /**
   * The change of the figure the kind moves: held for hold / release / expire, sold for sale / restock (a sale of
   * a hold that had expired takes its units from available), on hand for initialize / set / adjust; 0 for cap.
   */
  delta: number;
  actor: InventoryActor;
  reason: string | null;
  /** The levels right after the change. */
  levels: { onHand: number; held: number; sold: number; available: number };
  at: number;
}

/** The object's part of a page: its newest matching events below `before`, and what it still keeps. */
export interface InventoryEventsAnswer {
  /** false: the object was never written (no storage), so it has no events either. */
  hasStorage: boolean;
  events: InventoryEvent[];
  /**
   * The oldest seq the object still keeps (null: it has no events). Every older event was copied to Postgres
   * before the object let it go.
   */
  oldestKept: number | null;
}

export interface InventoryEventsFilter {
  /** Only events with a smaller seq (the page cursor). */
  before?: number;
  kinds?: InventoryEventKind[];
  /** ms since epoch: at or after. */
  from?: number;
  /** ms since epoch: before. */
  to?: number;
  limit: number;
}
