// What crosses the MetricsDO binding (the gateway's in-isolate rollups going in, window summaries coming out) and
// the admin worker's ops RPC (the business figures read from Postgres). Shapes only; the maths is in lib/metrics/.
import type { Histogram } from '../metrics/histogram';

/** The dimensions of a request's figures. `route` is the router's pattern, never the raw path. */
export interface FigureKey {
  method: string;
  route: string;
  status: number;
  /** The edge cache outcome (HIT, STALE, MISS) or ''. */
  cache: string;
  /** The public error code of a refused request (e.g. PRICE_CHANGED) or ''. */
  code: string;
  /** A business event the answer stands for (e.g. `cart.started`) or ''. */
  event: string;
}

/** One minute × key: its latency histogram (its count is the histogram's total). */
export interface RollupRow extends FigureKey {
  /** Epoch ms of the minute's start. */
  minute: number;
  hist: Histogram;
}

/** A window's rollups as one MetricsDO shard answers them: merged per key, and per minute × status class. */
export interface FigureSummary {
  byKey: (FigureKey & { hist: Histogram })[];
  byMinute: { minute: number; statusClass: number; hist: Histogram }[];
}

/** One OrdersDO's task outbox, as it last reported it (reported on every change). */
export interface OutboxCounts {
  /** Tasks waiting: copies, cart, release, expire, refund. */
  pending: number;
  /** Of them, those whose last run failed. */
  failing: number;
  /** Order copies sent to the `orders` Queue and not yet confirmed by its consumer (the Queue's backlog, seen
   * from the objects: in the Queue, retrying, or lost and waiting to be sent again). */
  copies: number;
  /** When the oldest of those copies was first asked for (epoch ms; null with none): the backlog's oldest message,
   * however often it was sent again or replaced by a newer version of its order. */
  oldestCopyAt: number | null;
  /** The earliest due time of its tasks (epoch ms), null with none. Once past, the object's alarm should be running
   * them; a healthy order keeps an `expire` task due HOLD_TTL_SECONDS ahead, so how old the report is says nothing. */
  nextDueAt: number | null;
}

/** One InventoryDO's copies of its levels (to the `orders` Queue) and ledger events (to Postgres), as it reports
 * them once a copy failed (durable-objects/inventory/levels-report.ts). */
export interface LevelCopies {
  /** Changes not copied yet. */
  pending: boolean;
  /** The last copy attempt failed. */
  failing: boolean;
  /** When the oldest change not copied yet was made (epoch ms). */
  pendingSince: number | null;
  /** When the object's alarm tries again (epoch ms). */
  nextDueAt: number | null;
}

/** Every OrdersDO's last report, added up. */
export interface OutboxFigures extends Omit<OutboxCounts, 'nextDueAt' | 'oldestCopyAt'> {
  /** Objects with at least one task. */
  objects: number;
  /** The oldest report among them (an object reports on every change, so this is the longest-unchanged one). */
  oldestReportAt: string | null;
  /** The earliest `nextDueAt` among them (ISO 8601): in the past, a task is overdue by that much (`outbox-stuck`). */
  oldestDueAt: string | null;
  /** The earliest `oldestCopyAt` among them (ISO 8601): the `orders` Queue's oldest unconfirmed message, as seen from
   * the objects (`queue-oldest-age`). */
  oldestCopyAt: string | null;
  /** The InventoryDOs' level and ledger copies to Postgres: SKUs with changes waiting after a failed copy (until
   * copied again), of them those whose last attempt failed, and the oldest change waiting (ISO 8601). A SKU whose
   * copies go out on schedule (within INVENTORY_SYNC_DELAY_MS) is not counted. */
  levels: { pending: number; failing: number; oldestPendingAt: string | null };
}

/** A time window [from, to) in epoch ms. */
export interface FigureWindow {
  from: number;
  to: number;
}

export interface BusinessQuery extends FigureWindow {
  /** How many SKUs the hottest list keeps. */
  top: number;
  /** The order-paid objective's bound: paid at most this long after acceptance. */
  paidWithinSeconds: number;
}

/** Business figures from the orders Postgres keeps (the replica, the primary as fallback). */
export interface BusinessFigures {
  source: 'replica' | 'primary';
  /** Orders accepted (created) in the window; `paid` of them are paid now. */
  orders: { accepted: number; paid: number; perMinute: { minute: string; accepted: number }[] };
  /** Totals of paid orders, by currency; per hour of acceptance, each hour clipped to the window. */
  revenue: {
    byCurrency: { currency: string; amount: number; orders: number }[];
    perHour: { hour: string; currency: string; amount: number; orders: number }[];
  };
  hottestSkus: { sku: string; units: number; orders: number; currency: string; amount: number }[];
  /**
   * For the order-paid SLO, of the orders accepted in the window at least the bound before its end: `closed` ended
   * unpaid by the shopper or the card (payment_failed, canceled, expired), `paid` were paid, `paidInTime` within it.
   */
  paidWithin: { boundSeconds: number; eligible: number; closed: number; paid: number; paidInTime: number };
  /** Measured from Postgres: how far the replica's replay is behind the primary. */
  replica: { configured: boolean; lagBytes: number | null; lagSeconds: number | null };
  /** Dead letters waiting (exact); the oldest one's first death (exact while at most 500 wait). */
  deadLetters: { waiting: number; oldestFirstSeenAt: string | null };
  /** The OrdersDOs' task outboxes, as last reported. */
  outbox: OutboxFigures;
}
