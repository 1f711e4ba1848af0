// Stripe's webhook. The body is passed on as the exact text received: the signature covers those bytes. The
// checkout worker verifies it (SDK async verifier, plus a bound on future timestamps), checks the event's shape
// (lib/payments/events.ts: 400 on a malformed payment event, never a 5xx) and applies it once; 2xx tells Stripe
// to stop. Its request is Stripe's contract: the document only describes it (no schema validates it here, where
// the bytes must reach the verifier untouched).
import { z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../../../lib/errors';
import { unwrap } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { failure, json } from './openapi';
import { noQuery, router } from './router';

export const webhookRoutes = router();

const StripeEvent = z
  .object({
    id: z.string().openapi({ example: 'evt_3QxYz2AbCdEf5678' }),
    object: z.literal('event'),
    type: z.string().openapi({ example: 'payment_intent.succeeded' }),
    data: z.object({ object: z.record(z.string(), z.unknown()) }),
  })
  .loose()
  .openapi('StripeEvent', {
    description: "Stripe's Event object, as Stripe sends it (its API version decides the rest of the fields).",
    externalDocs: { description: "Stripe's Event object", url: 'https://docs.stripe.com/api/events/object' },
  });

webhookRoutes.openAPIRegistry.registerPath({
  method: 'post',
  path: '/stripe',
  tags: ['Webhooks'],
  summary: 'Payment events from Stripe (Stripe calls this, not API clients)',
  description:
    "Stripe's contract, not ours: point a Stripe webhook endpoint here for the `payment_intent.*` events. The " +
    '`Stripe-Signature` header is verified over the exact bytes received with the endpoint secret; each event is ' +
    'applied once (deduplicated by id) and any arrival order is safe. A signature dated more than 30 s in the ' +
    "future is refused; a `payment_intent.succeeded` whose amount or currency is not the order's is refused " +
    '(`refused_amount_mismatch`) and flagged on the order. Answer 200 tells Stripe to stop retrying.',
  externalDocs: { description: 'Stripe webhooks', url: 'https://docs.stripe.com/webhooks' },
  'x-contract': 'stripe',
  'x-stripe-events': ['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled'],
  request: {
    headers: z.object({
      'stripe-signature': z.string().openapi({ description: 'Set by Stripe: `t=<unix time>,v1=<HMAC-SHA256>`.' }),
    }),
    body: { required: true, ...json(StripeEvent) },
  },
  responses: {
    200: {
      description:
        'Received; `outcome` says what it did (applied, duplicate, ignored, refunded_unknown, ' +
        'refused_amount_mismatch, not_handled, stale, …)',
      ...json(z.object({ received: z.boolean(), outcome: z.string() }).openapi('WebhookReceipt')),
    },
    400: failure(
      'Missing or wrong signature, or one dated in the future (WEBHOOK_SIGNATURE_INVALID); a validly signed ' +
        'payment event without the fields an order needs (VALIDATION_FAILED)',
    ),
    413: failure('The body is larger than 256 KiB'),
  },
});

webhookRoutes.post(
  '/stripe',
  noQuery(),
  bodyLimit({
    maxSize: 256 * 1024,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', 'The body is larger than 256 KiB.');
    },
  }),
  async (c) => {
    const signature = c.req.header('stripe-signature');
    if (!signature) throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'Missing Stripe-Signature header.');
    const result = unwrap(await traced(c.env.CHECKOUT).stripeWebhook(await c.req.text(), signature));
    return c.json({ received: result.received, outcome: result.outcome }, 200);
  },
);
