// Stripe's webhook under abuse (issue 11, findings 7 and 8), with deliveries signed with the real secret: a payment
// of the wrong amount or currency is refused and flagged, a signature dated in the future is refused, and a
// validly signed but malformed event answers 400, never a 5xx, and changes nothing.
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { STRIPE_DEV_WEBHOOK_SECRET } from '../../dev/stack';
import {
  checkout,
  checkoutBody,
  freshSku,
  intentsOfOrder,
  inventory,
  orderOf,
  shopperWith,
  stripeEvent,
  waitForStatus,
} from './checkout-helpers';
import { api, eventually, ok, primary } from './helpers';

/** POSTs `payload` as Stripe would, signed with the endpoint's secret at `timestamp` (unix seconds). */
function deliver(payload: string, timestamp = Math.floor(Date.now() / 1000)) {
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_DEV_WEBHOOK_SECRET, timestamp });
  return api('/v1/webhooks/stripe', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    body: payload,
  });
}

/** An order waiting for 3-D Secure (pending_payment) and its PaymentIntent as Stripe has it. */
async function pendingOrder() {
  const sku = await freshSku(5, 4000);
  const token = await shopperWith(sku, 2);
  const r = await checkout(token, checkoutBody('pm_card_authenticationRequired'));
  expect(r.response.status).toBe(202);
  const orderId = r.data!.orderId;
  const [pi] = await intentsOfOrder(orderId);
  return { sku, token, orderId, pi: pi!, total: r.data!.totals.total.amount };
}

describe('webhook: amount, currency and timestamp', () => {
  it('refuses a payment of another amount or currency: the order is not paid, it is flagged, and ops see it in Postgres', async () => {
    const { sku, token, orderId, pi, total } = await pendingOrder();
    const succeeded = (changes: Record<string, unknown>) =>
      JSON.stringify(stripeEvent('payment_intent.succeeded', { ...pi, status: 'succeeded', ...changes }));

    const cent = await deliver(succeeded({ amount_received: 1 }));
    expect(cent.status).toBe(200);
    expect(cent.body).toEqual({ received: true, outcome: 'refused_amount_mismatch' });
    const euro = await deliver(succeeded({ amount_received: total, currency: 'eur' }));
    expect(euro.body.outcome).toBe('refused_amount_mismatch');

    const order = await ok('order', orderOf(token, orderId));
    expect(order.status).toBe('pending_payment');
    expect(order.payment.status).not.toBe('succeeded');
    const flags = order.history.filter((h) => h.from === h.to);
    expect(flags.map((h) => h.reason)).toEqual([
      `payment refused: received 1 USD, the order is ${total} USD`,
      `payment refused: received ${total} EUR, the order is ${total} USD`,
    ]);
    expect(await inventory(sku)).toMatchObject({ held: 2, sold: 0 });

    // The genuine payment (3-D Secure completed, within the test's 12 s hold) still pays the order, once.
    const done = await fetch(pi.next_action!.redirect_to_url!.url!, {
      method: 'POST',
      signal: AbortSignal.timeout(5000),
    });
    expect(done.status).toBe(200);
    const paid = await waitForStatus(token, orderId, 'paid', 10_000);
    expect(paid.payment).toMatchObject({ status: 'succeeded', refunded: { amount: 0 } });
    expect(await inventory(sku)).toMatchObject({ held: 0, sold: 2 });

    // Ops find flagged orders in Postgres: history rows that are not transitions.
    await eventually(
      'the flags in order_events',
      async () => {
        const rows = await primary(
          "select reason from order_events where order_id = $1 and from_status = to_status and reason like 'payment refused:%'",
          [orderId],
        );
        return rows.length === 2;
      },
      15_000,
      250,
    );
  });

  it('refuses a signature dated more than 30 s in the future, and takes one within that skew', async () => {
    const { token, orderId, pi } = await pendingOrder();
    const now = Math.floor(Date.now() / 1000);
    const paidEvent = () =>
      JSON.stringify(
        stripeEvent('payment_intent.succeeded', { ...pi, status: 'succeeded', amount_received: pi.amount }),
      );

    for (const ahead of [4000, 120, 45]) {
      const r = await deliver(paidEvent(), now + ahead);
      expect(r.status, `${ahead} s ahead`).toBe(400);
      expect(r.body.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    expect((await ok('order', orderOf(token, orderId))).status).toBe('pending_payment');
    // An honest sender's clock a little ahead of ours.
    const skewed = await deliver(paidEvent(), now + 10);
    expect(skewed.status).toBe(200);
    expect(skewed.body.outcome).toBe('applied');
    await waitForStatus(token, orderId, 'paid', 5000);
  });
});

describe('webhook: malformed but validly signed events', () => {
  it('answers 400 VALIDATION_FAILED (never 5xx) and changes nothing', async () => {
    const { sku, token, orderId, pi } = await pendingOrder();
    const good = { ...pi, status: 'succeeded', amount_received: pi.amount };
    const base = stripeEvent('payment_intent.succeeded', good);
    const { data: _data, ...noData } = base;
    const variants: Record<string, unknown> = {
      'no data': noData,
      'data: null': { ...base, data: null },
      'data.object: null': { ...base, data: { object: null } },
      'data.object a string': { ...base, data: { object: 'pi_123' } },
      'metadata.owner an object': { ...base, data: { object: { ...good, metadata: { ...pi.metadata, owner: {} } } } },
      'metadata.orderId a number': { ...base, data: { object: { ...good, metadata: { ...pi.metadata, orderId: 7 } } } },
      'metadata null': { ...base, data: { object: { ...good, metadata: null } } },
      'no amount_received': { ...base, data: { object: { ...good, amount_received: undefined } } },
      'amount a string': { ...base, data: { object: { ...good, amount: '9116' } } },
      'id missing': { ...base, data: { object: { ...good, id: undefined } } },
      'not a payment_intent': { ...base, data: { object: { ...good, object: 'charge' } } },
      'type a number': { ...base, type: 42 },
      'no event id': { ...base, id: undefined },
      'an array': [base],
      null: null,
      'a number': 7,
    };
    for (const [name, event] of Object.entries(variants)) {
      const r = await deliver(JSON.stringify(event));
      expect(r.status, name).toBe(400);
      expect(r.body.error.code, name).toBe('VALIDATION_FAILED');
    }
    // Another event type with any data is not ours to judge: received, not handled.
    const other = await deliver(JSON.stringify({ ...base, type: 'customer.created', data: null }));
    expect(other.status).toBe(200);
    expect(other.body.outcome).toBe('not_handled');

    const order = await ok('order', orderOf(token, orderId));
    expect(order.status).toBe('pending_payment');
    expect(order.history.map((h) => h.to)).toEqual(['pending_payment']);
    expect(await inventory(sku)).toMatchObject({ held: 2, sold: 0 });
    // The well-formed event is still applied.
    expect((await deliver(JSON.stringify(base))).body.outcome).toBe('applied');
    await waitForStatus(token, orderId, 'paid', 5000);
  });
});
