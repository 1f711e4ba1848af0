// dev/stripe-local.test.ts — proves dev/stripe-local.ts lets the unchanged `stripe` SDK (Node http client and
// createFetchHttpClient, as inside workerd) run PaymentIntents, refunds, idempotency and webhooks locally;
// webhooks go to a small receiver that verifies every signature with constructEventAsync + SubtleCrypto.
// Run: npx vitest run --project tools dev/stripe-local.test.ts
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type StripeLocal, type StripeLocalOptions, startStripeLocal } from './stripe-local';

const SECRET = 'whsec_stripe_local_test_secret';
const KEY = 'sk_test_stripe_local_123';
const FAST = { baseDelayMs: 50, maxAttempts: 5, timeoutMs: 2000 };
const verifier = new Stripe(KEY);
const subtle = Stripe.createSubtleCryptoProvider();

/** Polls until `fn` returns a truthy value, or fails with `what` after `ms`. */
type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;
async function waitFor<T>(fn: () => T | Promise<T>, what: string, ms = 5000): Promise<Truthy<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Receiver {
  url: string;
  events: Stripe.Event[];
  headers: http.IncomingHttpHeaders[];
  attempts: Map<string, number>;
  rejected: string[];
  close(): Promise<void>;
}
/** Webhook endpoint: verifies the signature (else 400), answers 500 to the first `failFirst` attempts per event,
 *  and answers after `delayMs(event)` ms. */
