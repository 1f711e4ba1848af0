// The merchant's orders and customers through the running stack: search from the replica with keyset pages, an
// order's detail from its OrdersDO, cancel of an unpaid order (stock released, PaymentIntent canceled), fulfilment
// of a paid one only, customers and their orders; bad input and shopper tokens change nothing.
import { describe, expect, it } from 'vitest';
import {
  adminOrder,
  adminToken,
  copied,
  inventory,
  merchantToken,
  paidOrder,
  unpaidOrder,
} from './admin-orders-helpers';
import { checkout, checkoutBody, guestToken, stripe, waitForStatus } from './checkout-helpers';
import { api, client, eventually, freshIp, replica, uniqueWord } from './helpers';
import { expectError, registered } from './identity-helpers';

const as = async (role?: 'merchant' | 'admin' | 'guest') =>
  client(role === 'guest' ? await guestToken() : role === 'admin' ? await adminToken() : await merchantToken());

/** The replica has the order with this status (the admin search reads it). */
const onReplica = (orderId: string, status: string) =>
  eventually(
    `order ${orderId} ${status} on the replica`,
    async () =>
      (await replica<{ status: string }>('select status from orders where id = $1', [orderId]))[0]?.status === status,
    15_000,
    100,
  );

describe('admin orders: permissions', () => {
  it('refuses a shopper token (403) and no token (401) on every merchant order and customer route', async () => {
    const guest = await as('guest');
    const id = 'ord_0000000000aaaa';
    const calls = [
      guest.GET('/v1/admin/orders', {}),
      guest.GET('/v1/admin/orders/{id}', { params: { path: { id } } }),
      guest.POST('/v1/admin/orders/{id}/cancel', { params: { path: { id } }, body: {} }),
      guest.POST('/v1/admin/orders/{id}/fulfillment', {
        params: { path: { id } },
        body: { carrier: 'UPS', trackingNumber: '1Z999' },
      }),
      guest.POST('/v1/admin/orders/{id}/refunds', {
        params: { path: { id }, header: { 'idempotency-key': crypto.randomUUID() } },
        body: {},
      }),
      guest.GET('/v1/admin/customers', {}),
      guest.GET('/v1/admin/tasks', {}),
    ];
    for (const r of await Promise.all(calls)) expectError(r, 403, 'FORBIDDEN');
    expectError(await client().GET('/v1/admin/orders', {}), 401, 'UNAUTHORIZED');
  });

  it('keeps the stuck tasks to the admin role: a merchant gets 403', async () => {
    expectError(await (await as('merchant')).GET('/v1/admin/tasks', {}), 403, 'FORBIDDEN');
    const ok = await (await as('admin')).GET('/v1/admin/tasks', {});
    expect(ok.response.status).toBe(200);
  });
});

