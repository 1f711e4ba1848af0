// OrdersDO's copy to Postgres and its notices (durable-objects/orders/order-book.ts), driven inside the checkout
// worker's own objects: a version still waiting for its payment waits ORDER_PUBLISH_DELAY_MS (1,500 ms in
// wrangler.toml) before it is sent, and the paid version that follows takes its place in the same task, due at once:
// one copy and one notify run per paid order instead of two (issue 10), in the checkout's trace.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { OrderBook } from '../../durable-objects/orders/order-book';
import type { OrdersDO } from '../../durable-objects/orders/orders.do';
import type { OrderSnapshot } from '../../lib/checkout/order';
import { withTrace } from '../../lib/trace';

const order = (id: string): OrderSnapshot =>
  ({
    id,
    version: 1,
    owner: { sub: `sub-${id}`, role: 'customer', email: `${id}@example.com` },
    status: 'created',
    lines: [],
    totals: { subtotal: 1000, shipping: 0, tax: 0, total: 1000, currency: 'USD' },
    shippingAddress: { name: 'Ada', city: 'Paris', country: 'FR' },
    shippingMethod: 'standard',
    payment: { provider: 'stripe', intentId: 'pi_1', status: 'processing', amount: 1000, refundedAmount: 0 },
    holdExpiresAt: Date.now() + 900_000,
    createdAt: Date.now(),
    updatedAt: Date.now(),
    history: [],
  }) as unknown as OrderSnapshot;

const tasksOf = (sql: SqlStorage, orderId: string) =>
  sql
    .exec<{ kind: string; due_at: number; payload: string }>(
      'select kind, due_at, payload from task where order_id = ? order by kind',
      orderId,
    )
    .toArray()
    .map((t) => ({
      kind: t.kind,
      due_at: t.due_at,
      payload: JSON.parse(t.payload) as { trace?: { traceparent: string } },
    }));
const checkoutTrace = { traceparent: '00-11111111111111111111111111111111-1111111111111111-01' };
const webhookTrace = { traceparent: '00-22222222222222222222222222222222-2222222222222222-01' };

describe('OrdersDO copies and notices of a new order', () => {
  it('holds a pending order back for the delay, and sends the paid version at once in the same task', async () => {
    const stub = env.ORDERS.get(env.ORDERS.idFromName(`tst-publish-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (instance: OrdersDO, state) => {
      const { book, ready } = instance as unknown as { book: OrderBook; ready(): void };
      ready.call(instance); // the tables, as any call makes them first
      const sql = state.storage.sql;
      const o = order(`ord_pub${crypto.randomUUID().slice(0, 8)}`);
      book.insertOrder(o);
      const before = Date.now();
      book.transition(o, 'pending_payment', 'checkout accepted');
      withTrace(checkoutTrace, () => book.saveOrder(o));
      const pending = tasksOf(sql, o.id);
      expect(pending.map((t) => t.kind)).toEqual(['notify', 'publish']);
      for (const t of pending) expect(t.due_at).toBeGreaterThanOrEqual(before + 1500);
      // The payment lands within the delay: the same two tasks (one per kind), now due at once.
      book.transition(o, 'paid', 'payment succeeded');
      withTrace(webhookTrace, () => book.saveOrder(o));
      const paid = tasksOf(sql, o.id);
      expect(paid.map((t) => t.kind)).toEqual(['notify', 'publish']);
      for (const t of paid) expect(t.due_at).toBeLessThanOrEqual(Date.now());
      // The one copy keeps the trace of the change that asked for it first: the checkout's.
      // (a span of the checkout's trace: same trace id)
      expect(paid.find((t) => t.kind === 'publish')!.payload.trace?.traceparent.split('-')[1]).toBe('1'.repeat(32));
    });
  });
});
