// OrdersDO makes its tables on first use, not when it starts (orders.do.ts `ready`): a flash sale's losers are
// mostly shoppers checking out for the first time, and the screening that refuses them asks whether their key is
// known without creating anything (issue 10). Driven inside the checkout worker's own objects.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { OrderBook } from '../../durable-objects/orders/order-book';
import type { OrdersDO } from '../../durable-objects/orders/orders.do';

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

  it('makes the tables for any other call: a new object lists no orders', async () => {
    const stub = fresh();
    expect(await stub.listOrders(10)).toEqual({ ok: true, orders: [], nextCursor: null });
    await runInDurableObject(stub, (_i: OrdersDO, state) => {
      expect(tables(state.storage.sql)).toEqual(expect.arrayContaining(['checkout', 'orders', 'task']));
    });
  });
});
