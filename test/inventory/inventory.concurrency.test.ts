// InventoryDO driven directly inside workerd (the checkout worker's real bindings: env.INVENTORY is the
// InventoryDO namespace, env.ORDERS_QUEUE a real queue). HOLD_GRACE_SECONDS is 0 and the sync delay 50 ms here, so
// hold expiry and levels sends also happen on their own while the tests run.
// Here, under real concurrency (many calls in flight at once on one object): the last units, a random mix of every
// write, and the per-customer cap.
import { describe, expect, it } from 'vitest';
import type { CommitResult, ReleaseResult, ReserveResult, StockResult } from '../../durable-objects/inventory/types';
import { prng } from '../prng';
import { expectBalanced, expectConsistent, freshSku, holdsOf, levelsOf, req, stockOf, thrownBy } from './helpers';

describe('InventoryDO: concurrent reserves', () => {
  it('refuses the eleventh buyer when ten units remain: 200 reserves at once, exactly 10 held', async () => {
    const sku = freshSku('ten');
    const stub = stockOf(sku);
    await stub.initialize(sku, 10);
    const results = (await Promise.all(
      Array.from({ length: 200 }, (_, i) => stub.reserve(sku, req(`h${i}`))),
    )) as ReserveResult[];
    const ok = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(190);
    for (const r of refused)
      expect(r).toMatchObject({ ok: false, reason: 'INSUFFICIENT', available: 0, levels: { available: 0, held: 10 } });
    for (const r of results) if ('levels' in r) expectBalanced(r.levels);
    const levels = await expectConsistent(stub, sku);
    expect(levels).toMatchObject({ onHand: 10, held: 10, sold: 0, available: 0, version: 11 });
    expect((await holdsOf(stub)).map((h) => h.hold_id).sort()).toEqual(
      ok.map((r) => (r.ok ? r.hold.holdId : '')).sort(),
    );
  });
});

type Op =
  | { kind: 'reserve'; holdId: string; quantity: number; owner: string }
  | { kind: 'commit' | 'release'; holdId: string }
  | { kind: 'adjust'; delta: number }
  | { kind: 'setOnHand'; onHand: number };

/** 60 hold ids, each always with the same quantity and owner (so a repeat is idempotent, never a mismatch). */
function randomMix(count: number, seed: number): Op[] {
  const r = prng(seed);
  return Array.from({ length: count }, (): Op => {
    const h = r.int(0, 59);
    const holdId = `h${h}`;
    const roll = r.next();
    if (roll < 0.45) return { kind: 'reserve', holdId, quantity: 1 + (h % 4), owner: `customer-${h % 7}` };
    if (roll < 0.65) return { kind: 'commit', holdId };
    if (roll < 0.8) return { kind: 'release', holdId };
    if (roll < 0.92) return { kind: 'adjust', delta: r.int(-8, 10) };
    return { kind: 'setOnHand', onHand: r.int(0, 40) };
  });
}

