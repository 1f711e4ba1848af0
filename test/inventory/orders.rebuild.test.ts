// Rebuilding a shopper's OrdersDO from Postgres (durable-objects/orders/rebuild*.ts) inside workerd: orders written by
// the real consumer read back from the test Postgres as the snapshots they were (bar what Postgres does not keep);
// the object restores the ones it lacks, gives a restored order still waiting for its payment its expiry task back,
// sends no copy back to Postgres, and restores nothing the second time. And the refund window
// (ARCHIVE_REFUND_WINDOW_DAYS, 180 in wrangler.toml): an order older than it is closed, so a refund and a new tracking
// number are refused (the archive may take it), while a younger one's tracking number still changes.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { OrdersDO } from '../../durable-objects/orders/orders.do';
import { orderCopies } from '../../durable-objects/orders/rebuild.client';
import type { OrderSnapshot } from '../../lib/checkout/order';
import { unwrap } from '../../lib/rpc';
import { writeOrder } from '../../workers/checkout/src/orders.consumer';

type ConsumerEnv = Parameters<typeof writeOrder>[0];
const consumerEnv = env as unknown as ConsumerEnv;

function snapshot(id: string, sub: string, status: 'pending_payment' | 'paid', t0: number): OrderSnapshot {
  return {
    id,
    version: status === 'paid' ? 3 : 2,
    owner: { sub, role: 'guest', email: `${id}@example.com` },
    status,
    lines: [{ sku: `SKU-${id}`, title: 'Test — One', quantity: 2, unitAmount: 500, lineTotal: 1000 }],
    totals: { subtotal: 1000, shipping: 500, tax: 73, total: 1573, currency: 'USD', taxRateBps: 725 },
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' },
    shippingMethod: 'standard',
    payment: {
      provider: 'stripe',
      intentId: `pi_${id}`,
      status: status === 'paid' ? 'succeeded' : 'processing',
      amount: 1573,
      refundedAmount: 0,
    },
    holdExpiresAt: t0 + 900_000,
    createdAt: t0,
    updatedAt: t0 + 1000,
    history: [
      { from: 'created', to: 'pending_payment', at: t0, reason: 'checkout accepted' },
      ...(status === 'paid'
        ? [
            {
              from: 'pending_payment' as const,
              to: 'paid' as const,
              at: t0 + 1000,
              reason: 'paid',
              stripeEventId: 'evt_1',
            },
          ]
        : []),
    ],
  };
}

