// dev/stripe-local.ts with the unchanged `stripe` SDK (Node http client and createFetchHttpClient, as inside
// workerd): PaymentIntents confirmed, declined, sent through 3-D Secure and canceled, with signed webhooks.
// Run: npx vitest run --project tools dev/stripe-local.payments.test.ts
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type StripeLocal } from './stripe-local';
import {
  card,
  client,
  failure,
  type Receiver,
  sdkServer,
  stopAllAfterTests,
  waitFor,
} from './stripe-local.test-helpers';

stopAllAfterTests();

describe('stripe-local with the real stripe SDK: payments', () => {
  const { shared, waitEvents } = sdkServer();
  let server: StripeLocal;
  let hooks: Receiver;
  let stripe: Stripe;
  beforeAll(() => {
    ({ server, hooks, stripe } = shared);
  });

  it.each([
    ['node http client', false],
    ['fetch http client', true],
  ])('create + confirm pm_card_visa succeeds, webhooks are signed and delivered (%s)', async (_name, fetch) => {
    const s = client(server, { fetch });
    const created = await s.paymentIntents.create({
      amount: 2599,
      currency: 'USD',
      allowed_payment_method_types: ['card'],
      metadata: { orderId: 'ord_1' },
      description: 'order 1',
    });
    expect(created).toMatchObject({
      object: 'payment_intent',
      status: 'requires_payment_method',
      amount: 2599,
      currency: 'usd',
      livemode: false,
      metadata: { orderId: 'ord_1' },
      latest_charge: null,
      allowed_payment_method_types: ['card'],
      payment_method_types: ['card'],
      automatic_payment_methods: null,
    });
    expect(created.id).toMatch(/^pi_/);
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));
    expect(created.lastResponse.requestId).toMatch(/^req_/);
    const pi = await s.paymentIntents.confirm(created.id, {
      payment_method: 'pm_card_visa',
      expand: ['latest_charge'],
    });
    expect(pi).toMatchObject({
      status: 'succeeded',
      amount_received: 2599,
      last_payment_error: null,
      next_action: null,
    });
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({
      object: 'charge',
      amount: 2599,
      status: 'succeeded',
      paid: true,
      payment_intent: pi.id,
      refunded: false,
      metadata: { orderId: 'ord_1' },
    });
    expect((await s.charges.retrieve(charge.id)).id).toBe(charge.id);

    const events = await waitEvents(pi.id, ['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
    expect(events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    const succeeded = events[2]!;
    expect(succeeded).toMatchObject({
      object: 'event',
      api_version: API_VERSION,
      livemode: false,
      data: { object: { id: pi.id, status: 'succeeded' } },
    });
    expect(succeeded.request?.idempotency_key).toMatch(/^stripe-node-retry-/);
    expect((events[0]!.data.object as Stripe.PaymentIntent).status).toBe('requires_payment_method'); // a snapshot, not the live object
    expect(API_VERSION).toBe(Stripe.API_VERSION);
    const h = hooks.headers[hooks.events.indexOf(succeeded)]!;
    expect(h['content-type']).toBe('application/json; charset=utf-8');
    expect(h['user-agent']).toBe('Stripe/1.0 (+https://stripe.com/docs/webhooks)');
    expect(String(h['stripe-signature'])).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(hooks.rejected).toEqual([]);
    await waitFor(async () => (await s.events.retrieve(succeeded.id)).pending_webhooks === 0, 'pending_webhooks 0');
  });

  it('pm_card_chargeDeclined: StripeCardError with decline code; the PaymentIntent is back to requires_payment_method', async () => {
    const pi = await stripe.paymentIntents.create(card('pm_card_chargeDeclined'));
    expect(pi.status).toBe('requires_confirmation');
    const e = await failure(stripe.paymentIntents.confirm(pi.id));
    expect(e).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(e).toMatchObject({
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
    });
    expect(e.payment_intent).toMatchObject({
      id: pi.id,
      status: 'requires_payment_method',
      last_payment_error: { code: 'card_declined' },
    });
    const again = await stripe.paymentIntents.retrieve(pi.id);
    expect(again).toMatchObject({
      status: 'requires_payment_method',
      payment_method: null,
      last_payment_error: { type: 'card_error', decline_code: 'generic_decline' },
    });
    await waitEvents(pi.id, ['payment_intent.payment_failed', 'charge.failed']);
    // Create + confirm in one call fails the same way (the PaymentIntent exists afterwards).
    const e2 = await failure(stripe.paymentIntents.create(card('pm_card_chargeDeclined', { confirm: true })));
    expect(e2).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect((await stripe.paymentIntents.retrieve(e2.payment_intent!.id)).status).toBe('requires_payment_method');
  });

  it('pm_card_authenticationRequired: requires_action, then /_local/authenticate succeeds or fails it', async () => {
    const pi = await stripe.paymentIntents.create(
      card('pm_card_authenticationRequired', { confirm: true, return_url: 'https://shop.test/return' }),
    );
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action).toMatchObject({
      type: 'redirect_to_url',
      redirect_to_url: { return_url: 'https://shop.test/return', url: `${server.url}/_local/authenticate/${pi.id}` },
    });
    await waitEvents(pi.id, ['payment_intent.requires_action']);
    // The browser flow: a GET redirects to the return_url as Stripe does.
    const res = await fetch(pi.next_action!.redirect_to_url!.url!, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(Object.fromEntries(to.searchParams)).toEqual({
      payment_intent: pi.id,
      payment_intent_client_secret: pi.client_secret,
      redirect_status: 'succeeded',
    });
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    await waitEvents(pi.id, ['payment_intent.succeeded']);

    const pi2 = await stripe.paymentIntents.create(card('pm_card_threeDSecure2Required', { confirm: true }));
    expect(pi2.status).toBe('requires_action');
    const failed = await fetch(`${server.url}/_local/authenticate/${pi2.id}?outcome=fail`, { method: 'POST' });
    expect(failed.status).toBe(200);
    expect(await failed.json()).toMatchObject({
      id: pi2.id,
      status: 'requires_payment_method',
      last_payment_error: { code: 'payment_intent_authentication_failure' },
    });
    await waitEvents(pi2.id, ['payment_intent.payment_failed']);
    expect((await fetch(`${server.url}/_local/authenticate/${pi2.id}`, { method: 'POST' })).status).toBe(400); // not awaiting authentication
  });

  it('/_local/authenticate?outcome=processing: authenticated, processing until a later succeed or fail', async () => {
    const pi = await stripe.paymentIntents.create(card('pm_card_authenticationRequired', { confirm: true }));
    const progressed = await fetch(`${server.url}/_local/authenticate/${pi.id}?outcome=processing`, { method: 'POST' });
    expect(progressed.status).toBe(200);
    expect(await progressed.json()).toMatchObject({ id: pi.id, status: 'processing', next_action: null });
    await waitEvents(pi.id, ['payment_intent.processing']);
    const twice = await fetch(`${server.url}/_local/authenticate/${pi.id}?outcome=processing`, { method: 'POST' });
    expect(twice.status).toBe(400); // already processing
    expect((await fetch(`${server.url}/_local/authenticate/${pi.id}`, { method: 'POST' })).status).toBe(200);
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    await waitEvents(pi.id, ['payment_intent.succeeded']);
  });

  it('cancel from requires_action; cancel after success is payment_intent_unexpected_state', async () => {
    const pi = await stripe.paymentIntents.create(card('pm_card_authenticationRequired', { confirm: true }));
    const canceled = await stripe.paymentIntents.cancel(pi.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned', next_action: null });
    expect(canceled.canceled_at).toBeGreaterThan(0);
    await waitEvents(pi.id, ['payment_intent.canceled']);

    const paid = await stripe.paymentIntents.create(card('pm_card_visa', { confirm: true }));
    const e = await failure(stripe.paymentIntents.cancel(paid.id));
    expect(e).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(e).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    expect(e.message).toMatch(/^You cannot cancel this PaymentIntent because it has a status of succeeded\./);
    expect(e.payment_intent).toMatchObject({ id: paid.id, status: 'succeeded' });
    const bad = await failure(stripe.paymentIntents.cancel(paid.id, { cancellation_reason: 'bored' as 'abandoned' }));
    expect(bad).toMatchObject({ param: 'cancellation_reason' });
  });
});
