// Stripe's webhook. The body is passed on as the exact text received: the signature covers those bytes. The
// checkout worker verifies it (SDK async verifier) and applies the event once; 2xx tells Stripe to stop.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../../../lib/errors';
import { unwrap } from '../../../../lib/rpc';
import type { GatewayApp } from '../types';

export const webhookRoutes = new Hono<GatewayApp>();

webhookRoutes.post(
  '/stripe',
  bodyLimit({
    maxSize: 256 * 1024,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', 'The body is larger than 256 KiB.');
    },
  }),
  async (c) => {
    const signature = c.req.header('stripe-signature');
    if (!signature) throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'Missing Stripe-Signature header.');
    const result = unwrap(await c.env.CHECKOUT.stripeWebhook(await c.req.text(), signature));
    return c.json({ received: result.received, outcome: result.outcome }, 200);
  },
);
