// The webhook's checks without a stack: the signature's timestamp bounds (past and future) and the shape of the
// payment events an order needs (a malformed one is a 400 VALIDATION_FAILED, never a crash).
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { paymentEventOf } from './events';
import { verifyWebhook, WEBHOOK_FUTURE_SKEW_SECONDS } from './stripe';

const secret = 'whsec_unit_test_secret';
const env = { STRIPE_WEBHOOK_SECRET: secret };
const intent = {
  id: 'pi_1',
  object: 'payment_intent',
  status: 'succeeded',
  amount: 9116,
  amount_received: 9116,
  currency: 'usd',
  metadata: { orderId: 'ord_1', owner: 'guest:1' },
  last_payment_error: null,
};
const event = (object: unknown = intent, type = 'payment_intent.succeeded') => ({
  id: 'evt_1',
  object: 'event',
  type,
  data: { object },
});

function signed(payload: string, ageSeconds: number) {
  const timestamp = Math.floor(Date.now() / 1000) - ageSeconds;
  return verifyWebhook(env, payload, Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }));
}

describe('verifyWebhook', () => {
  const payload = JSON.stringify(event());
  it('takes a fresh signature, one a little in the future, and one almost 5 minutes old', async () => {
    for (const age of [0, -10, -(WEBHOOK_FUTURE_SKEW_SECONDS - 2), 290]) {
      await expect(signed(payload, age), `age ${age}`).resolves.toMatchObject({ id: 'evt_1' });
    }
  });
  it('refuses a signature dated more than 30 s ahead, and one older than 5 minutes', async () => {
    for (const age of [-4000, -(WEBHOOK_FUTURE_SKEW_SECONDS + 5), 400]) {
      await expect(signed(payload, age), `age ${age}`).rejects.toBeInstanceOf(
        Stripe.errors.StripeSignatureVerificationError,
      );
    }
  });
});

describe('paymentEventOf', () => {
  it('takes what an order needs from a payment_intent event', () => {
    expect(paymentEventOf(event())).toEqual({
      owner: 'guest:1',
      event: {
        id: 'evt_1',
        type: 'payment_intent.succeeded',
        orderId: 'ord_1',
        intentId: 'pi_1',
        intentStatus: 'succeeded',
        amount: 9116,
        amountReceived: 9116,
        currency: 'USD',
      },
    });
  });

  it('skips other types whatever their data, and intents without our metadata', () => {
    expect(paymentEventOf({ ...event(), type: 'customer.created', data: null })).toEqual({ skip: 'not_handled' });
    expect(paymentEventOf(event({ ...intent, metadata: {} }))).toEqual({ skip: 'not_ours' });
  });

  it.each([
    ['no data', { id: 'evt_1', object: 'event', type: 'payment_intent.succeeded' }],
    ['data: null', { ...event(), data: null }],
    ['data.object: null', event(null)],
    ['metadata.owner an object', event({ ...intent, metadata: { orderId: 'ord_1', owner: {} } })],
    ['metadata null', event({ ...intent, metadata: null })],
    ['amount_received missing', event({ ...intent, amount_received: undefined })],
    ['currency not a code', event({ ...intent, currency: 'dollars' })],
    ['not a payment_intent', event({ ...intent, object: 'charge' })],
    ['not an event', { ...event(), object: 'list' }],
    ['null', null],
    ['an array', [event()]],
  ])('refuses %s with 400 VALIDATION_FAILED', (_name, body) => {
    let thrown: unknown;
    try {
      paymentEventOf(JSON.parse(JSON.stringify(body)));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('VALIDATION_FAILED');
  });
});