describe('InventoryDO: a concurrent mix of every write', () => {
  for (const seed of [1, 20260101, 4242]) {
    it(`keeps available + held + sold = onHand on every answer of 300 writes at once (seed ${seed})`, async () => {
      const sku = freshSku(`mix-${seed}`);
      const stub = stockOf(sku);
      await stub.initialize(sku, 30);
      const ops = randomMix(300, seed);
      const call = (op: Op): Promise<unknown> => {
        switch (op.kind) {
          case 'reserve':
            return stub.reserve(sku, req(op.holdId, op.quantity, op.owner));
          case 'commit':
            return stub.commit(sku, op.holdId);
          case 'release':
            return stub.release(sku, op.holdId, 'test');
          case 'adjust':
            return stub.adjust(sku, op.delta);
          case 'setOnHand':
            return stub.setOnHand(sku, op.onHand);
        }
      };
      const answers = (await Promise.all(ops.map(call))) as (
        | ReserveResult
        | CommitResult
        | ReleaseResult
        | StockResult
      )[];
      const seen = new Set<string>();
      answers.forEach((a, i) => {
        const op = ops[i]!;
        const where = `after op #${i} ${JSON.stringify(op)} -> ${JSON.stringify(a)}`;
        if ('levels' in a) expectBalanced(a.levels, where);
        seen.add(`${op.kind}:${a.ok ? 'ok' : a.reason}${'released' in a && a.released ? ':released' : ''}`);
        if (a.ok) {
          if (op.kind === 'setOnHand') expect(a.levels.onHand, where).toBe(op.onHand);
          if (op.kind === 'reserve' && 'hold' in a)
            expect(a.hold, where).toMatchObject({ holdId: op.holdId, quantity: op.quantity });
          return;
        }
        switch (a.reason) {
          case 'INSUFFICIENT':
            expect(a.available, where).toBe(a.levels.available);
            expect(['reserve', 'commit'], where).toContain(op.kind);
            if (op.kind === 'reserve') expect(a.available, where).toBeLessThan(op.quantity);
            break;
          case 'BELOW_COMMITTED':
            expect(a.minimum, where).toBe(a.held + a.sold);
            if (op.kind === 'setOnHand') expect(op.onHand, where).toBeLessThan(a.minimum);
            break;
          case 'ALREADY_SOLD':
            expect(op.kind, where).toBe('release');
            break;
          case 'UNKNOWN_HOLD':
            expect(op.kind, where).toBe('commit');
            break;
          default:
            throw new Error(`unexpected refusal ${where}`);
        }
      });
      // The burst reached every outcome it can produce.
      for (const outcome of [
        'reserve:ok',
        'reserve:INSUFFICIENT',
        'commit:ok',
        'commit:UNKNOWN_HOLD',
        'release:ok:released',
        'release:ALREADY_SOLD',
        'setOnHand:BELOW_COMMITTED',
      ]) {
        expect([...seen], outcome).toContain(outcome);
      }
      const levels = await expectConsistent(stub, sku);

      // A count below what is held and sold is refused and changes nothing.
      if (levels.held + levels.sold === 0)
        expect(await stub.reserve(sku, req('extra', 1))).toMatchObject({ ok: levels.available > 0 });
      const before = await expectConsistent(stub, sku);
      if (before.held + before.sold > 0) {
        expect(await stub.setOnHand(sku, before.held + before.sold - 1)).toEqual({
          ok: false,
          reason: 'BELOW_COMMITTED',
          held: before.held,
          sold: before.sold,
          minimum: before.held + before.sold,
        });
        expect(await stub.adjust(sku, -(before.available + 1))).toMatchObject({ ok: false, reason: 'BELOW_COMMITTED' });
        expect(await levelsOf(stub, sku)).toEqual(before);
      }
    });
  }

  it('refuses nonsense counts as INVALID', async () => {
    const sku = freshSku('invalid');
    const stub = stockOf(sku);
    await stub.initialize(sku, 5);
    for (const v of [-1, 1.5, Number.NaN, 10_000_001, Number.POSITIVE_INFINITY])
      expect(await stub.setOnHand(sku, v)).toEqual({ ok: false, reason: 'INVALID' });
    for (const d of [0.5, Number.NaN, 10_000_001])
      expect(await stub.adjust(sku, d)).toEqual({ ok: false, reason: 'INVALID' });
    expect(await stub.adjust(sku, 9_999_996)).toEqual({ ok: false, reason: 'INVALID' }); // past 10,000,000 in all
    expect(await stub.adjust(sku, 9_999_995)).toMatchObject({ ok: true, levels: { onHand: 10_000_000 } });
    expect(await stub.setMaxPerCustomer(sku, 0)).toEqual({ ok: false, reason: 'INVALID' });
    // A bad hold quantity is the caller's bug: thrown, not answered.
    expect(await thrownBy(stub, (i) => i.reserve(sku, req('zero', 0)))).toMatch(/quantity/);
    expect(await thrownBy(stub, (i) => i.reserve(sku, req('huge', 1001)))).toMatch(/quantity/);
    expect(await levelsOf(stub, sku)).toMatchObject({ onHand: 10_000_000, version: 2 });
  });
});

describe('InventoryDO: per-customer cap', () => {
  it('20 reserves at once by one customer with a cap of 2: exactly 2 units held', async () => {
    const sku = freshSku('cap');
    const stub = stockOf(sku);
    await stub.initialize(sku, 100);
    expect(await stub.setMaxPerCustomer(sku, 2)).toMatchObject({ ok: true, levels: { maxPerCustomer: 2 } });
    const results = (await Promise.all(
      Array.from({ length: 20 }, (_, i) => stub.reserve(sku, req(`h${i}`, 1, 'ann'))),
    )) as ReserveResult[];
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    for (const r of results.filter((x) => !x.ok))
      expect(r).toMatchObject({ ok: false, reason: 'CUSTOMER_LIMIT', limit: 2, alreadyHas: 2 });
    expect(await expectConsistent(stub, sku)).toMatchObject({ held: 2, available: 98 });

    // Another customer has a cap of their own; sold units count too; null lifts the cap.
    expect(await stub.reserve(sku, req('bob-1', 2, 'bob'))).toMatchObject({ ok: true });
    expect(await stub.reserve(sku, req('bob-2', 1, 'bob'))).toMatchObject({
      ok: false,
      reason: 'CUSTOMER_LIMIT',
      alreadyHas: 2,
    });
    const annHolds = results.flatMap((r) => (r.ok ? [r.hold.holdId] : []));
    expect(await stub.commit(sku, annHolds[0]!)).toMatchObject({ ok: true });
    expect(await stub.release(sku, annHolds[1]!, 'cancelled')).toMatchObject({ ok: true, released: true });
    expect(await stub.reserve(sku, req('ann-2', 2, 'ann'))).toMatchObject({
      ok: false,
      reason: 'CUSTOMER_LIMIT',
      alreadyHas: 1,
    });
    expect(await stub.reserve(sku, req('ann-3', 1, 'ann'))).toMatchObject({ ok: true });
    expect(await stub.setMaxPerCustomer(sku, null)).toMatchObject({ ok: true, levels: { maxPerCustomer: null } });
    expect(await stub.reserve(sku, req('ann-4', 5, 'ann'))).toMatchObject({ ok: true });
    expect(await expectConsistent(stub, sku)).toMatchObject({ held: 8, sold: 1, available: 91 });
  });
});
