// Merchants' outbound webhooks through the running stack: endpoints registered through the admin API (validated,
// audited, merchant role only), a paid order's events delivered signed (checked here with the secret shown once),
// a failing endpoint retried with growing waits then dead-lettered, every attempt in the delivery log, and the
// secret's rotation.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../lib/alerts/signature';
import { testNotificationsMaxRetries } from '../stack.config';
import { adminToken, merchantToken, paidOrder, refund } from './admin-orders-helpers';
import { freshSku, guestToken, setStock } from './checkout-helpers';
import { adminPatch, client, eventually, insertProduct, primary } from './helpers';
import { expectError, registered } from './identity-helpers';
import { SLOW_MS, startReceiver } from './notify-helpers';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const created: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  const merchant = client(await merchantToken());
  for (const id of created) await merchant.DELETE('/v1/admin/webhooks/{id}', { params: { path: { id } } });
  await receiver.stop();
});

async function register(path: string, events: string[]) {
  const merchant = client(await merchantToken());
  const res = await merchant.POST('/v1/admin/webhooks', {
    body: { url: receiver.url(path), events: events as never, description: `test ${path}` },
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
  created.push(res.data!.endpoint.id);
  return res.data!;
}

const deliveries = async (id: string) => {
  const res = await client(await merchantToken()).GET('/v1/admin/webhooks/{id}/deliveries', {
    params: { path: { id }, query: { limit: 100 } },
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(200);
  return res.data!.deliveries;
};

/** The receiver's check, written from the documented scheme (docs/admin.md), not with the library that signs. */
function signedBy(secret: string, body: string, header: string | undefined): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

describe('outbound webhooks', () => {
  it('delivers an order event signed with the endpoint secret, and logs the attempt', async () => {
    const { endpoint, secret } = await register('/ok', ['order.created', 'order.paid']);
    expect(secret).toMatch(/^whsec_[0-9a-f]{48}$/);
    const { orderId } = await paidOrder(1);
    const eventId = `evt_${orderId}:paid`;
    const [call] = await eventually(
      'order.paid delivered',
      async () => {
        const r = receiver.received('/ok', eventId);
        return r.length ? r : false;
      },
      20_000,
      100,
    );
    expect(await verifySignature(secret, call!.body, call!.headers['x-storefront-signature'])).toBe(true);
    expect(await verifySignature('whsec_wrong', call!.body, call!.headers['x-storefront-signature'])).toBe(false);
    expect(call!.headers['x-storefront-event-type']).toBe('order.paid');
    const event = JSON.parse(call!.body);
    expect(event).toMatchObject({ id: eventId, type: 'order.paid', data: { order: { id: orderId, status: 'paid' } } });
    await eventually(
      'order.created delivered',
      async () => receiver.received('/ok', `evt_${orderId}:created`).length === 1,
      20_000,
      100,
    );

    const log = await eventually('the delivery logged', async () => {
      const d = (await deliveries(endpoint.id)).find((x) => x.eventId === eventId);
      return d?.state === 'delivered' ? d : false;
    });
    expect(log.attempts).toEqual([
      { attempt: 1, statusCode: 204, latencyMs: expect.any(Number), error: null, at: expect.any(String) },
    ]);

    // The audit log has the registration, without the secret.
    const audit = await client(await merchantToken()).GET('/v1/admin/audit', {
      params: { query: { targetType: 'webhook', targetId: endpoint.id } },
    });
    expect(audit.data!.items.map((i) => i.action)).toEqual(['webhook.create']);
    expect(JSON.stringify(audit.data!.items)).not.toContain(secret);
  });

  it('retries a failing endpoint with growing waits, then dead-letters it; the log shows every attempt', async () => {
    const { endpoint } = await register('/fail', ['order.paid']);
    const { orderId } = await paidOrder(1);
    const eventId = `evt_${orderId}:paid`;
    // 1 attempt + 2 retries (test stack: testNotificationsMaxRetries, waits 1, 2 s).
    const dead = await eventually(
      'the delivery dead',
      async () => {
        const d = (await deliveries(endpoint.id)).find((x) => x.eventId === eventId);
        return d?.state === 'dead' ? d : false;
      },
      45_000,
      250,
    );
    expect(dead.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual(
      [1, 2, 3].map((n) => [n, 500, 'answered 500']),
    );
    const calls = receiver.received('/fail', eventId);
    expect(calls).toHaveLength(1 + testNotificationsMaxRetries);
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    // Exponential: each wait at least the configured one (1, 2 s) and longer than the one before.
    expect(gaps[0]!).toBeGreaterThanOrEqual(900);
    expect(gaps[1]!).toBeGreaterThanOrEqual(1900);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);

    // Kept as a dead letter, visible to ops (admin role), replayable.
    const admin = client(await adminToken());
    const letters = await eventually('the dead letter kept', async () => {
      const res = await admin.GET('/v1/admin/notifications/dead-letters', {});
      return res.data?.letters.find(
        (l) => l.type === 'delivery' && (l.body as { deliveryId: number }).deliveryId === Number(dead.id),
      );
    });
    expect(letters).toMatchObject({ subject: dead.id, replayedAt: null });
    expectError(await client(await merchantToken()).GET('/v1/admin/notifications/dead-letters', {}), 403);
    const replay = await admin.POST('/v1/admin/notifications/dead-letters/replay', { body: { ids: [letters.id] } });
    expect(replay.data).toEqual({ replayed: [letters.id] });
    await eventually(
      'the replayed delivery tried again',
      async () => receiver.received('/fail', eventId).length >= 2 + testNotificationsMaxRetries,
      20_000,
      100,
    );
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    const { endpoint } = await register('/redirect', ['order.paid']);
    const { orderId } = await paidOrder(1);
    const d = await eventually(
      'the redirect logged',
      async () => {
        const x = (await deliveries(endpoint.id)).find((y) => y.eventId === `evt_${orderId}:paid`);
        return x?.attempts.length ? x : false;
      },
      20_000,
      200,
    );
    expect(d.attempts[0]).toMatchObject({ statusCode: 302, error: expect.stringContaining('not followed') });
    await client(await merchantToken()).PATCH('/v1/admin/webhooks/{id}', {
      params: { path: { id: endpoint.id } },
      body: { enabled: false },
    });
  });

  it('logs a slow endpoint once: an answer after the db deadline is delivered, not resent', async () => {
    const { endpoint } = await register('/slow', ['order.paid']);
    const { orderId } = await paidOrder(1);
    const eventId = `evt_${orderId}:paid`;
    const d = await eventually(
      'the slow delivery logged',
      async () => {
        const x = (await deliveries(endpoint.id)).find((y) => y.eventId === eventId);
        return x?.state === 'delivered' ? x : false;
      },
      30_000,
      200,
    );
    expect(d.attempts).toEqual([
      { attempt: 1, statusCode: 204, latencyMs: expect.any(Number), error: null, at: expect.any(String) },
    ]);
    expect(d.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(SLOW_MS - 100);
    // Longer than the first retry's wait (1 s) plus a slow answer: a resend would have arrived by now.
    await new Promise((r) => setTimeout(r, 1000 + SLOW_MS + 1000));
    expect(receiver.received('/slow', eventId)).toHaveLength(1);
  });

  it('logs an endpoint that does not answer within WEBHOOK_TIMEOUT_MS as a failed attempt', async () => {
    const { endpoint } = await register('/hang', ['order.paid']);
    const { orderId } = await paidOrder(1);
    const d = await eventually(
      'the timeout logged',
      async () => {
        const x = (await deliveries(endpoint.id)).find((y) => y.eventId === `evt_${orderId}:paid`);
        return x?.attempts.length ? x : false;
      },
      30_000,
      200,
    );
    expect(d.attempts[0]).toMatchObject({ attempt: 1, statusCode: null, error: 'no answer within 3000 ms' });
    await client(await merchantToken()).PATCH('/v1/admin/webhooks/{id}', {
      params: { path: { id: endpoint.id } },
      body: { enabled: false },
    });
  });

  it('rotates the secret: later deliveries verify with the new one only', async () => {
    const { endpoint, secret: old } = await register('/rotated', ['order.paid']);
    const merchant = client(await merchantToken());
    const rotated = await merchant.POST('/v1/admin/webhooks/{id}/secret', { params: { path: { id: endpoint.id } } });
    expect(rotated.response.status).toBe(200);
    const secret = rotated.data!.secret;
    expect(secret).not.toBe(old);
    const { orderId } = await paidOrder(1);
    const [call] = await eventually(
      'delivered',
      async () => {
        const r = receiver.received('/rotated', `evt_${orderId}:paid`);
        return r.length ? r : false;
      },
      20_000,
      100,
    );
    expect(await verifySignature(secret, call!.body, call!.headers['x-storefront-signature'])).toBe(true);
    expect(await verifySignature(old, call!.body, call!.headers['x-storefront-signature'])).toBe(false);
    const list = await merchant.GET('/v1/admin/webhooks', {});
    expect(JSON.stringify(list.data)).not.toContain(secret);
  });

  it('sends product.updated after a catalog write', async () => {
    await register('/products', ['product.updated']);
    const slug = await insertProduct({ title: 'Webhook product', price: 1000 });
    const res = await adminPatch(slug, { title: 'Webhook product, renamed' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [call] = await eventually(
      'product.updated delivered',
      async () => {
        const r = receiver.received('/products').filter((c) => JSON.parse(c.body).data.product.slug === slug);
        return r.length ? r : false;
      },
      20_000,
      100,
    );
    expect(JSON.parse(call!.body)).toMatchObject({
      type: 'product.updated',
      data: { action: 'product.update', product: { slug, title: 'Webhook product, renamed' } },
    });
  });

  it('sends product.updated when a product is created and when it is deleted', async () => {
    await register('/products-lifecycle', ['product.updated']);
    const merchant = client(await merchantToken());
    const category = `cat${crypto.randomUUID().slice(0, 8)}`;
    const made = await merchant.POST('/v1/admin/categories', { body: { slug: category, name: 'Hooks', parent: null } });
    expect(made.response.status).toBe(201);
    const slug = `hook-${crypto.randomUUID().slice(0, 8)}`;
    const created = await merchant.POST('/v1/admin/products', {
      body: {
        slug,
        title: 'Hooked product',
        description: 'Sent to the webhooks.',
        brand: 'Hooks',
        category,
        currency: 'USD',
        options: [{ name: 'Size', values: ['S'] }],
        variants: [{ sku: slug.toUpperCase(), title: 'S', options: { Size: 'S' }, priceAmount: 1000 }],
      },
    });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    const deleted = await merchant.DELETE('/v1/admin/products/{slug}', { params: { path: { slug } } });
    expect(deleted.response.status, JSON.stringify(deleted.error)).toBe(200);
    const calls = await eventually(
      'product.updated for the create and the delete',
      async () => {
        const r = receiver
          .received('/products-lifecycle')
          .map((c) => JSON.parse(c.body))
          .filter((b) => b.data.product.slug === slug);
        return r.length >= 2 ? r : false;
      },
      20_000,
      100,
    );
    const byAction = Object.fromEntries(calls.map((b) => [b.data.action, b]));
    expect(byAction['product.create']).toMatchObject({
      type: 'product.updated',
      data: { product: { slug, title: 'Hooked product', status: 'draft' } },
    });
    expect(byAction['product.delete']).toMatchObject({
      type: 'product.updated',
      data: { product: { slug, id: byAction['product.create'].data.product.id, status: 'deleted' } },
    });
    expect(calls).toHaveLength(2);
  });

  it('sends inventory.low once per crossing of the threshold (5), not on every change below it', async () => {
    await register('/stock', ['inventory.low']);
    const sku = await freshSku(10);
    const lows = () => receiver.received('/stock').filter((c) => JSON.parse(c.body).data.sku === sku);
    const set = async (n: number) => expect((await setStock(sku, n)).response.status).toBe(200);
    await set(5);
    await eventually('inventory.low at 5', async () => lows().length === 1, 20_000, 100);
    expect(JSON.parse(lows()[0]!.body)).toMatchObject({
      type: 'inventory.low',
      data: { sku, available: 5, onHand: 5, threshold: 5 },
    });
    await set(4);
    await set(3);
    await new Promise((r) => setTimeout(r, 2000));
    expect(lows()).toHaveLength(1);
    // Back above the threshold, then below again: a second crossing, a second event.
    await set(20);
    await new Promise((r) => setTimeout(r, 1500));
    await set(2);
    await eventually('inventory.low again', async () => lows().length === 2, 20_000, 100);
    expect(JSON.parse(lows()[1]!.body).data).toMatchObject({ sku, available: 2 });
  });

  it('posts a delivery once when two copies of its message are handled at the same time', async () => {
    // A slow receiver keeps the first copy's POST open while the second copy is handled (one batch, concurrent).
    const { endpoint } = await register('/twice/slow', ['order.paid']);
    const eventId = `evt_twice_${Date.now().toString(36)}:paid`;
    const [delivery] = await primary<{ id: string }>(
      `insert into webhook_deliveries (endpoint_id, event_id, event_type, body)
       values ($1, $2, 'order.paid', $3) returning id`,
      [endpoint.id, eventId, JSON.stringify({ id: eventId, type: 'order.paid', data: {} })],
    );
    // Two copies of its message, sent to the Queue in one batch by one replay.
    const letters = [`twice-a-${eventId}`, `twice-b-${eventId}`];
    for (const id of letters)
      await primary(
        `insert into notification_dead_letters (id, type, subject, body, attempts) values ($1, 'delivery', $2, $3, 1)`,
        [id, delivery!.id, JSON.stringify({ type: 'delivery', deliveryId: Number(delivery!.id) })],
      );
    const replay = await client(await adminToken()).POST('/v1/admin/notifications/dead-letters/replay', {
      body: { ids: letters },
    });
    expect(replay.response.status, JSON.stringify(replay.error)).toBe(200);
    await eventually(
      'the delivery delivered',
      async () => (await deliveries(endpoint.id)).find((x) => x.eventId === eventId)?.state === 'delivered',
      30_000,
      200,
    );
    // Long enough for a second POST (the other copy, or its retry) to have been made and answered.
    await new Promise((r) => setTimeout(r, 2000 + SLOW_MS));
    expect(receiver.received('/twice/slow', eventId)).toHaveLength(1);
    const d = (await deliveries(endpoint.id)).find((x) => x.eventId === eventId)!;
    expect(d.attempts.map((a) => a.statusCode)).toEqual([204]);
  });

  it('delivers order.refunded and order.fulfilled, signed (checked by an independent HMAC)', async () => {
    const { secret } = await register('/after-sale', ['order.refunded', 'order.fulfilled']);
    const { orderId } = await paidOrder(2, { price: 1200 });
    const refunded = await refund(orderId, { amount: 500, reason: 'scratched' });
    expect(refunded.response.status, JSON.stringify(refunded.error)).toBe(201);
    const fulfilled = await client(await merchantToken()).POST('/v1/admin/orders/{id}/fulfillment', {
      params: { path: { id: orderId } },
      body: { carrier: 'DHL', trackingNumber: 'JD014600006281234567' },
    });
    expect(fulfilled.response.status, JSON.stringify(fulfilled.error)).toBe(200);
    const calls = await eventually(
      'order.refunded and order.fulfilled delivered',
      async () => {
        const r = receiver.received('/after-sale').filter((c) => JSON.parse(c.body).data.order.id === orderId);
        return r.length >= 2 ? r : false;
      },
      20_000,
      100,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const mine = receiver.received('/after-sale').filter((c) => JSON.parse(c.body).data.order.id === orderId);
    expect(mine.map((c) => c.headers['x-storefront-event-type']).sort()).toEqual(['order.fulfilled', 'order.refunded']);
    for (const call of calls) {
      expect(signedBy(secret, call.body, call.headers['x-storefront-signature'])).toBe(true);
      expect(signedBy(secret, `${call.body} `, call.headers['x-storefront-signature'])).toBe(false);
      expect(signedBy(`${secret}0`, call.body, call.headers['x-storefront-signature'])).toBe(false);
      const event = JSON.parse(call.body);
      expect(event.type).toBe(call.headers['x-storefront-event-type']);
      expect(event.id).toBe(call.headers['x-storefront-event-id']);
    }
    const byType = Object.fromEntries(calls.map((c) => [JSON.parse(c.body).type, JSON.parse(c.body)]));
    expect(byType['order.refunded']).toMatchObject({
      data: { order: { id: orderId }, refund: { id: refunded.data!.refund.id, amount: 500, reason: 'scratched' } },
    });
    expect(byType['order.fulfilled']).toMatchObject({
      data: { order: { id: orderId }, fulfillment: { carrier: 'DHL', trackingNumber: 'JD014600006281234567' } },
    });
  });

  it('has an index for the fan-out lookup of the deliveries by event (event_id first)', async () => {
    const rows = await primary("select indexdef from pg_indexes where tablename = 'webhook_deliveries'");
    expect(
      rows.some((r) => /\(event_id[,)]/.test(r.indexdef as string)),
      JSON.stringify(rows),
    ).toBe(true);
  });

  it('refuses bad input with a 4xx naming it, changing nothing; a shopper token gets 403', async () => {
    const merchant = client(await merchantToken());
    const count = async () => Number((await primary('select count(*)::int as n from webhook_endpoints'))[0].n);
    const before = await count();
    const bad = [
      { url: 'http://hooks.example.com/x', events: ['order.paid'] },
      { url: 'https://user:pw@hooks.example.com/x', events: ['order.paid'] },
      // Not public receivers (the test stack allows loopback hosts only): a port scan or the metadata service.
      { url: 'https://169.254.169.254/latest/meta-data', events: ['order.paid'] },
      { url: 'https://10.0.0.5:6379/x', events: ['order.paid'] },
      { url: 'https://hooks.example.com:5432/x', events: ['order.paid'] },
      { url: 'https://[::ffff:a00:5]/x', events: ['order.paid'] },
      { url: 'https://metadata.google.internal/x', events: ['order.paid'] },
      { url: 'https://intranet/x', events: ['order.paid'] },
      { url: 'https://hooks.example.com/x', events: ['order.shipped'] },
      { url: 'https://hooks.example.com/x', events: [] },
      { url: 'https://hooks.example.com/x', events: ['order.paid', 'order.paid'] },
      { url: 'https://hooks.example.com/x', events: ['order.paid'], secret: 'mine' },
    ];
    for (const body of bad)
      expectError(await merchant.POST('/v1/admin/webhooks', { body: body as never }), 400, 'VALIDATION_FAILED');
    expectError(await merchant.GET('/v1/admin/webhooks/{id}', { params: { path: { id: 'not-a-uuid' } } }), 400);
    expectError(
      await merchant.PATCH('/v1/admin/webhooks/{id}', {
        params: { path: { id: crypto.randomUUID() } },
        body: { enabled: false },
      }),
      404,
    );
    const { endpoint } = await register('/kept', ['inventory.low']);
    expectError(
      await merchant.PATCH('/v1/admin/webhooks/{id}', {
        params: { path: { id: endpoint.id } },
        body: { url: 'http://hooks.example.com/x' } as never,
      }),
      400,
    );
    expectError(
      await merchant.PATCH('/v1/admin/webhooks/{id}', { params: { path: { id: endpoint.id } }, body: {} as never }),
      400,
    );
    expect(
      (await merchant.GET('/v1/admin/webhooks/{id}', { params: { path: { id: endpoint.id } } })).data,
    ).toMatchObject({
      url: receiver.url('/kept'),
      events: ['inventory.low'],
      enabled: true,
    });
    expect(await count()).toBe(before + 1);

    const customer = client((await registered()).accessToken);
    expectError(await customer.GET('/v1/admin/webhooks', {}), 403);
    expectError(
      await customer.POST('/v1/admin/webhooks', {
        body: { url: 'https://hooks.example.com/x', events: ['order.paid'] },
      }),
      403,
    );
    const shopper = client(await guestToken());
    expectError(await shopper.GET('/v1/admin/webhooks', {}), 403);
    expectError(
      await shopper.POST('/v1/admin/webhooks', {
        body: { url: 'https://hooks.example.com/x', events: ['order.paid'] },
      }),
      403,
    );
    expectError(
      await shopper.GET('/v1/admin/webhooks/{id}/deliveries', { params: { path: { id: endpoint.id }, query: {} } }),
      403,
    );
    expectError(await shopper.DELETE('/v1/admin/webhooks/{id}', { params: { path: { id: endpoint.id } } }), 403);
    expect(await count()).toBe(before + 1);
  });
});
