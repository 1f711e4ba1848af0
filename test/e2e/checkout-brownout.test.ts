// Checkout through a Stripe brownout (issue 11, findings 11 and 13). The local Stripe is hung (its hang switch:
// requests are taken in and left unanswered, webhooks wait, as with SIGSTOP) while shoppers check out, then
// resumed, and it runs every request it parked, as Stripe did. A checkout answers within its bound whatever Stripe
// does; a payment that lands for an interrupted checkout accepts the order; a retry with the same key gets it.
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { testVars } from '../stack.config';
import {
  checkout,
  checkoutBody,
  freshSku,
  intentsOfOrder,
  inventory,
  orderOf,
  setStock,
  shopperWith,
  stripe,
  stripeControl,
  waitForStatus,
} from './checkout-helpers';
import { client, devAccountToken, eventually } from './helpers';

afterEach(() => stripeControl('resume'));

/** One checkout while Stripe hangs: a 503 PAYMENT_PROVIDER_UNAVAILABLE, and how long it took to say so. */
async function checkoutWhileHung(token: string, key: string) {
  await stripeControl('hang');
  const started = Date.now();
  const first = await checkout(token, checkoutBody(), key);
  const took = Date.now() - started;
  expect(first.response.status).toBe(503);
  expect(first.error?.error.code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
  return { first, took };
}

// The hung calls opened the checkout worker's Stripe breaker: the next test file's checkouts would answer 503 until
// its open time ends. Leave the stack as found: wait until the breaker lets a trial call through again.
afterAll(async () => {
  const admin = client(await devAccountToken('admin'));
  await eventually(
    "the checkout worker's Stripe breaker no longer open",
    async () => {
      const { data } = await admin.GET('/v1/admin/ops/breakers');
      const stripeBreaker = data?.breakers.find((b) => b.worker === 'checkout' && b.name === 'stripe');
      return data !== undefined && stripeBreaker?.state !== 'open';
    },
    30_000,
    500,
  );
});

/** The sub of a token (the owner named in its orders' PaymentIntent metadata). */
const subOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub as string;

/** Retries a checkout with its key while it answers 503 (the breaker may still be open), as a client would. */
async function retryUntilAnswered(token: string, key: string, body = checkoutBody()) {
  return eventually(
    `checkout ${key} answered`,
    async () => {
      const r = await checkout(token, body, key);
      return r.response.status === 503 ? false : r;
    },
    30_000,
    500,
  );
}

/** Every webhook event the local Stripe has made is delivered (none waiting for a retry). */
async function webhooksDelivered() {
  await eventually(
    'webhooks delivered',
    async () => {
      const res = await fetch(`${inject('stripeUrl')}/_local/deliveries`, { signal: AbortSignal.timeout(5000) });
      const { data } = (await res.json()) as { data: { delivered: boolean; gave_up: boolean }[] };
      return data.every((d) => d.delivered || d.gave_up);
    },
    20_000,
    200,
  );
}

describe('checkout while Stripe hangs', () => {
  it('answers 503 within its bound (STRIPE_CHECKOUT_TIMEOUT_MS), and the retry with the same key resumes the same order and PaymentIntent', async () => {
    const sku = await freshSku(5);
    const token = await shopperWith(sku, 1);
    const key = crypto.randomUUID();
    const { first, took } = await checkoutWhileHung(token, key);
    expect(first.response.headers.get('retry-after')).toMatch(/^\d+$/);
    // STRIPE_CHECKOUT_TIMEOUT_MS plus the rest of the checkout; it was 16 s (5 s x 3 SDK attempts).
    expect(took).toBeLessThan(Number(testVars.STRIPE_CHECKOUT_TIMEOUT_MS) + 3000);
    // The order kept its stock while the outcome of the payment is unknown.
    expect(await inventory(sku)).toMatchObject({ held: 1, sold: 0 });

    await stripeControl('resume');
    const retried = await retryUntilAnswered(token, key);
    expect(retried.response.status).toBe(202);
    const orderId = retried.data!.orderId;
    const paid = await waitForStatus(token, orderId, 'paid', 10_000);
    expect(paid.payment.refunded.amount).toBe(0);
    const intents = await intentsOfOrder(orderId);
    expect(intents.map((pi) => pi.status)).toEqual(['succeeded']);
    expect(paid.payment.paymentIntentId).toBe(intents[0]!.id);
    expect(await inventory(sku)).toMatchObject({ held: 0, sold: 1, available: 4 });
  }, 90_000);

  it('a SKU with a per-customer cap: the card lookup fails open, and lookup and payment keep the one bound', async () => {
    const sku = await freshSku(5);
    expect((await setStock(sku, 5, { maxPerCustomer: 1 })).data?.maxPerCustomer).toBe(1);
    const token = await shopperWith(sku, 1);
    const key = crypto.randomUUID();
    const { took } = await checkoutWhileHung(token, key);
    // The lookup (STRIPE_LOOKUP_TIMEOUT_MS) is a part of STRIPE_CHECKOUT_TIMEOUT_MS, not added to it.
    expect(took).toBeLessThan(Number(testVars.STRIPE_CHECKOUT_TIMEOUT_MS) + 3000);
    // Held without the card's key, and kept while the outcome of the payment is unknown.
    expect(await inventory(sku)).toMatchObject({ held: 1, sold: 0 });

    await stripeControl('resume');
    const retried = await retryUntilAnswered(token, key);
    expect(retried.response.status).toBe(202);
    await waitForStatus(token, retried.data!.orderId, 'paid', 10_000);
    expect(await inventory(sku)).toMatchObject({ held: 0, sold: 1, available: 4 });
  }, 90_000);

  it('turns no waiting checkout into a charge, a refund and a lost sale: one paid order per key, no refund', async () => {
    const sku = await freshSku(40);
    const shoppers = await Promise.all(Array.from({ length: 8 }, () => shopperWith(sku, 2)));
    const keys = shoppers.map(() => crypto.randomUUID());
    await stripeControl('hang');
    const answers = await Promise.all(shoppers.map((t, i) => checkout(t, checkoutBody(), keys[i]!)));
    expect(answers.map((a) => a.response.status)).toEqual(Array(8).fill(503));

    // Stripe comes back and runs every request it parked: each order's PaymentIntent is created and confirmed,
    // and its payment_intent.succeeded reaches the shopper's OrdersDO before any retry.
    await stripeControl('resume');
    const owners = new Set(shoppers.map(subOf));
    await eventually(
      'a succeeded PaymentIntent per shopper',
      async () => {
        const all = await stripe().paymentIntents.list({ limit: 100 });
        const mine = all.data.filter((pi) => owners.has(pi.metadata.owner!) && pi.status === 'succeeded');
        return new Set(mine.map((pi) => pi.metadata.owner)).size === 8;
      },
      30_000,
      250,
    );
    await webhooksDelivered();

    const retries = await Promise.all(shoppers.map((t, i) => retryUntilAnswered(t, keys[i]!)));
    expect(retries.map((r) => [r.response.status, r.error?.error.code])).toEqual(Array(8).fill([202, undefined]));
    const orderIds = retries.map((r) => r.data!.orderId);
    expect(new Set(orderIds).size).toBe(8);
    for (const [i, orderId] of orderIds.entries()) {
      const paid = await waitForStatus(shoppers[i]!, orderId, 'paid', 10_000);
      expect(paid.payment.refunded.amount).toBe(0);
      expect(paid.history.map((h) => h.to)).toEqual(['pending_payment', 'paid']);
      const intents = await intentsOfOrder(orderId);
      expect(intents).toHaveLength(1);
      expect(intents[0]!.status).toBe('succeeded');
      expect((await stripe().charges.retrieve(intents[0]!.latest_charge as string)).amount_refunded).toBe(0);
      // The same key answers the same again.
      const again = await checkout(shoppers[i]!, checkoutBody(), keys[i]!);
      expect([again.response.status, again.data?.orderId]).toEqual([202, orderId]);
      expect((await orderOf(shoppers[i]!, orderId)).data!.status).toBe('paid');
    }
    expect(await inventory(sku)).toMatchObject({ onHand: 40, held: 0, sold: 16, available: 24 });
  }, 150_000);
});