describe('admin orders: search and detail', () => {
  it('finds orders by SKU, email, status, dates and total, newest first, in keyset pages', async () => {
    const email = `${uniqueWord('buyer')}@example.com`;
    const first = await paidOrder(1, { email, price: 1000 });
    const second = await paidOrder(3, { email, price: 1000 });
    await onReplica(first.orderId, 'paid');
    await onReplica(second.orderId, 'paid');
    const merchant = await as('merchant');
    const search = (query: Record<string, unknown>) =>
      merchant.GET('/v1/admin/orders', { params: { query: query as never } });

    const byEmail = await search({ email: email.toUpperCase() });
    expect(byEmail.data!.orders.map((o) => o.id)).toEqual([second.orderId, first.orderId]);
    expect(byEmail.data!.orders[0]).toMatchObject({
      status: 'paid',
      email,
      customerId: null,
      total: { amount: second.total, currency: 'USD' },
      refunded: { amount: 0, currency: 'USD' },
      lines: 1,
    });
    expect((await search({ sku: first.sku })).data!.orders.map((o) => o.id)).toEqual([first.orderId]);
    expect((await search({ email, status: 'fulfilled' })).data!.orders).toEqual([]);
    expect((await search({ email, minTotal: second.total })).data!.orders.map((o) => o.id)).toEqual([second.orderId]);
    expect((await search({ email, maxTotal: first.total })).data!.orders.map((o) => o.id)).toEqual([first.orderId]);
    const created = byEmail.data!.orders[1]!.createdAt;
    expect((await search({ email, to: created })).data!.orders).toEqual([]);
    expect((await search({ email, from: created })).data!.orders).toHaveLength(2);

    // Keyset pages: one order per page, the cursor bound to its filters.
    const page1 = await search({ email, limit: 1 });
    expect(page1.data!.orders.map((o) => o.id)).toEqual([second.orderId]);
    const page2 = await search({ email, limit: 1, cursor: page1.data!.nextCursor });
    expect(page2.data!.orders.map((o) => o.id)).toEqual([first.orderId]);
    expect(page2.data!.nextCursor).toBeNull();
    expectError(await search({ email: 'other', cursor: page1.data!.nextCursor }), 400, 'BAD_CURSOR');
  });

  it('refuses bad search input with 400 naming it', async () => {
    const merchant = await as('merchant');
    const bad = async (query: Record<string, unknown>, names: string) => {
      const r = await merchant.GET('/v1/admin/orders', { params: { query: query as never } });
      expectError(r, 400);
      expect(r.error!.error.message).toContain(names);
    };
    await bad({ status: 'lost' }, 'status');
    await bad({ from: 'yesterday' }, 'from');
    await bad({ minTotal: 500, maxTotal: 100 }, 'minTotal');
    await bad({ limit: 0 }, 'limit');
    await bad({ sku: 'not a sku' }, 'sku');
    await bad({ colour: 'red' }, 'colour');
    expectError(await merchant.GET('/v1/admin/orders', { params: { query: { cursor: 'AAAA' } } }), 400, 'BAD_CURSOR');
  });

  it("shows an order's lines, payment, history, refunds and what is left to refund; unknown ids are 404", async () => {
    const { orderId, sku, total } = await paidOrder(2);
    const r = await adminOrder(orderId);
    expect(r.response.status).toBe(200);
    expect(r.data).toMatchObject({
      id: orderId,
      status: 'paid',
      lines: [{ sku, quantity: 2 }],
      payment: { status: 'succeeded', amount: { amount: total }, refunded: { amount: 0 } },
      refunds: [],
      refundable: { amount: total, currency: 'USD' },
      fulfillment: null,
      customerId: null,
    });
    expect(r.data!.history.map((h) => h.to)).toEqual(['pending_payment', 'paid']);
    expectError(await adminOrder('ord_0000000000zzzz'), 404, 'NOT_FOUND');
    expectError(await adminOrder('not-an-order'), 400, 'VALIDATION_FAILED');
  });
});

