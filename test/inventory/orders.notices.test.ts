// OrdersDO's notices (durable-objects/orders/notices.ts), driven inside the checkout worker's own objects (this
// project runs them): the first start with notices marks only old orders' notices as sent (an order paid just
// before the deploy still gets its confirmation), and giving up a stuck `notify` task settles its notices, so the
// order's next unrelated change does not send them after all.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MIGRATION_GRACE_MS as GRACE_MS, type NoticeLog } from '../../durable-objects/orders/notices';
import type { OrdersDO } from '../../durable-objects/orders/orders.do';
import type { OrderSnapshot } from '../../lib/checkout/order';

const paidOrder = (id: string, changedAt: number) =>
  ({
    id,
    version: 3,
    owner: { sub: `sub-${id}`, role: 'customer', email: `${id}@example.com` },
    status: 'paid',
    lines: [],
    totals: { subtotal: 1000, shipping: 0, tax: 0, total: 1000, currency: 'USD' },
    shippingAddress: { name: 'Ada', city: 'Paris', country: 'FR' },
    shippingMethod: 'standard',
    payment: {},
    holdExpiresAt: changedAt,
    createdAt: changedAt - 1000,
    updatedAt: changedAt,
    history: [{ to: 'paid', at: changedAt }],
  }) as unknown as OrderSnapshot;

type Internals = {
  notices: NoticeLog;
  merchant: { giveUp(task: unknown, actor: unknown): void };
  ready(): void;
};

const objectFor = () => env.ORDERS.get(env.ORDERS.idFromName(`tst-notices-${crypto.randomUUID()}`));

function seed(sql: SqlStorage, orders: OrderSnapshot[]) {
  for (const o of orders)
    sql.exec(
      'insert into orders (id, status, version, created_at, snapshot) values (?, ?, ?, ?, ?)',
      o.id,
      o.status,
      o.version,
      o.createdAt,
      JSON.stringify(o),
    );
}

const noticeKeys = (sql: SqlStorage, orderId: string) =>
  sql
    .exec<{ key: string }>('select key from notice where order_id = ? order by key', orderId)
    .toArray()
    .map((r) => r.key);

describe('OrdersDO notices', () => {
  it('marks as sent, at their first start, only the notices of orders changed before the grace period', async () => {
    await runInDurableObject(objectFor(), (instance: OrdersDO, state) => {
      const { notices, ready } = instance as unknown as Internals;
      ready.call(instance); // the tables, as any call makes them first
      const sql = state.storage.sql;
      const now = Date.now();
      const old = paidOrder(`ord_old${crypto.randomUUID().slice(0, 8)}`, now - GRACE_MS - 60_000);
      const recent = paidOrder(`ord_new${crypto.randomUUID().slice(0, 8)}`, now - 60_000);
      // As before notices existed: orders, and no notice table.
      sql.exec('drop table if exists notice');
      seed(sql, [old, recent]);
      expect(notices.migrate(now)).toEqual([recent.id]);
      expect(noticeKeys(sql, old.id)).toEqual([`${old.id}:created`, `${old.id}:paid`]);
      expect(noticeKeys(sql, recent.id)).toEqual([]);
      expect(notices.pending(recent).map((n) => n.key)).toEqual([`${recent.id}:created`, `${recent.id}:paid`]);
      // Only the first start: the table's existence says it was done.
      expect(notices.migrate(now)).toEqual([]);
    });
  });

  it('settles the notices of a given-up notify task, so a later change does not send them', async () => {
    await runInDurableObject(objectFor(), (instance: OrdersDO, state) => {
      const { notices, merchant, ready } = instance as unknown as Internals;
      ready.call(instance);
      const sql = state.storage.sql;
      const o = paidOrder(`ord_giv${crypto.randomUUID().slice(0, 8)}`, Date.now());
      seed(sql, [o]);
      expect(notices.pending(o)).toHaveLength(2);
      merchant.giveUp(
        { id: 1, order_id: o.id, kind: 'notify', payload: '{}', attempts: 10 },
        {
          sub: 'admin-sub',
          role: 'admin',
        },
      );
      expect(notices.pending(o)).toEqual([]);
      expect(noticeKeys(sql, o.id)).toEqual([`${o.id}:created`, `${o.id}:paid`]);
    });
  });
});
