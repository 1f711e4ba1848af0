// The shape of the Stripe events the checkout worker acts on, checked with zod after the signature: a validly
// signed event can still be malformed (an API version change, a bug at the sender, a leaked secret), and a
// missing field must answer 400 VALIDATION_FAILED, never a 500 that Stripe retries for days. Only what an order
// needs is required; the rest of Stripe's fields pass through unchecked (`loose`).
import { z } from 'zod';
import type { RefundEvent } from '../contracts/admin-orders';
import type { PaymentEvent } from '../contracts/checkout';
import { validationError } from '../errors';

/** The payment_intent.* events OrdersDO applies; any other type is answered `not_handled`. */
export const PAYMENT_EVENTS = new Set([
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'payment_intent.requires_action',
  'payment_intent.processing',
]);

const Id = z.string().min(1).max(255);

/** Every event: enough to decide whether it is one of ours. */
const Envelope = z
  .object({
    id: Id,
    object: z.literal('event'),
    type: z.string().min(1).max(255),
    created: z.number().int().nonnegative().optional(),
  })
  .loose();

/** Our metadata on the PaymentIntent (the order and its owner's OrdersDO); Stripe metadata values are strings. */
const OrderMetadata = z.object({ orderId: Id.optional(), owner: Id.optional() }).loose();

const PaymentIntentEvent = Envelope.extend({
  data: z
    .object({
      object: z
        .object({
          id: Id,
          object: z.literal('payment_intent'),
          status: z.string().min(1).max(64),
          amount: z.number().int().nonnegative(),
          amount_received: z.number().int().nonnegative(),
          currency: z.string().regex(/^[a-zA-Z]{3}$/),
          metadata: OrderMetadata,
          last_payment_error: z
            .object({ message: z.string().max(5000).optional() })
            .loose()
            .nullish(),
        })
        .loose(),
    })
    .loose(),
});

/**
 * The part of a verified event an order needs: `null` for an event that is not a payment event of ours (another
 * type, or a PaymentIntent without our metadata); a malformed payment event throws 400 VALIDATION_FAILED.
 */
export function paymentEventOf(event: unknown): { event: PaymentEvent; owner: string } | { skip: string } {
  const envelope = Envelope.safeParse(event);
  if (!envelope.success) throw validationError('event', envelope.error.issues);
  if (!PAYMENT_EVENTS.has(envelope.data.type)) return { skip: 'not_handled' };
  const parsed = PaymentIntentEvent.safeParse(event);
  if (!parsed.success) throw validationError('event', parsed.error.issues);
  const { id, type, data } = parsed.data;
  const intent = data.object;
  const { orderId, owner } = intent.metadata;
  if (!orderId || !owner) return { skip: 'not_ours' };
  return {
    owner,
    event: {
      id,
      type,
      orderId,
      intentId: intent.id,
      intentStatus: intent.status,
      amount: intent.amount,
      amountReceived: intent.amount_received,
      currency: intent.currency.toUpperCase(),
      ...(intent.last_payment_error?.message ? { failureMessage: intent.last_payment_error.message } : {}),
    },
  };
}

/** Refund events OrdersDO applies to a merchant refund (and charge.refunded: the charge's refunded total). */
export const REFUND_EVENTS = new Set([
  'refund.created',
  'refund.updated',
  'refund.failed',
  'charge.refund.updated',
  'charge.refunded',
]);

/** The events a Stripe webhook endpoint of ours needs enabled (`enabled_events`): the ones acted on, no more. */
export const WEBHOOK_EVENTS: readonly string[] = [...PAYMENT_EVENTS, ...REFUND_EVENTS];

const RefundObjectEvent = Envelope.extend({
  data: z
    .object({
      object: z
        .object({
          id: Id,
          object: z.literal('refund'),
          amount: z.number().int().nonnegative(),
          status: z.string().min(1).max(64).nullable(),
          payment_intent: Id.nullish(),
          failure_reason: z.string().max(500).nullish(),
          metadata: OrderMetadata.extend({ refundId: Id.optional() }).nullish(),
        })
        .loose(),
    })
    .loose(),
});

const ChargeRefundedEvent = Envelope.extend({
  data: z
    .object({
      object: z
        .object({
          id: Id,
          object: z.literal('charge'),
          amount_refunded: z.number().int().nonnegative(),
          payment_intent: Id.nullish(),
          metadata: OrderMetadata.nullish(),
        })
        .loose(),
    })
    .loose(),
});

/**
 * A refund event of ours: refund.* (and charge.refund.updated) carry the Refund with the metadata the order's
 * refunds are made with (orderId, owner, refundId); charge.refunded carries the Charge, whose metadata Stripe
 * copied from the PaymentIntent. Anything else is skipped; a malformed refund event throws 400.
 */
export function refundEventOf(event: unknown): { event: RefundEvent; owner: string } | { skip: string } {
  const envelope = Envelope.safeParse(event);
  if (!envelope.success) throw validationError('event', envelope.error.issues);
  if (!REFUND_EVENTS.has(envelope.data.type)) return { skip: 'not_handled' };
  if (envelope.data.type === 'charge.refunded') {
    const parsed = ChargeRefundedEvent.safeParse(event);
    if (!parsed.success) throw validationError('event', parsed.error.issues);
    const charge = parsed.data.data.object;
    const { orderId, owner } = charge.metadata ?? {};
    if (!orderId || !owner) return { skip: 'not_ours' };
    return {
      owner,
      event: {
        id: parsed.data.id,
        type: parsed.data.type,
        orderId,
        intentId: charge.payment_intent ?? null,
        amountRefunded: charge.amount_refunded,
        ...(parsed.data.created === undefined ? {} : { created: parsed.data.created }),
      },
    };
  }
  const parsed = RefundObjectEvent.safeParse(event);
  if (!parsed.success) throw validationError('event', parsed.error.issues);
  const refund = parsed.data.data.object;
  const { orderId, owner, refundId } = refund.metadata ?? {};
  if (!orderId || !owner) return { skip: 'not_ours' };
  return {
    owner,
    event: {
      id: parsed.data.id,
      type: parsed.data.type,
      orderId,
      intentId: refund.payment_intent ?? null,
      refund: {
        stripeRefundId: refund.id,
        refundId: refundId ?? null,
        amount: refund.amount,
        status: refund.status ?? 'pending',
        failureReason: refund.failure_reason ?? null,
      },
      ...(parsed.data.created === undefined ? {} : { created: parsed.data.created }),
    },
  };
}
