// dev/stripe-local.ts with the unchanged `stripe` SDK: refunds, idempotency keys, parameter validation, updates,
// event lists, auth and routing, each answered as Stripe answers them.
// Run: npx vitest run --project tools dev/stripe-local.requests.test.ts
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StripeLocal } from './stripe-local';
import { card, client, failure, KEY, sdkServer, stopAllAfterTests, waitFor } from './stripe-local.test-helpers';

stopAllAfterTests();

describe('stripe-local with the real stripe SDK: requests', () => {
  const { shared, eventsOf, waitEvents } = sdkServer();
  let server: StripeLocal;
  let stripe: Stripe;
  beforeAll(() => {
    ({ server, stripe } = shared);
  });

  it('refunds: partial, the remainder, then charge_already_refunded; over-refund is refused', async () => {
    const pi = await stripe.paymentIntents.create(card('pm_card_visa', { confirm: true }));
    const r1 = await stripe.refunds.create({
      payment_intent: pi.id,
      amount: 300,
      reason: 'requested_by_customer',
      metadata: { why: 'broken' },
    });
    expect(r1).toMatchObject({
      object: 'refund',
      amount: 300,
      status: 'succeeded',
      payment_intent: pi.id,
      charge: pi.latest_charge,
      reason: 'requested_by_customer',
      metadata: { why: 'broken' },
    });
    expect(r1.id).toMatch(/^re_/);
    expect(await stripe.charges.retrieve(pi.latest_charge as string)).toMatchObject({
      amount_refunded: 300,
      refunded: false,
    });
    const r2 = await stripe.refunds.create({ charge: pi.latest_charge as string });
    expect(r2.amount).toBe(700);
    expect(await stripe.charges.retrieve(pi.latest_charge as string)).toMatchObject({
      amount_refunded: 1000,
      refunded: true,
    });
    expect((await stripe.refunds.retrieve(r1.id)).amount).toBe(300);
    const done = await failure(stripe.refunds.create({ payment_intent: pi.id }));
    expect(done).toMatchObject({ type: 'StripeInvalidRequestError', code: 'charge_already_refunded' });
    const refundedEvents = await waitFor(() => {
      const got = eventsOf(pi.id).filter((e) => e.type === 'charge.refunded');
      return got.length === 2 && got;
    }, 'two charge.refunded events');
    expect(eventsOf(pi.id).filter((e) => e.type === 'refund.created')).toHaveLength(2);
    expect(refundedEvents.map((e) => (e.data.object as Stripe.Charge).amount_refunded)).toEqual([300, 1000]);
    expect(refundedEvents[0]!.data.previous_attributes).toEqual({ amount_refunded: 0, refunded: false });

    const pi2 = await stripe.paymentIntents.create(card('pm_card_visa', { confirm: true, amount: 2000 }));
    const over = await failure(stripe.refunds.create({ payment_intent: pi2.id, amount: 5000 }));
    expect(over).toMatchObject({ statusCode: 400, param: 'amount', code: 'amount_too_large' });
    expect(over.message).toBe('Refund amount ($50.00) is greater than unrefunded amount on charge ($20.00)');
    const unpaid = await stripe.paymentIntents.create(card('pm_card_visa'));
    expect(await failure(stripe.refunds.create({ payment_intent: unpaid.id }))).toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
  });

  it('disputes (test control): a disputed charge refuses refunds with charge_disputed until the dispute is won', async () => {
    const pi = await stripe.paymentIntents.create(card('pm_card_visa', { confirm: true, amount: 1500 }));
    const open = await fetch(`${server.url}/_local/disputes/${pi.id}`, { method: 'POST' });
    expect(open.status).toBe(200);
    expect(await open.json()).toMatchObject({ object: 'dispute', status: 'needs_response', payment_intent: pi.id });
    const refused = await failure(stripe.refunds.create({ payment_intent: pi.id }, { idempotencyKey: `d-${pi.id}` }));
    expect(refused).toMatchObject({ statusCode: 400, code: 'charge_disputed' });
    // Stripe keeps the refused answer under its key: the same key answers the same refusal.
    const again = await failure(stripe.refunds.create({ payment_intent: pi.id }, { idempotencyKey: `d-${pi.id}` }));
    expect(again).toMatchObject({ code: 'charge_disputed' });
    const won = await fetch(`${server.url}/_local/disputes/${pi.id}?status=won`, { method: 'POST' });
    expect(await won.json()).toMatchObject({ status: 'won' });
    expect((await stripe.refunds.create({ payment_intent: pi.id })).amount).toBe(1500);
    await waitEvents(pi.id, ['charge.dispute.created', 'charge.dispute.closed', 'refund.created']);
    const bad = await fetch(`${server.url}/_local/disputes/${pi.id}?status=maybe`, { method: 'POST' });
    expect(bad.status).toBe(400);
  });

  it('idempotency: same key + same params replays; other params -> StripeIdempotencyError', async () => {
    const key = `idem-${Math.random()}`;
    const a = await stripe.paymentIntents.create(card('pm_card_visa', { metadata: { k: '1' } }), {
      idempotencyKey: key,
    });
    const b = await stripe.paymentIntents.create(
      {
        metadata: { k: '1' },
        allowed_payment_method_types: ['card'],
        payment_method: 'pm_card_visa',
        currency: 'usd',
        amount: 1000,
      },
      { idempotencyKey: key },
    );
    expect(b.id).toBe(a.id);
    expect(a.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(b.lastResponse.headers['original-request']).toBe(a.lastResponse.requestId);
    const e = await failure(
      stripe.paymentIntents.create(card('pm_card_visa', { amount: 1001 }), { idempotencyKey: key }),
    );
    expect(e).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(e.message).toBe(
      `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
    );
    // A different API key has its own key space.
    const other = await client(server, { key: 'sk_test_someone_else' }).paymentIntents.create(
      card('pm_card_visa', { metadata: { k: '1' } }),
      { idempotencyKey: key },
    );
    expect(other.id).not.toBe(a.id);
    // A stored decline replays as the same 402 without a second attempt.
    const declineKey = `${key}-decline`;
    const d1 = await failure(
      stripe.paymentIntents.create(card('pm_card_chargeDeclined', { confirm: true }), { idempotencyKey: declineKey }),
    );
    const d2 = await failure(
      stripe.paymentIntents.create(card('pm_card_chargeDeclined', { confirm: true }), { idempotencyKey: declineKey }),
    );
    expect(d2).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(d2.payment_intent!.id).toBe(d1.payment_intent!.id);
    expect(d2.headers!['idempotent-replayed']).toBe('true');
    // Parameter-validation errors are not stored (as Stripe): the corrected request may reuse the key.
    const fixKey = `${key}-fix`;
    expect(
      await failure(stripe.paymentIntents.create(card('pm_card_visa', { amount: 0 }), { idempotencyKey: fixKey })),
    ).toMatchObject({ param: 'amount' });
    expect((await stripe.paymentIntents.create(card('pm_card_visa'), { idempotencyKey: fixKey })).status).toBe(
      'requires_confirmation',
    );
    const list = await stripe.events.list({ type: 'payment_intent.created', limit: 100 });
    expect(list.data.filter((ev) => (ev.data.object as Stripe.PaymentIntent).id === a.id)).toHaveLength(1);
    expect(
      list.data.filter((ev) => (ev.data.object as Stripe.PaymentIntent).id === d1.payment_intent!.id),
    ).toHaveLength(1);
  });

  it('validation: unknown params, bad amount/currency, unknown PaymentMethod, unknown ids', async () => {
    const unknown = await failure(
      stripe.paymentIntents.create({ ...card('pm_card_visa'), shoe_size: '42' } as Stripe.PaymentIntentCreateParams),
    );
    expect(unknown).toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      param: 'shoe_size',
      message: 'Received unknown parameter: shoe_size',
    });
    expect(await failure(stripe.paymentIntents.create(card('pm_card_visa', { amount: -5 })))).toMatchObject({
      param: 'amount',
    });
    expect(await failure(stripe.paymentIntents.create(card('pm_card_visa', { amount: 10 })))).toMatchObject({
      param: 'amount',
      code: 'amount_too_small',
    });
    expect(await failure(stripe.paymentIntents.create(card('pm_card_visa', { currency: 'usdx' })))).toMatchObject({
      param: 'currency',
    });
    expect(
      await failure(stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams)),
    ).toMatchObject({ param: 'amount', message: 'Missing required param: amount.' });
    expect(await failure(stripe.paymentIntents.create(card('pm_nope')))).toMatchObject({
      code: 'resource_missing',
      param: 'payment_method',
      message: "No such PaymentMethod: 'pm_nope'",
    });
    expect(await failure(stripe.paymentIntents.retrieve('pi_nope'))).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      message: "No such payment_intent: 'pi_nope'",
    });
    // `payment_method_types` (the pre-`allowed_payment_method_types` name) is accepted; only card is supported.
    const legacy = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method_types: ['card'],
    } as Stripe.PaymentIntentCreateParams);
    expect(legacy).toMatchObject({ payment_method_types: ['card'], automatic_payment_methods: null });
    expect(
      await failure(stripe.paymentIntents.create(card('pm_card_visa', { allowed_payment_method_types: ['paypal'] }))),
    ).toMatchObject({ param: 'allowed_payment_method_types' });
    // Automatic payment methods (the API default) need a return_url to confirm, as on Stripe.
    expect(
      await failure(
        stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }),
      ),
    ).toMatchObject({ param: 'return_url' });
    const apm = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(apm).toMatchObject({
      status: 'succeeded',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
  });

  it('update: metadata merges (empty value deletes), amount only while not final', async () => {
    const pi = await stripe.paymentIntents.create(card('pm_card_visa', { metadata: { a: '1', b: '2' } }));
    const up = await stripe.paymentIntents.update(pi.id, {
      metadata: { b: '', c: '3' },
      description: 'updated',
      amount: 1500,
    });
    expect(up).toMatchObject({
      metadata: { a: '1', c: '3' },
      description: 'updated',
      amount: 1500,
      status: 'requires_confirmation',
    });
    const paid = await stripe.paymentIntents.confirm(pi.id);
    expect(paid.amount_received).toBe(1500);
    expect((await stripe.paymentIntents.update(pi.id, { metadata: { shipped: 'yes' } })).metadata).toEqual({
      a: '1',
      c: '3',
      shipped: 'yes',
    });
    expect(await failure(stripe.paymentIntents.update(pi.id, { amount: 2000 }))).toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });

  it('events list: type filter, limit, has_more and pagination', async () => {
    const page1 = await stripe.events.list({ type: 'payment_intent.*', limit: 2 });
    expect(page1).toMatchObject({ object: 'list', has_more: true, url: '/v1/events' });
    expect(page1.data).toHaveLength(2);
    expect(page1.data.every((e) => e.type.startsWith('payment_intent.'))).toBe(true);
    const page2 = await stripe.events.list({ type: 'payment_intent.*', limit: 2, starting_after: page1.data[1]!.id });
    expect(page2.data[0]!.id).not.toBe(page1.data[1]!.id);
    expect(
      (await stripe.events.list({ type: 'charge.refunded' })).data.every((e) => e.type === 'charge.refunded'),
    ).toBe(true);
    const ev = await stripe.events.retrieve(page1.data[0]!.id);
    expect(ev).toMatchObject({
      id: page1.data[0]!.id,
      object: 'event',
      request: { id: expect.stringMatching(/^req_/) },
    });
  });

  it('auth and routing: 401 on a bad or missing key, 404 on unknown routes, Request-Id everywhere', async () => {
    const e = await failure(
      client(server, { key: 'sk_live_nope_1234567890' }).paymentIntents.create(card('pm_card_visa')),
    );
    expect(e).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(e.message).toMatch(/^Invalid API Key provided: sk_live_\*+7890$/);
    const none = await fetch(`${server.url}/v1/payment_intents`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(
      /^You did not provide an API key/,
    );
    const nf = await fetch(`${server.url}/v1/nope`, { headers: { Authorization: `Bearer ${KEY}` } });
    expect(nf.status).toBe(404);
    expect(nf.headers.get('request-id')).toMatch(/^req_/);
    expect(nf.headers.get('content-type')).toBe('application/json');
    expect(((await nf.json()) as { error: { message: string } }).error.message).toMatch(
      /^Unrecognized request URL \(GET: \/v1\/nope\)/,
    );
  });
});
