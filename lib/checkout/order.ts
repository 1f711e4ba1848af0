// An order and its state machine. OrdersDO (one per shopper) is where an order's status is decided; every
// change produces a new snapshot (version + 1) that the `orders` Queue carries to Postgres.
//
//   created ──► pending_payment ──► paid ──► refunded
//      │              │  └────────► payment_failed | canceled | expired
//      │              │
//      ├──► payment_failed (card declined while checking out)
//      └──► abandoned (not accepted: stock short, payment provider unreachable)
//   payment_failed | canceled | expired | abandoned ──► refunded (money arrived after the order closed)
//
// `created` and `abandoned` orders were never accepted: the shopper never sees them, Postgres never gets them.

export const ORDER_STATUSES = [
  'created',
  'pending_payment',
  'paid',
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
  paid: ['refunded'],
  payment_failed: ['refunded'],
  canceled: ['refunded'],
  expired: ['refunded'],
  abandoned: ['refunded'],
  refunded: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Orders the shopper sees and Postgres keeps. */
export const isAccepted = (s: OrderStatus) => s !== 'created' && s !== 'abandoned';

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
  /** The catalog generation the order was priced at, and where the prices were read (edge or primary). */
  pricedAt?: { generation: string; source: 'edge' | 'primary' };
}
