// dev/stripe-local.ts's brownout switch: while hung, a request with an idempotency key goes unanswered (the SDK
// gives up) and webhooks wait; on resume the parked requests run in arrival order, so the PaymentIntent exists
// once, its webhook goes out, and a retry with the same key gets the stored answer.
// Run: npx vitest run --project tools dev/stripe-local.brownout.test.ts
import { describe, expect, it } from 'vitest';
import { card, client, failure, sdkServer, stopAllAfterTests, waitFor } from './stripe-local.test-helpers';

stopAllAfterTests();

describe('stripe-local brownout (hang / resume)', () => {
  const { shared, eventsOf } = sdkServer();

  it('parks requests and webhooks while hung, then runs them in order', async () => {
    const { server, hooks, stripe } = shared;
    const params = card('pm_card_visa', { confirm: true, metadata: { orderId: 'ord_brownout' } });
    const idempotencyKey = `order_brownout_${Date.now()}`;
    const before = hooks.events.length;
    server.hang();
    const started = Date.now();
    const err = await failure(
      stripe.paymentIntents.create(params, { idempotencyKey, timeout: 300, maxNetworkRetries: 1 }),
    );
    expect(err.type).toBe('StripeConnectionError');
    expect(Date.now() - started).toBeLessThan(3000);
    // Over HTTP too: the control endpoint answers while the API does not.
    const res = await fetch(`${server.url}/_local/deliveries`);
    expect(res.ok).toBe(true);
    expect(hooks.events.length).toBe(before);

    server.resume();
    const listed = await waitFor(async () => {
      const all = await client(server).paymentIntents.list({ limit: 100 });
      const mine = all.data.filter((pi) => pi.metadata.orderId === 'ord_brownout');
      return mine.length > 0 && mine;
    }, 'the parked PaymentIntent');
    expect(listed.map((pi) => pi.status)).toEqual(['succeeded']);
    const retried = await stripe.paymentIntents.create(params, { idempotencyKey });
    expect(retried.id).toBe(listed[0]!.id);
    await waitFor(() => eventsOf(retried.id).some((e) => e.type === 'payment_intent.succeeded'), 'its webhook');
    expect(
      (await client(server).paymentIntents.list({ limit: 100 })).data.filter((pi) => pi.id === retried.id),
    ).toHaveLength(1);
  });

  it('is switched over HTTP: POST /_local/hang and /_local/resume', async () => {
    const { server } = shared;
    const hang = await fetch(`${server.url}/_local/hang`, { method: 'POST' });
    expect(await hang.json()).toEqual({ hung: true });
    const parked = fetch(`${server.url}/v1/payment_intents/pi_missing`, {
      headers: { authorization: 'Bearer sk_test_stripe_local_123' },
      signal: AbortSignal.timeout(5000),
    });
    await new Promise((r) => setTimeout(r, 200));
    const resume = await fetch(`${server.url}/_local/resume`, { method: 'POST' });
    expect(await resume.json()).toEqual({ hung: false });
    expect((await parked).status).toBe(404);
  });
});
