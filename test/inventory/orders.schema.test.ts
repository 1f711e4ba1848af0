// OrdersDO makes its tables on first use, not when it starts (orders.do.ts `ready`): a flash sale's losers are
// mostly shoppers checking out for the first time, and the screening that refuses them asks whether their key is
// known without creating anything (issue 10). Driven inside the checkout worker's own objects.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { OrderBook } from '../../durable-objects/orders/order-book';
import type { OrdersDO } from '../../durable-objects/orders/orders.do';
import { checkoutCall } from '../../lib/checkout/call';

type Internals = { book: OrderBook; ready(): void; keyUnknown(key: string): boolean };
const tables = (sql: SqlStorage) =>
  sql
    .exec<{ name: string }>("select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\'")
    .toArray()
    .map((r) => r.name)
    .sort();
const fresh = () => env.ORDERS.get(env.ORDERS.idFromName(`tst-schema-${crypto.randomUUID()}`));

describe('OrdersDO schema on first use', () => {
  it('answers that a key is new in a new object without creating a table, then finds a stored key', async () => {
    await runInDurableObject(fresh(), (instance: OrdersDO, state) => {
      const self = instance as unknown as Internals;
      expect(self.keyUnknown.call(instance, 'key-1')).toBe(true);
      expect(tables(state.storage.sql)).toEqual([]);
      self.ready.call(instance);
      expect(tables(state.storage.sql)).toEqual(expect.arrayContaining(['checkout', 'orders', 'task']));
      self.book.registerKey('key-1', 'hash', 'ord_1');
      expect(self.keyUnknown.call(instance, 'key-1')).toBe(false);
      expect(self.keyUnknown.call(instance, 'key-2')).toBe(true);
    });
  });

  it('finds a key stored by an earlier instance before this one made its schema (after an eviction)', async () => {
    const stub = fresh();
    await runInDurableObject(stub, (instance: OrdersDO) => {
      const self = instance as unknown as Internals;
      self.ready.call(instance);
      self.book.registerKey('key-old', 'hash', 'ord_old');
      // As a new instance of the same object: the tables are there, this instance has not made them.
      Object.assign(instance, { schemaReady: false });
      expect(self.keyUnknown.call(instance, 'key-old')).toBe(false);
    });
  });

  it("refuses a first-time shopper's checkout in its screening without making a table (issue 10)", async () => {
    const stub = fresh();
    const body = {
      email: 'first@example.com',
      shippingAddress: { name: 'A', line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' },
      paymentMethod: 'pm_card_visa',
    } as const;
    const call = await checkoutCall({ sub: `guest-${crypto.randomUUID()}`, role: 'guest' }, 'key-1', body as never);
    expect(await stub.checkout(call)).toMatchObject({ ok: false, error: { code: 'CART_EMPTY' } });
    await runInDurableObject(stub, (_i: OrdersDO, state) => expect(tables(state.storage.sql)).toEqual([]));
  });

  it('makes the tables for any other call: a new object lists no orders', async () => {
    const stub = fresh();
    expect(await stub.listOrders(10)).toEqual({ ok: true, orders: [], nextCursor: null });
    await runInDurableObject(stub, (_i: OrdersDO, state) => {
      expect(tables(state.storage.sql)).toEqual(expect.arrayContaining(['checkout', 'orders', 'task']));
    });
  });

  it('makes the tables before any storage work, whichever public call comes first', async () => {
    const actor = { sub: 'admin-sub', role: 'admin' } as const;
    const event = {
      id: `evt_${crypto.randomUUID()}`,
      type: 'payment_intent.succeeded',
      orderId: 'ord_none',
      intentId: 'pi_none',
      intentStatus: 'succeeded',
      amount: 100,
      amountReceived: 100,
      currency: 'USD',
    };
    // Each public method on a new object: an answer (often NOT_FOUND), never "no such table". A new public method
    // of OrdersDO belongs in this list.
    const calls: Record<string, (s: ReturnType<typeof fresh>) => Promise<unknown>> = {
      listOrders: (s) => s.listOrders(10),
      getOrder: (s) => s.getOrder('ord_none'),
      applyPaymentEvent: (s) => s.applyPaymentEvent(event),
      adminOrder: (s) => s.adminOrder('ord_none'),
      adminCancel: (s) => s.adminCancel({ orderId: 'ord_none', body: {}, actor } as never),
      adminFulfil: (s) => s.adminFulfil({ orderId: 'ord_none', body: {}, actor } as never),
      adminRefund: (s) => s.adminRefund({ orderId: 'ord_none', key: 'k', body: {}, actor } as never),
      applyRefundEvent: (s) => s.applyRefundEvent({ ...event, type: 'refund.updated', refundId: 're_none' } as never),
      stuckTasks: (s) => s.stuckTasks(1, 10),
      retryTask: (s) => s.retryTask(1),
      giveUpTask: (s) => s.giveUpTask(1, actor),
      exportOrders: (s) => s.exportOrders(10),
      orderCopied: (s) => s.orderCopied('ord_none', 1),
      restoreOrders: (s) => s.restoreOrders([], true),
    };
    for (const [name, call] of Object.entries(calls)) {
      const stub = fresh();
      const answer = await call(stub).catch((err: unknown) => ({ thrown: String(err) }));
      expect(JSON.stringify(answer), name).not.toMatch(/no such table|SQLITE/i);
    }
    // Alarm on a new object (tasks due, prune).
    await runInDurableObject(fresh(), (instance: OrdersDO) => instance.alarm());
  });
});

describe('OrdersDO outbox reports', () => {
  it("reports its first change even when the outbox is empty again by then (a new instance does not know the figures')", async () => {
    const reports: { source: string; copies: number }[] = [];
    await runInDurableObject(fresh(), async (instance: OrdersDO) => {
      const self = instance as unknown as {
        env: Record<string, unknown>;
        ready(): void;
        tasks: { add(o: string, k: string, p: unknown, due: number): void; remove(o: string, k: string): void };
      };
      // The figures' MetricsDO, as a recorder.
      self.env = {
        ...self.env,
        METRICS: {
          idFromName: (n: string) => n,
          get: () => ({
            report: async (source: string, counts: { copies: number }) => {
              reports.push({ source, copies: counts.copies });
            },
          }),
        },
      };
      self.ready.call(instance);
      // A copy waits and is confirmed within one report period: the report then says "nothing pending". An
      // earlier instance of the object may have reported the copy, so this report must go out.
      self.tasks.add('ord_x', 'publish', {}, Date.now() + 60_000);
      self.tasks.remove('ord_x', 'publish');
      await new Promise((r) => setTimeout(r, 1300));
    });
    expect(reports).toEqual([{ source: expect.any(String), copies: 0 }]);
  });
});
