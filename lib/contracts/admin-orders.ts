// What crosses the admin worker → checkout worker binding (CheckoutOps) and the OrdersDO boundary for the
// merchant's order operations (cancel, refund, fulfil), Stripe's refund events, and the outbox's stuck tasks.
import type { AdminOrder, CancelBody, FulfilBody, RefundBody } from '../checkout/admin-schemas';

/** Who asked, as the gateway verified them (recorded on refunds and fulfilments, and in the order's history). */
export interface Actor {
  sub: string;
  role: string;
}

export interface CancelCall {
  orderId: string;
  body: CancelBody;
  actor: Actor;
}

export interface FulfilCall {
  orderId: string;
  body: FulfilBody;
  actor: Actor;
}

/** A refund under the merchant's Idempotency-Key (per order); the same key with another body is refused. */
export interface RefundCall {
  orderId: string;
  key: string;
  /** Fingerprint of the body. */
  requestHash: string;
  body: RefundBody;
  actor: Actor;
}

/** The part of a verified Stripe refund event (refund.*, charge.refund.updated, charge.refunded) an order needs. */
export interface RefundEvent {
  id: string;
  type: string;
  orderId: string;
  intentId: string | null;
  /** refund.* and charge.refund.updated: the one refund. */
  refund?: {
    stripeRefundId: string;
    /** Ours (metadata.refundId), when the refund was made by a merchant through the API. */
    refundId: string | null;
    amount: number;
    status: string;
    failureReason: string | null;
  };
  /** charge.refunded: everything refunded on the charge so far, in minor units. */
  amountRefunded?: number;
}

/** An outbox task whose last run failed, as one OrdersDO reports it. */
export interface StuckTaskInfo {
  /** `<OrdersDO id>.<task row id>`: what retry and give-up are addressed by. */
  id: string;
  orderId: string;
  kind: string;
  attempts: number;
  lastError: string | null;
  dueAt: number;
}

/** A refund's answer: the refund, the order after it, and whether this call made it (false: a replay of the key). */
export interface RefundAnswer {
  refund: AdminOrder['refunds'][number];
  order: AdminOrder;
  created: boolean;
}
