// Issue 11, finding 4: only SKUs that exist get stock objects or rows; reads never write. Driven through the
// client the checkout worker's stock routes use, against the test Postgres: a SKU that no variant is sold under
// answers NOT_FOUND and leaves its object without any storage (no tables, so no levels sent, no Postgres row).
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { levelsOf as clientLevels, ensureStock } from '../../durable-objects/inventory/inventory.client';
import type { InventoryDO } from '../../durable-objects/inventory/inventory.do';
import { AppError } from '../../lib/errors';
import { freshSku, levelsOf, req, type Stub, stockOf } from './helpers';

const inventoryEnv = env as unknown as Parameters<typeof clientLevels>[0];

/** The tables in the object's SQLite storage: none means the read left no storage behind. */
const tablesOf = (stub: Stub) =>
  runInDurableObject(stub, (_i: InventoryDO, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\'",
      )
      .toArray()
      .map((r) => r.name),
  );

async function notFound(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('NOT_FOUND');
}

describe('InventoryDO: only SKUs that exist get storage', () => {
  it('a read or a merchant write of an unknown SKU is NOT_FOUND and creates no storage', async () => {
    const sku = `ZZZ-NOT-A-SKU-${crypto.randomUUID().slice(0, 8)}`;
    await notFound(clientLevels(inventoryEnv, sku));
    await notFound(clientLevels(inventoryEnv, sku)); // twice: still nothing
    await notFound(ensureStock(inventoryEnv, sku));
    expect(await tablesOf(stockOf(sku))).toEqual([]);
  });

  it("the object's own reads and no-op calls create nothing either", async () => {
    const sku = freshSku('reads');
    const stub = stockOf(sku);
    expect(await levelsOf(stub, sku)).toMatchObject({ initialized: false, onHand: 0, version: 0 });
    expect(await stub.reserve(sku, req('h1'))).toEqual({ ok: false, reason: 'UNINITIALIZED' });
    expect(await stub.commit(sku, 'h1')).toEqual({ ok: false, reason: 'UNKNOWN_HOLD' });
    expect(await stub.release(sku, 'h1', 'test')).toMatchObject({ ok: true, released: false });
    expect(await tablesOf(stub)).toEqual([]);
    // The first write creates the tables, and from then on the object behaves as before.
    expect(await stub.initialize(sku, 5)).toMatchObject({ onHand: 5, version: 1 });
    expect((await tablesOf(stub)).sort()).toEqual(['events', 'hold_keys', 'holds', 'restocks', 'stock']);
    expect(await stub.reserve(sku, req('h1', 2))).toMatchObject({ ok: true, levels: { available: 3 } });
  });
});
