// dev/stripe-local.ts under concurrency (one Idempotency-Key, many requests at once) and its webhook delivery:
// retries, giving up, wrong secrets, per-PaymentIntent ordering, and stop().
// Run: npx vitest run --project tools dev/stripe-local.webhooks.test.ts
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { startStripeLocal } from './stripe-local';
import {
  card,
  client,
  FAST,
  failure,
  receiverFor,
  SECRET,
  start,
  stopAllAfterTests,
  waitFor,
} from './stripe-local.test-helpers';

stopAllAfterTests();

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

  it('delivers only the enabled events, as a Stripe endpoint with enabled_events does; the rest are still listed', async () => {
    const hooks = await receiverFor({});
    const server = await start({ webhookUrl: hooks.url, enabledEvents: ['payment_intent.succeeded'] });
    const stripe = client(server);
    const pi = await stripe.paymentIntents.create(card('pm_card_visa', { confirm: true }));
    expect(pi.status).toBe('succeeded');
    await waitFor(() => hooks.events.some((e) => e.type === 'payment_intent.succeeded'), 'the succeeded event');
    await new Promise((r) => setTimeout(r, 300)); // anything else would have been sent by now
    expect(hooks.events.map((e) => e.type)).toEqual(['payment_intent.succeeded']);
    const all = (await stripe.events.list({ limit: 100 })).data.filter(
      (e) =>
        (e.data.object as { id?: string; payment_intent?: string }).id === pi.id ||
        (e.data.object as { payment_intent?: string }).payment_intent === pi.id,
    );
    expect(all.map((e) => e.type).sort()).toEqual([
      'charge.succeeded',
      'payment_intent.created',
      'payment_intent.succeeded',
    ]);
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
