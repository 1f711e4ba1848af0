// What crosses the admin worker → checkout worker binding (CheckoutOps) and the OrdersDO boundary for the
// merchant's order operations (cancel, refund, fulfil), Stripe's refund events, and the outbox's stuck tasks.
import type { AdminOrder, CancelBody, FulfilBody, RefundBody } from '../checkout/admin-schemas';
import type { Actor } from './admin';

/**
 * Who asked (the `Actor` of lib/contracts/admin.ts without the request's details, which the audit log keeps):
 * recorded on refunds and fulfilments, and in the order's history.
 */
export type OrderActor = Pick<Actor, 'sub' | 'role'>;

export interface CancelCall {
  orderId: string;
  body: CancelBody;
  actor: OrderActor;
}

export interface FulfilCall {
  orderId: string;
  body: FulfilBody;
  actor: OrderActor;
}

/** A refund under the merchant's Idempotency-Key (per order); the same key with another body is refused. */
export interface RefundCall {
  orderId: string;
  key: string;
  /** Fingerprint of the body. */
  requestHash: string;
  body: RefundBody;
  actor: OrderActor;
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
  /** When Stripe made the event (its `created`, seconds since the epoch); events arrive in any order. */
  created?: number;
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
