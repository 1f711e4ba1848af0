// What crosses the checkout worker's service binding (from the gateway) and the OrdersDO boundary: a checkout
// call and its answer, pages of orders, and the part of a Stripe event an order needs.
import type { Identity } from '../auth/tokens';
import type { CheckoutAccepted, CheckoutBody, OrderView } from '../checkout/schemas';
import type { RpcResult } from '../rpc';
import type { Trace } from '../trace';

/** One checkout as the gateway hands it to the shopper's OrdersDO (body validated, request hashed). */
export interface CheckoutCall {
  identity: Identity;
  key: string;
  /** Fingerprint of the body: the same key with another body is refused. */
  requestHash: string;
  body: CheckoutBody;
  /** If-Match of the request: the cart version the shopper saw (a stale one is refused, 412). */
  cartVersion?: number;
  /**
   * Keys of the shopper beyond the subject, made by the gateway: `addr:<hash>` of the client address (never the
   * address itself). Stock caps count by them, so a fresh guest identity does not reset a cap. The checkout adds
   * `pm:<hash>` of the card's fingerprint once it has looked the payment method up.
   */
  shopperKeys?: string[];
  /** The caller's span (W3C traceparent) and request id: logs and the Stripe call of this checkout carry them. */
  trace?: Trace;
}

/**
 * The answer to a checkout: the accepted order (202) or an error. OrdersDO stores it per Idempotency-Key as
 * JSON, and a replay of the key gets exactly this again.
 */
export type CheckoutResult = RpcResult<{ accepted: CheckoutAccepted }>;

export interface OrderPage {
  orders: OrderView[];
  nextCursor: string | null;
}

/** The part of a verified Stripe event an order needs. */
export interface PaymentEvent {
  id: string;
  type: string;
  orderId: string;
  intentId: string;
  intentStatus: string;
  /** The PaymentIntent's amount and what it received, in minor units; its currency in upper case (USD). */
  amount: number;
  amountReceived: number;
  currency: string;
  failureMessage?: string;
}

/** What happened to a payment event: applied, or why not (duplicate, ignored, refunded_unknown, ...). */
export interface PaymentEventOutcome {
  outcome: string;
}