describe('rebuilding an OrdersDO from Postgres', () => {
  it('reads the copies back as the snapshots they were, and restores the lost ones once', async () => {
    const sub = `guest:${crypto.randomUUID()}`;
    const t0 = Date.now() - 60_000;
    const suffix = crypto.randomUUID().replaceAll('-', '').slice(0, 10);
    const paid = snapshot(`ord_rbpaid${suffix}`, sub, 'paid', t0);
    const pending = snapshot(`ord_rbpend${suffix}`, sub, 'pending_payment', t0 + 5000);
    await writeOrder(consumerEnv, paid);
    await writeOrder(consumerEnv, pending);

    const copies = await orderCopies(consumerEnv, sub);
    expect(copies).toEqual([paid, pending]);

    const stub = env.ORDERS.get(env.ORDERS.idFromName(sub));
    const first = await stub.restoreOrders(copies, false);
    expect(first).toEqual({
      ok: true,
      restore: [
        { id: paid.id, status: 'paid', version: 3, objectVersion: null },
        { id: pending.id, status: 'pending_payment', version: 2, objectVersion: null },
      ],
      keep: [],
    });
    await runInDurableObject(stub, (_o: OrdersDO, state) => {
      const tasks = state.storage.sql
        .exec<{ order_id: string; kind: string; due_at: number }>('select order_id, kind, due_at from task')
        .toArray();
      // The pending order's expiry is back; no copy is sent to Postgres (it has them).
      expect(tasks).toEqual([{ order_id: pending.id, kind: 'expire', due_at: pending.holdExpiresAt }]);
    });
    const again = await stub.restoreOrders(copies, false);
    expect(again).toMatchObject({ ok: true, restore: [], keep: [{ id: paid.id }, { id: pending.id }] });
    const listed = unwrap(await stub.listOrders(10));
    expect(listed.orders.map((o) => [o.id, o.status]).sort()).toEqual(
      [
        [paid.id, 'paid'],
        [pending.id, 'pending_payment'],
      ].sort(),
    );
  });

  it('refuses a refund and a new tracking number of a closed order once the refund window has passed', async () => {
    const sub = `guest:${crypto.randomUUID()}`;
    const suffix = crypto.randomUUID().replaceAll('-', '').slice(0, 10);
    const old = snapshot(`ord_rbold${suffix}`, sub, 'paid', Date.now() - 181 * 86_400_000);
    const shipped = {
      ...snapshot(`ord_rbshp${suffix}`, sub, 'paid', Date.now() - 181 * 86_400_000),
      status: 'fulfilled' as const,
      fulfillment: { carrier: 'UPS', trackingNumber: '1Z999', at: Date.now(), by: { sub: 'm', role: 'merchant' } },
    };
    const young = snapshot(`ord_rbnew${suffix}`, sub, 'paid', Date.now() - 179 * 86_400_000);
    const stub = env.ORDERS.get(env.ORDERS.idFromName(sub));
    expect(await stub.restoreOrders([old, shipped, young], false)).toMatchObject({ ok: true, keep: [] });
    const actor = { sub: 'merchant-1', role: 'merchant' as const };
    const refund = (orderId: string) =>
      stub.adminRefund({ orderId, key: `k-${orderId}`, requestHash: 'h', body: { amount: 100 }, actor });
    const refused = await refund(shipped.id);
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'ORDER_STATE_CONFLICT', message: expect.stringContaining('180-day refund window has passed') },
    });
    // A paid order never fulfilled stays open past the window (it cannot be canceled: a refund is its way out).
    expect(await refund(old.id)).toMatchObject({ ok: true, created: true });
    const tracking = await stub.adminFulfil({
      orderId: shipped.id,
      body: { carrier: 'DHL', trackingNumber: '00340434' },
      actor,
    });
    expect(tracking).toMatchObject({ ok: false, error: { code: 'ORDER_STATE_CONFLICT' } });
    // Inside the window the tracking number still changes.
    const youngShipped = { ...young, status: 'fulfilled' as const, fulfillment: shipped.fulfillment };
    await stub.restoreOrders([{ ...youngShipped, version: young.version + 1 }], false);
    const changed = await stub.adminFulfil({
      orderId: young.id,
      body: { carrier: 'DHL', trackingNumber: '00340434' },
      actor,
    });
    expect(changed).toMatchObject({ ok: true, order: { fulfillment: { carrier: 'DHL', trackingNumber: '00340434' } } });
  });

  it('restores an order only after an operation in flight on it has saved, so that save never undoes the restore', async () => {
    const sub = `guest:${crypto.randomUUID()}`;
    const o = snapshot(`ord_rblck${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`, sub, 'paid', Date.now());
    const stub = env.ORDERS.get(env.ORDERS.idFromName(sub));
    await runInDurableObject(stub, async (instance: OrdersDO) => {
      const self = instance as unknown as {
        ready(): void;
        book: {
          restoreOrder(x: OrderSnapshot): void;
          saveOrder(x: OrderSnapshot): void;
          versions(ids: string[]): Map<string, number>;
        };
        withOrderLock<T>(id: string, fn: () => Promise<T>): Promise<T>;
      };
      self.ready.call(instance);
      self.book.restoreOrder({ ...o, version: 1 });
      // An operation on the (damaged, old) order holds its lock, waits (for Stripe), then saves what it read: version
      // 1 becomes 2, written as operations write (no version check).
      const inFlight = self.withOrderLock.call(instance, o.id, async () => {
        const read = { ...o, version: 1 };
        await new Promise((r) => setTimeout(r, 200));
        self.book.saveOrder(read);
      });
      // Meanwhile a rebuild brings version 5 from Postgres: it waits for the lock, sees 2, and restores 5 (without
      // the lock it would write 5 at once and the operation's save would then put 2 back).
      const rebuilt = instance.restoreOrders([{ ...o, version: 5 }], false);
      await Promise.all([inFlight, rebuilt]);
      expect(self.book.versions([o.id]).get(o.id)).toBe(5);
    });
  });
});
