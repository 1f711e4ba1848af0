// InventoryDO driven directly inside workerd (the checkout worker's real bindings: env.INVENTORY is the
// InventoryDO namespace, env.ORDERS_QUEUE a real queue). HOLD_GRACE_SECONDS is 0 and the sync delay 50 ms here, so
// hold expiry and levels sends also happen on their own while the tests run.
// Here: eviction loses nothing (between writes or mid-burst), and the first stock initializes the object.
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { InventoryDO } from '../../durable-objects/inventory/inventory.do';
import type { ReserveResult } from '../../durable-objects/inventory/types';
import type { InventoryLevels } from '../../lib/contracts/queue';
import {
  alarmAt,
  expectConsistent,
  freshSku,
  holdsOf,
  levelsOf,
  req,
  type Stub,
  stockOf,
  syncState,
  thrownBy,
  waitFor,
} from './helpers';

describe('InventoryDO: eviction', () => {
  /** Marks the live instance, so that a new instance after eviction can be told apart from the old one. */
  const mark = (stub: Stub) =>
    runInDurableObject(stub, (instance: InventoryDO) => void Object.assign(instance, { __testMark: true }));
  const marked = (stub: Stub) =>
    runInDurableObject(
      stub,
      (instance: InventoryDO) => (instance as unknown as { __testMark?: boolean }).__testMark === true,
    );

  it('loses nothing between writes: levels, holds, cap and alarm; the version continues', async () => {
    const sku = freshSku('evict');
    const stub = stockOf(sku);
    await stub.initialize(sku, 20);
    await stub.setMaxPerCustomer(sku, 5);
    await stub.reserve(sku, req('h1', 2, 'ann'));
    await stub.reserve(sku, req('h2', 3, 'bob'));
    await stub.commit(sku, 'h1');
    // Once the levels are sent no alarm run is in flight (the pool cannot evict an object in the middle of one).
    await waitFor(async () => (await syncState(stub)).sync_due_at === null, 'the levels to be sent');
    const before = await expectConsistent(stub, sku);
    const holdsBefore = await holdsOf(stub);
    await mark(stub);
    await evictDurableObject(stub);
    expect(await marked(stub)).toBe(false);
    expect(await levelsOf(stub, sku)).toEqual(before);
    expect(await holdsOf(stub)).toEqual(holdsBefore);
    expect(await alarmAt(stub)).toBe(holdsBefore.find((h) => h.hold_id === 'h2')!.expires_at); // the alarm survived
    // A write first thing after a wake; the cap and the idempotency survived too.
    await evictDurableObject(stub);
    expect(await stub.reserve(sku, req('h3', 4, 'ann'))).toMatchObject({
      ok: false,
      reason: 'CUSTOMER_LIMIT',
      alreadyHas: 2,
    });
    expect(await stub.reserve(sku, req('h2', 3, 'bob'))).toMatchObject({
      ok: true,
      levels: { version: before.version },
    });
    expect(await stub.reserve(sku, req('h3', 3, 'ann'))).toMatchObject({
      ok: true,
      levels: { version: before.version + 1, held: 6, sold: 2 },
    });
    expect(await thrownBy(stub, (i) => i.levels('SOMETHING-ELSE'))).toMatch(/was called for "SOMETHING-ELSE"/);
  });

  it('evictions in the middle of a burst lose no reserve that answered ok', async () => {
    const sku = freshSku('evict-burst');
    const stub = stockOf(sku);
    await stub.initialize(sku, 60);
    await mark(stub);
    const evictions: Promise<unknown>[] = [];
    let answered = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        stub
          .reserve(sku, req(`h${i}`))
          .then(
            (result) => ({ result: result as ReserveResult }),
            (error: unknown) => ({ error: String(error) }),
          )
          .finally(() => {
            if (++answered % 30 === 0) evictions.push(evictDurableObject(stub).catch((e: unknown) => e)); // may find it already gone
          }),
      ),
    );
    await Promise.all(evictions);
    expect(await marked(stub)).toBe(false);
    expect(outcomes.filter((o) => 'error' in o)).toEqual([]);
    const results = outcomes.map((o) => (o as { result: ReserveResult }).result);
    const ok = results.flatMap((r) => (r.ok ? [r.hold.holdId] : []));
    expect(ok).toHaveLength(60);
    expect(results.filter((r) => !r.ok && r.reason === 'INSUFFICIENT')).toHaveLength(90);
    expect((await holdsOf(stub)).map((h) => h.hold_id).sort()).toEqual(ok.sort());
    expect(await expectConsistent(stub, sku)).toMatchObject({ held: 60, available: 0, version: 61 });
  });
});

describe('InventoryDO: initialization', () => {
  it('refuses holds before the first stock; only the first initialize sets it', async () => {
    const sku = freshSku('init');
    const stub = stockOf(sku);
    expect(await levelsOf(stub, sku)).toMatchObject({
      sku,
      initialized: false,
      onHand: 0,
      held: 0,
      sold: 0,
      available: 0,
      maxPerCustomer: null,
      version: 0,
    });
    expect(await stub.reserve(sku, req('h1'))).toEqual({ ok: false, reason: 'UNINITIALIZED' });
    expect(await stub.commit(sku, 'h1')).toEqual({ ok: false, reason: 'UNKNOWN_HOLD' });
    const all = (await Promise.all([7, 8, 9, 10].map((v) => stub.initialize(sku, v)))) as InventoryLevels[];
    expect(new Set(all.map((l) => l.onHand)).size).toBe(1);
    expect(all[0]).toMatchObject({ onHand: 7, version: 1 }); // the first call to arrive
    expect(await stub.initialize(sku, 99)).toMatchObject({ onHand: 7, version: 1 });
    expect(await levelsOf(stub, sku)).toMatchObject({ initialized: true, onHand: 7, available: 7 });
    expect(await stub.reserve(sku, req('h1', 2))).toMatchObject({ ok: true, levels: { available: 5 } });
  });

  it('setOnHand and adjust initialize too; a later initialize keeps their figure', async () => {
    const a = freshSku('init-set');
    expect(await stockOf(a).setOnHand(a, 4)).toMatchObject({ ok: true, levels: { onHand: 4, version: 1 } });
    expect(await stockOf(a).initialize(a, 100)).toMatchObject({ onHand: 4, version: 1 });
    const b = freshSku('init-adjust');
    expect(await stockOf(b).adjust(b, 3)).toMatchObject({ ok: true, levels: { onHand: 3, version: 1 } });
    expect(await stockOf(b).initialize(b, 100)).toMatchObject({ onHand: 3 });
    expect(await levelsOf(stockOf(b), b)).toMatchObject({ initialized: true });
  });
});