async function startReceiver(
  o: { failFirst?: number; secret?: string; delayMs?: (e: Stripe.Event) => number } = {},
): Promise<Receiver> {
  const r: Omit<Receiver, 'url' | 'close'> = { events: [], headers: [], attempts: new Map(), rejected: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      verifier.webhooks
        .constructEventAsync(raw, String(req.headers['stripe-signature']), o.secret ?? SECRET, undefined, subtle)
        .then(
          async (event) => {
            if (o.delayMs) await new Promise((w) => setTimeout(w, o.delayMs!(event)));
            const n = (r.attempts.get(event.id) ?? 0) + 1;
            r.attempts.set(event.id, n);
            if (n <= (o.failFirst ?? 0)) {
              res.writeHead(500).end('not yet');
              return;
            }
            r.events.push(event);
            r.headers.push(req.headers);
            res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}');
          },
          (e: Error) => {
            r.rejected.push(e.message);
            res.writeHead(400).end(e.message);
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...r,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/stripe`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const client = (server: StripeLocal, o: { key?: string; fetch?: boolean } = {}) =>
  new Stripe(o.key ?? KEY, {
    host: '127.0.0.1',
    port: server.port,
    protocol: 'http',
    maxNetworkRetries: 2,
    timeout: 5000,
    ...(o.fetch ? { httpClient: Stripe.createFetchHttpClient() } : {}),
  });
/** The error a promise rejects with (fails the test if it resolves). */
const failure = async (p: Promise<unknown>): Promise<Stripe.errors.StripeError> => {
  try {
    await p;
  } catch (e) {
    return e as Stripe.errors.StripeError;
  }
  throw new Error('expected the request to fail');
};
const card = (pm: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}): Stripe.PaymentIntentCreateParams => ({
  amount: 1000,
  currency: 'usd',
  payment_method: pm,
  allowed_payment_method_types: ['card'],
  ...extra,
});

const stopAfter: { stop(): Promise<void> }[] = [];
const start = async (o: Partial<StripeLocalOptions> = {}) => {
  const s = await startStripeLocal({ port: 0, webhookSecret: SECRET, webhookRetry: FAST, ...o });
  stopAfter.push(s);
  return s;
};
const receiverFor = async (o: Parameters<typeof startReceiver>[0] = {}) => {
  const r = await startReceiver(o);
  stopAfter.push({ stop: r.close });
  return r;
};
afterAll(async () => {
  await Promise.all(stopAfter.map((s) => s.stop()));
});

describe('stripe-local with the real stripe SDK', () => {
  let server: StripeLocal;
  let hooks: Receiver;
  let stripe: Stripe;
  const eventsOf = (id: string) =>
    hooks.events.filter(
      (e) =>
        (e.data.object as { id?: string; payment_intent?: string }).id === id ||
        (e.data.object as { payment_intent?: string }).payment_intent === id,
    );
  const waitEvents = (id: string, types: string[]) =>
    waitFor(
      () => types.every((t) => eventsOf(id).some((e) => e.type === t)) && eventsOf(id),
      `${types.join(', ')} for ${id}`,
    );

  beforeAll(async () => {
    hooks = await receiverFor();
    server = await start({ webhookUrl: hooks.url });
    stripe = client(server);
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

describe('stripe-local concurrency and webhook delivery', () => {
  it('20 concurrent creates with one Idempotency-Key make exactly one PaymentIntent (409 in flight, SDK retries)', async () => {
    const lines: string[] = [];
    const server = await start({ latencyMs: 150, log: (l) => lines.push(l) });
    for (const fetch of [false, true]) {
      const stripe = client(server, { fetch });
      const run = `run-${fetch}-${Math.random()}`;
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          stripe.paymentIntents.create(card('pm_card_visa', { metadata: { run } }), { idempotencyKey: run }),
        ),
      );
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      const created = await stripe.events.list({ type: 'payment_intent.created', limit: 100 });
      expect(created.data.filter((e) => (e.data.object as Stripe.PaymentIntent).metadata.run === run)).toHaveLength(1);
      expect(
        (await stripe.paymentIntents.list({ limit: 100 })).data.filter((p) => p.metadata.run === run),
      ).toHaveLength(1);
    }
    expect(lines.filter((l) => / -> 409 /.test(l)).length).toBeGreaterThan(0);
    expect(lines.filter((l) => /\(replayed\)/.test(l)).length).toBeGreaterThan(0);
  });

  it('a receiver that answers 500 twice gets the event on the 3rd attempt (every attempt signed and verified)', async () => {
    const hooks = await receiverFor({ failFirst: 2 });
    const server = await start({ webhookUrl: hooks.url });
    const pi = await client(server).paymentIntents.create(card('pm_card_visa'));
    const [event] = await waitFor(() => hooks.events.length >= 1 && hooks.events, 'the event after retries');
    expect(event).toMatchObject({ type: 'payment_intent.created', data: { object: { id: pi.id } } });
    expect(hooks.attempts.get(event!.id)).toBe(3);
    const res = await fetch(`${server.url}/_local/deliveries`);
    const { data } = (await res.json()) as {
      data: { id: string; attempts: number; delivered: boolean; last_status: number }[];
    };
    expect(data).toEqual([expect.objectContaining({ id: event!.id, attempts: 3, delivered: true, last_status: 200 })]);
    expect(hooks.rejected).toEqual([]);
  });

  it('events wait for a webhook URL; deliveries give up after maxAttempts; a wrong secret fails verification', async () => {
    const server = await start({ webhookRetry: { ...FAST, maxAttempts: 3 } });
    const pi = await client(server).paymentIntents.create(card('pm_card_visa', { confirm: true }));
    expect(server.deliveries().map((d) => [d.type, d.attempts])).toEqual([
      ['payment_intent.created', 0],
      ['charge.succeeded', 0],
      ['payment_intent.succeeded', 0],
    ]);
    const wrong = await receiverFor({ secret: 'whsec_not_the_right_one' });
    server.setWebhookUrl(wrong.url);
    await waitFor(() => server.deliveries().every((d) => d.gave_up), 'giving up');
    expect(server.deliveries().every((d) => d.attempts === 3 && !d.delivered && d.last_status === 400)).toBe(true);
    expect(wrong.rejected.length).toBe(9);
    expect(wrong.rejected[0]).toMatch(/No signatures found matching the expected signature/);

    const later = await start({ webhookRetry: FAST });
    const stripe = client(later);
    const pi2 = await stripe.paymentIntents.create(card('pm_card_visa', { confirm: true }));
    const hooks = await receiverFor();
    later.setWebhookUrl(hooks.url);
    await waitFor(() => hooks.events.length === 3, 'the 3 queued events');
    expect(hooks.events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    expect(
      hooks.events.every(
        (e) =>
          (e.data.object as { id: string; payment_intent?: string }).payment_intent === pi2.id ||
          (e.data.object as { id: string }).id === pi2.id,
      ),
    ).toBe(true);
    expect(pi.id).not.toBe(pi2.id);
  });

  it('a slow delivery holds back later events of the same PaymentIntent only', async () => {
    const slow = (e: Stripe.Event) =>
      e.type === 'payment_intent.created' && (e.data.object as Stripe.PaymentIntent).metadata.slow ? 1000 : 0;
    const hooks = await receiverFor({ delayMs: slow });
    const server = await start({ webhookUrl: hooks.url });
    const stripe = client(server);
    const a = await stripe.paymentIntents.create(card('pm_card_visa', { metadata: { slow: 'yes' } }));
    await waitFor(() => server.deliveries()[0]?.attempts === 1, 'the slow delivery to start');
    const confirmed = await stripe.paymentIntents.confirm(a.id); // charge.succeeded + payment_intent.succeeded queue behind it
    const b = await stripe.paymentIntents.create(card('pm_card_visa'));
    await waitFor(
      () => hooks.events.some((e) => (e.data.object as Stripe.PaymentIntent).id === b.id),
      "the other PaymentIntent's event",
    );
    expect(
      hooks.events.some(
        (e) =>
          (e.data.object as { id: string; payment_intent?: string }).payment_intent === a.id ||
          (e.data.object as { id: string }).id === a.id,
      ),
    ).toBe(false);
    await waitFor(() => hooks.events.length === 4, 'all 4 events');
    expect(hooks.events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    expect(
      hooks.events.map(
        (e) =>
          (e.data.object as { id: string; payment_intent?: string }).payment_intent ??
          (e.data.object as { id: string }).id,
      ),
    ).toEqual([b.id, a.id, a.id, a.id]);
    expect(confirmed.status).toBe('succeeded');
  });

  it('stop() ends the server and pending deliveries', async () => {
    const hooks = await receiverFor({ failFirst: 100 });
    const server = await startStripeLocal({
      port: 0,
      webhookSecret: SECRET,
      webhookUrl: hooks.url,
      webhookRetry: { baseDelayMs: 100, maxAttempts: 5, timeoutMs: 1000 },
    });
    await client(server).paymentIntents.create(card('pm_card_visa'));
    await waitFor(() => server.deliveries()[0]?.last_status === 500 && hooks.attempts.size === 1, 'the first attempt');
    await server.stop();
    await new Promise((r) => setTimeout(r, 300)); // the retry was due after 50-100 ms
    expect(server.deliveries()[0]!.attempts).toBe(1);
    expect([...hooks.attempts.values()]).toEqual([1]);
    const e = await failure(fetch(`${server.url}/v1/events`));
    expect(String((e as Error).cause ?? e)).toMatch(/ECONNREFUSED/);
  });
});