describe('admin orders: cancel and fulfil', () => {
  it('cancels an unpaid order: the PaymentIntent is canceled and its stock released; again changes nothing', async () => {
    const { orderId, sku, token, intentId } = await unpaidOrder(2);
    expect(await inventory(sku)).toMatchObject({ held: 2, available: 3 });
    const merchant = await as('merchant');
    const cancel = () =>
      merchant.POST('/v1/admin/orders/{id}/cancel', {
        params: { path: { id: orderId } },
        body: { reason: 'customer called' },
      });
    const r = await cancel();
    expect(r.response.status, JSON.stringify(r.error)).toBe(200);
    expect(r.data).toMatchObject({ status: 'canceled', payment: { status: 'canceled' } });
    expect(r.data!.history.at(-1)!.reason).toMatch(/canceled by merchant .*customer called/);
    expect(await inventory(sku)).toMatchObject({ onHand: 5, held: 0, sold: 0, available: 5 });
    expect((await stripe().paymentIntents.retrieve(intentId)).status).toBe('canceled');
    expect((await waitForStatus(token, orderId, 'canceled')).status).toBe('canceled');
    const again = await cancel();
    expect(again.response.status).toBe(200);
    expect(again.data!.history).toEqual(r.data!.history);
    const audit = await merchant.GET('/v1/admin/audit', {
      params: { query: { action: 'order.cancel', targetType: 'order', targetId: orderId } },
    });
    expect(audit.data!.items.map((i) => i.outcome)).toEqual(['succeeded', 'succeeded']);
    expect(audit.data!.items.at(-1)).toMatchObject({
      before: { status: 'pending_payment' },
      after: { status: 'canceled' },
    });
  });

  it('refuses to cancel a paid order (409) and changes nothing', async () => {
    const { orderId } = await paidOrder(1);
    const merchant = await as('merchant');
    const r = await merchant.POST('/v1/admin/orders/{id}/cancel', { params: { path: { id: orderId } }, body: {} });
    expectError(r, 409, 'ORDER_STATE_CONFLICT');
    expect((await adminOrder(orderId)).data!.status).toBe('paid');
  });

  it('fulfils only a paid order; bad input is 400 and an unpaid order 409, changing nothing', async () => {
    const merchant = await as('merchant');
    const fulfil = (id: string, body: unknown) =>
      merchant.POST('/v1/admin/orders/{id}/fulfillment', { params: { path: { id } }, body: body as never });
    const unpaid = await unpaidOrder(1);
    expectError(await fulfil(unpaid.orderId, { carrier: 'UPS', trackingNumber: '1Z999AA1' }), 409);
    expect((await adminOrder(unpaid.orderId)).data!.status).toBe('pending_payment');

    const { orderId } = await paidOrder(1);
    expectError(await fulfil(orderId, { carrier: 'UPS' }), 400, 'VALIDATION_FAILED');
    expectError(await fulfil(orderId, { carrier: 'UPS', trackingNumber: '#!' }), 400, 'VALIDATION_FAILED');
    expect((await adminOrder(orderId)).data!.status).toBe('paid');

    const done = await fulfil(orderId, { carrier: 'UPS', trackingNumber: '1Z999AA10123456784' });
    expect(done.response.status, JSON.stringify(done.error)).toBe(200);
    expect(done.data).toMatchObject({
      status: 'fulfilled',
      fulfillment: { carrier: 'UPS', trackingNumber: '1Z999AA10123456784' },
    });
    await onReplica(orderId, 'fulfilled');
    const found = await merchant.GET('/v1/admin/orders', { params: { query: { status: 'fulfilled', limit: 100 } } });
    expect(found.data!.orders.map((o) => o.id)).toContain(orderId);
  });
});

describe('admin customers', () => {
  it('finds a customer by email or name, with their orders', async () => {
    const session = await registered();
    const sku = (await paidOrder(1)).sku;
    const token = session.accessToken;
    await client(token).POST('/v1/cart/items', { body: { sku, quantity: 1 } });
    const r = await checkout(token, checkoutBody('pm_card_visa'));
    expect(r.response.status).toBe(202);
    await copied(r.data!.orderId);
    const merchant = await as('merchant');
    const found = await eventually(
      'customer found by email with one order',
      async () => {
        const { data: detail } = await merchant.GET('/v1/admin/customers/{id}', {
          params: { path: { id: session.subject } },
        });
        return detail?.orders.length === 1 ? detail : false;
      },
      15_000,
      100,
    );
    expect(found.orders[0]).toMatchObject({ id: r.data!.orderId, customerId: session.subject });
    const byEmail = await merchant.GET('/v1/admin/customers', {
      params: { query: { q: found.customer.email.toUpperCase() } },
    });
    expect(byEmail.data!.customers).toEqual([found.customer]);
    expect(found.customer).toMatchObject({ id: session.subject, role: 'customer', orders: 1 });
    expectError(await merchant.GET('/v1/admin/customers/{id}', { params: { path: { id: 'nope' } } }), 400);
    const unknown = await merchant.GET('/v1/admin/customers/{id}', {
      params: { path: { id: crypto.randomUUID() } },
    });
    expectError(unknown, 404, 'NOT_FOUND');
    expectError(await merchant.GET('/v1/admin/customers', { params: { query: { q: '' } } }), 400);
    const raw = await api('/v1/admin/customers?q=a&extra=1', {
      headers: { authorization: `Bearer ${await merchantToken()}`, 'cf-connecting-ip': freshIp() },
    });
    expectError(raw, 400, 'VALIDATION_FAILED');
  });
});
