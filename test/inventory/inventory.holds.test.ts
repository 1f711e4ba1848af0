// InventoryDO driven directly inside workerd (the checkout worker's real bindings: env.INVENTORY is the
// InventoryDO namespace, env.ORDERS_QUEUE a real queue). HOLD_GRACE_SECONDS is 0 and the sync delay 50 ms here, so
// hold expiry and levels sends also happen on their own while the tests run.
// Here: holds are idempotent (the same hold twice is one; commit sells once) and expire by alarm.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { InventoryDO } from '../../durable-objects/inventory/inventory.do';
import type { CommitResult, ReleaseResult, ReserveResult } from '../../durable-objects/inventory/types';
import {
  alarmAt,
  expectConsistent,
  freshSku,
  holdsOf,
  levelsOf,
  req,
  type Stub,
  stockOf,
  strip,
  waitFor,
} from './helpers';

describe('InventoryDO: idempotent holds', () => {
  it('the same hold twice at once is one hold; a different quantity or owner is HOLD_MISMATCH', async () => {
    const sku = freshSku('idem');
    const stub = stockOf(sku);
    await stub.initialize(sku, 10);
    const [a, b] = (await Promise.all([
      stub.reserve(sku, req('h1', 2, 'ann')),
      stub.reserve(sku, req('h1', 2, 'ann')),
    ])) as ReserveResult[];
    expect(a).toMatchObject({ ok: true, hold: { holdId: 'h1', quantity: 2, status: 'active' } });
    expect(b).toMatchObject({ ok: true, hold: { holdId: 'h1', quantity: 2, status: 'active' } });
    expect(await holdsOf(stub)).toHaveLength(1);
    expect(await expectConsistent(stub, sku)).toMatchObject({ held: 2, available: 8, version: 2 });
    expect(await stub.reserve(sku, req('h1', 3, 'ann'))).toEqual({ ok: false, reason: 'HOLD_MISMATCH' });
    expect(await stub.reserve(sku, req('h1', 2, 'bob'))).toEqual({ ok: false, reason: 'HOLD_MISMATCH' });
    expect(await levelsOf(stub, sku)).toMatchObject({ held: 2, version: 2 });
  });

  it('commit twice (even at once) sells once; release after the sale is ALREADY_SOLD; release of an unknown hold is ok', async () => {
    const sku = freshSku('commit');
    const stub = stockOf(sku);
    await stub.initialize(sku, 10);
    expect(await stub.reserve(sku, req('h1', 3, 'ann'))).toMatchObject({ ok: true });
    const commits = (await Promise.all([stub.commit(sku, 'h1'), stub.commit(sku, 'h1')])) as CommitResult[];
    for (const c of commits) expect(c).toMatchObject({ ok: true, levels: { held: 0, sold: 3, available: 7 } });
    expect(await stub.commit(sku, 'h1')).toMatchObject({ ok: true, levels: { sold: 3, version: 3 } });
    expect(await stub.release(sku, 'h1', 'cancelled')).toEqual({ ok: false, reason: 'ALREADY_SOLD' });
    expect(await stub.release(sku, 'nope', 'cancelled')).toMatchObject({
      ok: true,
      released: false,
      levels: { version: 3 },
    });
    expect(await stub.commit(sku, 'nope')).toEqual({ ok: false, reason: 'UNKNOWN_HOLD' });
    // A released hold: released once, then released:false; reserving it again holds it again.
    expect(await stub.reserve(sku, req('h2', 2, 'bob'))).toMatchObject({ ok: true });
    const releases = (await Promise.all([
      stub.release(sku, 'h2', 'cancelled'),
      stub.release(sku, 'h2', 'cancelled'),
    ])) as ReleaseResult[];
    expect(releases.map((r) => r.ok && r.released).sort()).toEqual([false, true]);
    expect((await holdsOf(stub)).find((h) => h.hold_id === 'h2')).toMatchObject({
      status: 'released',
      release_reason: 'cancelled',
    });
    expect(await stub.reserve(sku, req('h2', 2, 'bob'))).toMatchObject({
      ok: true,
      hold: { status: 'active' },
      levels: { held: 2, sold: 3 },
    });
    expect(await expectConsistent(stub, sku)).toMatchObject({ onHand: 10, held: 2, sold: 3, available: 5 });
  });
});

