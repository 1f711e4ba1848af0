// InventoryDO driven directly inside workerd (the checkout worker's real bindings: env.INVENTORY is the
// InventoryDO namespace, env.ORDERS_QUEUE a real queue), under real concurrency: many calls in flight at once on
// one object, then `available + held + sold = onHand` (none negative) is checked on every answer, and the stored
// totals against held and sold recomputed from the holds table. HOLD_GRACE_SECONDS is 0 and the sync delay 50 ms
// here, so hold expiry and levels sends also happen on their own while the tests run.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { InventoryDO } from '../../durable-objects/inventory/inventory.do';
import type {
  CommitResult,
  LevelsState,
  ReleaseResult,
  ReserveRequest,
  ReserveResult,
  StockResult,
} from '../../durable-objects/inventory/types';
import type { InventoryLevels, OrdersQueueMessage } from '../../lib/contracts/queue';

type Stub = DurableObjectStub<InventoryDO>;

let n = 0;
/** A fresh SKU (so a fresh object) per test and per run. */
const freshSku = (label: string) => `TST-INV-${label}-${crypto.randomUUID().slice(0, 8)}-${n++}`;
const stockOf = (sku: string): Stub => env.INVENTORY.get(env.INVENTORY.idFromName(sku));
const inAnHour = () => Date.now() + 3_600_000;
const req = (holdId: string, quantity = 1, owner = `owner-${holdId}`, expiresAt = inAnHour()): ReserveRequest => ({
  holdId,
  quantity,
  owner,
  expiresAt,
});

const levelsOf = async (stub: Stub, sku: string) => (await stub.levels(sku)) as LevelsState;
const strip = ({ initialized: _, ...levels }: LevelsState): InventoryLevels => levels;

function expectBalanced(l: InventoryLevels, where = '') {
  expect(l.available + l.held + l.sold, `available + held + sold = onHand ${where}`).toBe(l.onHand);
  for (const k of ['onHand', 'held', 'sold', 'available'] as const)
    expect(l[k], `${k} ${where}`).toBeGreaterThanOrEqual(0);
}

interface HoldRecord {
  hold_id: string;
  owner: string;
  quantity: number;
  status: string;
  expires_at: number;
  release_reason: string | null;
}
const holdsOf = (stub: Stub) =>
  runInDurableObject(stub, (_i: InventoryDO, state) =>
    state.storage.sql
      .exec<HoldRecord & Record<string, SqlStorageValue>>(
        'select hold_id, owner, quantity, status, expires_at, release_reason from holds order by hold_id',
      )
      .toArray(),
  );
const syncState = (stub: Stub) =>
  runInDurableObject(stub, (_i: InventoryDO, state) =>
    state.storage.sql
      .exec<{ version: number; synced_version: number; sync_due_at: number | null; sync_failures: number }>(
        'select version, synced_version, sync_due_at, sync_failures from stock',
      )
      .one(),
  );
const alarmAt = (stub: Stub) => runInDurableObject(stub, (_i: InventoryDO, state) => state.storage.getAlarm());

/** The levels balance, and the stored held/sold equal the sums over the holds table. */
async function expectConsistent(stub: Stub, sku: string): Promise<LevelsState> {
  const levels = await levelsOf(stub, sku);
  expectBalanced(levels, 'at the end');
  const holds = await holdsOf(stub);
  const sum = (status: string) => holds.filter((h) => h.status === status).reduce((t, h) => t + h.quantity, 0);
  expect({ held: sum('active'), sold: sum('sold') }).toEqual({ held: levels.held, sold: levels.sold });
  return levels;
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * What a call throws, called on the instance rather than over RPC: in the test pool every RPC call that rejects
 * also leaks an unhandled rejection (cloudflare/workers-sdk#14736), which fails the run.
 */
const thrownBy = (stub: Stub, call: (instance: InventoryDO) => unknown) =>
  runInDurableObject(stub, (instance: InventoryDO) => {
    try {
      call(instance);
      return null;
    } catch (err) {
      return String(err);
    }
  });

/** mulberry32: a small seeded PRNG, so a failing burst can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

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

describe('InventoryDO: levels sync to the orders queue', () => {
  /** Puts a recording (and, on demand, failing) queue in front of the real ORDERS_QUEUE of the live instance. */
  const spyOnSends = (stub: Stub) =>
    runInDurableObject(stub, (instance: InventoryDO) => {
      const self = instance as unknown as { env: CheckoutEnv };
      const real = self.env.ORDERS_QUEUE;
      const spy = { sent: [] as OrdersQueueMessage[], fail: false };
      const queue = {
        send: async (body: OrdersQueueMessage) => {
          if (spy.fail) throw new Error('queue unavailable (test)');
          await real.send(body);
          spy.sent.push(body);
        },
      };
      self.env = Object.create(self.env, { ORDERS_QUEUE: { value: queue } }) as CheckoutEnv;
      return spy;
    });
  const levelsSent = (spy: { sent: OrdersQueueMessage[] }) =>
    spy.sent.flatMap((m) => (m.type === 'inventory.levels' ? [m.levels] : []));

  it('a burst of changes goes out as few messages, the last with the final levels, and then nothing is pending', async () => {
    const sku = freshSku('sync');
    const stub = stockOf(sku);
    await stub.levels(sku); // the object is running
    const spy = await spyOnSends(stub);
    await stub.initialize(sku, 100);
    await Promise.all(Array.from({ length: 40 }, (_, i) => stub.reserve(sku, req(`h${i}`))));
    const final = strip(await levelsOf(stub, sku));
    expect(final.version).toBe(41);
    await waitFor(async () => levelsSent(spy).at(-1)?.version === final.version, 'the final levels to be sent');
    const versions = levelsSent(spy).map((l) => l.version);
    expect(versions.length).toBeLessThan(10); // 41 changes, batched by the 50 ms delay
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(levelsSent(spy).at(-1)).toEqual(final);
    expect(await syncState(stub)).toMatchObject({
      version: 41,
      synced_version: 41,
      sync_due_at: null,
      sync_failures: 0,
    });
    // Nothing changed: an alarm (the one for the holds' expiry) sends nothing.
    const count = spy.sent.length;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(spy.sent.length).toBe(count);
  });

  it('a failed send stays pending and is retried by the alarm until it goes out', async () => {
    const sku = freshSku('sync-fail');
    const stub = stockOf(sku);
    await stub.levels(sku);
    const spy = await spyOnSends(stub);
    spy.fail = true;
    // Both changes in one stretch, the alarm held back, so that the first send is the test's alarm run.
    await runInDurableObject(stub, (i: InventoryDO, state) => {
      i.initialize(sku, 3);
      i.reserve(sku, req('h1'));
      void state.storage.setAlarm(Date.now() + 3_600_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const failed = await syncState(stub);
    expect(failed).toMatchObject({ version: 2, synced_version: 0 });
    expect(failed.sync_failures).toBeGreaterThanOrEqual(1);
    expect(failed.sync_due_at).toBeGreaterThan(Date.now());
    expect(await alarmAt(stub)).toBe(failed.sync_due_at); // the retry comes before the hold's expiry
    expect(spy.sent).toEqual([]);

    spy.fail = false;
    await runDurableObjectAlarm(stub); // the retry (unless the scheduler has just run it)
    expect(levelsSent(spy).at(-1)).toEqual(strip(await levelsOf(stub, sku)));
    expect(await syncState(stub)).toMatchObject({ version: 2, synced_version: 2, sync_due_at: null, sync_failures: 0 });
  });
});
