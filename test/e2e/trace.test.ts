// One checkout followed by its trace id: the W3C traceparent a client sends (or the one the gateway starts) goes
// from the gateway through the checkout worker and OrdersDO to the outgoing Stripe call (a header the local Stripe
// records) and, in the order copy's Queue message, to the consumer's log line; every line carries the request id.
import { describe, expect, inject, it } from 'vitest';
import { parseTraceparent } from '../../lib/trace';
import { checkoutBody, freshSku, shopperWith } from './checkout-helpers';
import { client, eventually } from './helpers';
import { workerLogLines } from './worker-log';

const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');

async function stripeRequests(): Promise<{ method: string; path: string; traceparent: string | null }[]> {
  const res = await fetch(`${inject('stripeUrl')}/_local/requests`, { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as { data: { method: string; path: string; traceparent: string | null }[] }).data;
}

describe('tracing', () => {
  it("follows one checkout's trace id from the gateway to the Stripe call and the consumer's log line", async () => {
    const sku = await freshSku(5, 1500);
    const token = await shopperWith(sku, 1);
    const traceId = hex(16);
    const incoming = `00-${traceId}-${hex(8)}-01`;
    const r = await client(token).POST('/v1/checkout', {
      params: { header: { 'idempotency-key': crypto.randomUUID() } },
      body: checkoutBody(),
      headers: { traceparent: incoming },
    });
    expect(r.response.status).toBe(202);
    const orderId = r.data!.orderId;
    const requestId = r.response.headers.get('x-request-id')!;
    // The gateway's span: same trace, its own span id.
    const answered = parseTraceparent(r.response.headers.get('traceparent'))!;
    expect(answered.traceId).toBe(traceId);
    expect(answered.parentId).not.toBe(incoming.split('-')[2]);

    // The PaymentIntent's creation carried the trace, as a child span of the checkout's.
    const toStripe = (await stripeRequests()).filter((q) => parseTraceparent(q.traceparent)?.traceId === traceId);
    expect(toStripe.map((q) => `${q.method} ${q.path}`)).toContain('POST /v1/payment_intents');

    // The consumer wrote the accepted order's copy in the same trace, with the request id of the checkout.
    const written = await eventually(
      'the consumer logs the order copy in the checkout trace',
      async () => workerLogLines(traceId).find((l) => l.msg === 'order copy written' && l.orderId === orderId),
      20_000,
      200,
    );
    expect(written).toMatchObject({ level: 'info', traceId, requestId });
    expect(written.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('starts a trace when the client sends none or a malformed one, and keeps the request id apart', async () => {
    for (const header of [undefined, 'not-a-traceparent', `00-${'0'.repeat(32)}-${hex(8)}-01`]) {
      const res = await fetch(`${inject('gatewayUrl')}/v1/no-such-route`, {
        headers: header ? { traceparent: header } : {},
        signal: AbortSignal.timeout(5000),
      });
      expect(res.status).toBe(404);
      const started = parseTraceparent(res.headers.get('traceparent'));
      expect(started).not.toBeNull();
      expect(header ?? '').not.toContain(started!.traceId);
      // The 404 is logged (REQUEST_LOG=errors) with both ids.
      const requestId = res.headers.get('x-request-id')!;
      const line = await eventually(
        'the request line',
        async () => workerLogLines(requestId).find((l) => l.msg === 'request'),
        10_000,
        100,
      );
      expect(line).toMatchObject({ requestId, traceId: started!.traceId, status: 404 });
    }
  });
});
