// An order and its state machine. OrdersDO (one per shopper) is where an order's status is decided; every
// change produces a new snapshot (version + 1) that the `orders` Queue carries to Postgres.
//
//   created ──► pending_payment ──► paid ──► fulfilled ──► refunded
//      │              │                └──────────────────► refunded
//      │              └────────► payment_failed | canceled | expired
//      │
//      ├──► payment_failed (card declined while checking out)
//      └──► abandoned (not accepted: stock short, payment provider unreachable)
//   payment_failed | canceled | expired | abandoned ──► refunded (money arrived after the order closed)
//
// `created` and `abandoned` orders were never accepted: the shopper never sees them, Postgres never gets them.
// `canceled` is also where a merchant's cancel of an unpaid order leads; `fulfilled` is a paid order the merchant
// shipped (carrier and tracking number); `refunded` is reached when refunds add up to the whole payment (a partly
// refunded order keeps its status).

export const ORDER_STATUSES = [
  'created',
  'pending_payment',
  'paid',
  'fulfilled',
  'payment_failed',
  'canceled',
  'expired',
  'abandoned',
  'refunded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  created: ['pending_payment', 'payment_failed', 'abandoned'],
  pending_payment: ['paid', 'payment_failed', 'canceled', 'expired'],
  paid: ['fulfilled', 'refunded'],
  fulfilled: ['refunded'],
  payment_failed: ['refunded'],
  canceled: ['refunded'],
  expired: ['refunded'],
  abandoned: ['refunded'],
  refunded: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Settled: statuses nothing moves an order out of (no transition leads on), so its rows can never change again.
 * These are archived (workers/admin/src/archive.ts), and so are CLOSED_AFTER_WINDOW_STATUSES past the refund window. `paid`, `fulfilled`, `payment_failed`, `canceled`,
 * `expired` can still become `refunded` (a merchant's refund, or money that arrived after the order closed).
 */
export const SETTLED_STATUSES = ORDER_STATUSES.filter((s) => TRANSITIONS[s].length === 0);
export const isSettled = (s: OrderStatus) => TRANSITIONS[s].length === 0;

/** Orders the shopper sees and Postgres keeps. */
export const isAccepted = (s: OrderStatus) => s !== 'created' && s !== 'abandoned';

/**
 * Closed once the refund window has passed: accepted statuses whose only way on is `refunded` (`fulfilled`: a
 * merchant refund; `payment_failed`, `canceled`, `expired`: money that arrived late). Past REFUND_WINDOW_DAYS
 * (ARCHIVE_REFUND_WINDOW_DAYS) OrdersDO refuses a merchant's refund and a changed tracking number, so such an
 * order no longer changes, and archival takes it too (workers/admin/src/archive.ts). `paid` can still be fulfilled
 * and stays hot.
 */
export const CLOSED_AFTER_WINDOW_STATUSES = ORDER_STATUSES.filter(
  (s) => isAccepted(s) && TRANSITIONS[s].length > 0 && TRANSITIONS[s].every((t) => t === 'refunded'),
);

/** The refund window's bounds in days (ARCHIVE_REFUND_WINDOW_DAYS, read by the checkout and admin workers). */
// At least 180 days: a refund made on Stripe's side (the dashboard) after an order is archived is not copied into
// the archive, so the window must outlast the time in which such refunds happen.
export const REFUND_WINDOW_DAYS = { default: 180, min: 180, max: 3650 } as const;
const DAY_MS = 86_400_000;

/** Whether the order's refund window (days from its creation) has passed: it can no longer be refunded. */
export const refundWindowClosed = (o: { createdAt: number }, now: number, windowDays: number) =>
  now - o.createdAt >= windowDays * DAY_MS;

export interface Money {
  amount: number;
  currency: string;
}

export interface OrderLine {
  sku: string;
  title: string;
  quantity: number;
  unitAmount: number;
  lineTotal: number;
}

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode: string;
  country: string;
  phone?: string;
}

export interface OrderTotals {
  subtotal: number;
  shipping: number;
  tax: number;
  total: number;
  currency: string;
  /** Tax rate applied, in basis points (725 = 7.25 %). */
  taxRateBps: number;
}

export interface PaymentInfo {
  provider: 'stripe';
  intentId: string | null;
  status: string;
  amount: number;
  refundedAmount: number;
  /**
   * What Stripe last reported refunded on the charge (charge.refunded), which also counts refunds made outside the
   * store (the dashboard); a refund that fails after it succeeded comes off it, as at Stripe.
   */
  reportedRefunded?: number;
  /**
   * When Stripe said what `reportedRefunded` now reflects (event `created`, in seconds): the charge.refunded
   * applied last, or a refund's failure (plus half a second, so a charge.refunded of that same second, which may
   * predate the failure, loses). Stripe does not deliver events in order: an older charge.refunded is out of date.
   */
  reportedRefundedAt?: number;
  /**
   * Refunds made outside the store (the Stripe dashboard), one per charge.refunded that raised the charge's refunded
   * total beyond the store's own refunds (`id`: the event's; `at` epoch ms): each gets its refund notice.
   */
  outsideRefunds?: { id: string; amount: number; at: number }[];
}

/**
 * A merchant's refund of (part of) a paid order. `requested`: recorded, not yet accepted by Stripe (the order's
 * `refunds` task sends it); `pending`: Stripe accepted it and will say how it ends (webhook); `failed`: Stripe
 * refused or failed it, or an admin gave it up. Only `requested`, `pending` and `succeeded` count against what is
 * left to refund.
 */
export interface RefundRecord {
  id: string;
  amount: number;
  status: 'requested' | 'pending' | 'succeeded' | 'failed';
  /** The order lines this refund is for (optional); restocked when `restock` is set, once it succeeded. */
  lines: { sku: string; quantity: number }[];
  restock: boolean;
  /** Set once the lines are back on hand (each InventoryDO applies a restock id once). */
  restockedAt?: number;
  reason?: string;
  /** The merchant's Idempotency-Key and the fingerprint of the request made with it. */
  key: string;
  requestHash: string;
  stripeRefundId?: string;
  /**
   * How many times Stripe refused this refund outright. Stripe keeps a refused request's answer under its
   * idempotency key for 24 h, so each send after a refusal uses a new key (`refund_<id>_<n>`); a refusal means
   * nothing was refunded, so a new key cannot refund twice (an unanswered send keeps its key).
   */
  refusals?: number;
  /**
   * How the last send to Stripe ended, while the refund is still `requested`: `refused` (nothing was refunded) or
   * `unanswered` (set before each send; a timeout or crash leaves it, and Stripe may hold the refund). Absent: never
   * sent. Giving up an `unanswered` refund is refused, or it could be refunded twice.
   */
  lastAttempt?: 'refused' | 'unanswered';
  failure?: string;
  by: { sub: string; role: string };
  createdAt: number;
  updatedAt: number;
}

/** Where a fulfilled order went: the carrier and its tracking number. */
export interface Fulfillment {
  carrier: string;
  trackingNumber: string;
  at: number;
  by: { sub: string; role: string };
}

export interface OrderTransition {
  from: OrderStatus;
  to: OrderStatus;
  at: number;
  reason: string;
  stripeEventId?: string;
}

export interface OrderSnapshot {
  id: string;
  version: number;
  owner: { sub: string; role: string; email: string };
  status: OrderStatus;
  lines: OrderLine[];
  totals: OrderTotals;
  shippingAddress: ShippingAddress;
  shippingMethod: string;
  payment: PaymentInfo;
  holdExpiresAt: number;
  createdAt: number;
  updatedAt: number;
  history: OrderTransition[];
  /** Merchant refunds (absent on orders that never had one). */
  refunds?: RefundRecord[];
  fulfillment?: Fulfillment;
  /** The catalog generation the order was priced at, and where the prices were read (edge or primary). */
  pricedAt?: { generation: string; source: 'edge' | 'primary' };
}