describe('InventoryDO: expiry by alarm', () => {
  /**
   * Runs `calls` on the instance in one synchronous stretch and then holds the alarm back an hour, so that the
   * test, not the scheduler, runs it (the pool's alarm runs are not atomic: one the scheduler starts meanwhile
   * could take the alarm first).
   */
  const quietly = <R>(stub: Stub, calls: (instance: InventoryDO) => R) =>
    runInDurableObject(stub, (instance: InventoryDO, state) => {
      const result = calls(instance);
      void state.storage.setAlarm(Date.now() + 3_600_000);
      return result;
    });
  const past = () => Date.now() - 1000;

  it('releases a hold past its expiry and the stock comes back', async () => {
    const sku = freshSku('expire');
    const stub = stockOf(sku);
    const r = await quietly(stub, (i) => {
      i.initialize(sku, 5);
      return i.reserve(sku, req('h1', 3, 'ann', past()));
    });
    expect(r).toMatchObject({ ok: true, levels: { held: 3, available: 2 } });
    expect(await holdsOf(stub)).toMatchObject([{ hold_id: 'h1', status: 'active' }]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await expectConsistent(stub, sku)).toMatchObject({ held: 0, available: 5, version: 3 });
    expect(await holdsOf(stub)).toMatchObject([{ hold_id: 'h1', status: 'released', release_reason: 'expired' }]);
    expect(await alarmAt(stub)).toBeNull(); // nothing left to do: no active hold, levels sent
  });

  it('an alarm before the expiry releases nothing and re-arms for the expiry', async () => {
    const sku = freshSku('early');
    const stub = stockOf(sku);
    const r = await quietly(stub, (i) => {
      i.initialize(sku, 5);
      return i.reserve(sku, req('h1', 2));
    });
    expect(r).toMatchObject({ ok: true });
    const expiresAt = r.ok ? r.hold.expiresAt : 0;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await expectConsistent(stub, sku)).toMatchObject({ held: 2, available: 3, version: 2 });
    expect(await holdsOf(stub)).toMatchObject([{ hold_id: 'h1', status: 'active' }]);
    expect(await alarmAt(stub)).toBe(expiresAt);
  });

  it('the alarm set by a reserve fires on its own at the expiry', async () => {
    const sku = freshSku('expire-auto');
    const stub = stockOf(sku);
    await stub.initialize(sku, 4);
    expect(await stub.reserve(sku, req('h1', 4, 'ann', Date.now() + 300))).toMatchObject({
      ok: true,
      levels: { available: 0 },
    });
    await waitFor(async () => (await levelsOf(stub, sku)).held === 0, 'the hold to expire');
    expect(await expectConsistent(stub, sku)).toMatchObject({ available: 4 });
    expect(await holdsOf(stub)).toMatchObject([{ hold_id: 'h1', status: 'released', release_reason: 'expired' }]);
  });

  it('a hold released by expiry and then paid takes the stock again if it is there, else INSUFFICIENT and nothing changes', async () => {
    const sku = freshSku('late-pay');
    const stub = stockOf(sku);
    expect(
      await quietly(stub, (i) => {
        i.initialize(sku, 5);
        return i.reserve(sku, req('a', 3, 'ann', past()));
      }),
    ).toMatchObject({ ok: true });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await levelsOf(stub, sku)).toMatchObject({ held: 0, available: 5 });
    const [paid, b] = await quietly(
      stub,
      (i) => [i.commit(sku, 'a'), i.reserve(sku, req('b', 2, 'bob', past()))] as const,
    );
    expect(paid).toMatchObject({ ok: true, levels: { held: 0, sold: 3, available: 2 } });
    expect(b).toMatchObject({ ok: true });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.reserve(sku, req('c', 1, 'cy'))).toMatchObject({ ok: true, levels: { available: 1 } });
    const before = await levelsOf(stub, sku);
    expect(await stub.commit(sku, 'b')).toEqual({
      ok: false,
      reason: 'INSUFFICIENT',
      available: 1,
      levels: strip(before),
    });
    expect(await levelsOf(stub, sku)).toEqual(before);
    expect((await holdsOf(stub)).find((h) => h.hold_id === 'b')).toMatchObject({
      status: 'released',
      release_reason: 'expired',
    });
    expect(await expectConsistent(stub, sku)).toMatchObject({ onHand: 5, held: 1, sold: 3, available: 1 });
  });
});
