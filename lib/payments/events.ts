// The shape of the Stripe events the checkout worker acts on, checked with zod after the signature: a validly
// signed event can still be malformed (an API version change, a bug at the sender, a leaked secret), and a
// missing field must answer 400 VALIDATION_FAILED, never a 500 that Stripe retries for days. Only what an order
// needs is required; the rest of Stripe's fields pass through unchecked (`loose`).
import { z } from 'zod';
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
const Envelope = z.object({ id: Id, object: z.literal('event'), type: z.string().min(1).max(255) }).loose();

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
