// The webhook's checks without a stack: the signature's timestamp bounds (past and future) and the shape of the
// payment and refund events an order needs (a malformed one is a 400 VALIDATION_FAILED, never a crash).
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { paymentEventOf, refundEventOf } from './events';
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

describe('refundEventOf', () => {
  const refund = {
    id: 're_1',
    object: 'refund',
    amount: 500,
    status: 'succeeded',
    payment_intent: 'pi_1',
    metadata: { orderId: 'ord_1', owner: 'guest:1', refundId: 're_ours' },
  };
  const charge = {
    id: 'ch_1',
    object: 'charge',
    amount: 9116,
    amount_refunded: 700,
    payment_intent: 'pi_1',
    metadata: { orderId: 'ord_1', owner: 'guest:1' },
  };

  it('takes a refund of ours and the charge refunded total, routed by their metadata', () => {
    expect(refundEventOf(event(refund, 'refund.updated'))).toEqual({
      owner: 'guest:1',
      event: {
        id: 'evt_1',
        type: 'refund.updated',
        orderId: 'ord_1',
        intentId: 'pi_1',
        refund: { stripeRefundId: 're_1', refundId: 're_ours', amount: 500, status: 'succeeded', failureReason: null },
      },
    });
    expect(refundEventOf(event(charge, 'charge.refunded'))).toEqual({
      owner: 'guest:1',
      event: { id: 'evt_1', type: 'charge.refunded', orderId: 'ord_1', intentId: 'pi_1', amountRefunded: 700 },
    });
  });

  it('skips other types and objects without our metadata', () => {
    expect(refundEventOf(event(intent, 'payment_intent.succeeded'))).toEqual({ skip: 'not_handled' });
    expect(refundEventOf(event({ ...refund, metadata: {} }, 'refund.created'))).toEqual({ skip: 'not_ours' });
    expect(refundEventOf(event({ ...charge, metadata: null }, 'charge.refunded'))).toEqual({ skip: 'not_ours' });
  });

  it.each([
    ['a refund without an amount', event({ ...refund, amount: undefined }, 'refund.created')],
    ['a charge in a refund event', event(charge, 'refund.updated')],
    ['a refund in charge.refunded', event(refund, 'charge.refunded')],
    ['amount_refunded a string', event({ ...charge, amount_refunded: '7' }, 'charge.refunded')],
  ])('refuses %s with 400 VALIDATION_FAILED', (_name, body) => {
    expect(() => refundEventOf(JSON.parse(JSON.stringify(body)))).toThrow(AppError);
  });
});
