// CartDO driven directly inside workerd (the cart's real bindings: env.CARTS is the CartDO namespace), with
// made-up line data and limits, under real concurrency: many calls in flight at once on one object.
//  - model check: a seeded random burst of writes, ordered by the version each answer carries, replayed on a
//    plain sequential model of the cart (same bound rules) must give the object's final lines;
//  - conditional writes: of N writes with the same ifMatch, exactly one wins;
//  - eviction (between writes and in the middle of a burst) loses nothing and the version continues;
//  - expiry by alarm frees the storage, and an early alarm keeps the cart;
//  - the two-phase guest merge neither loses nor doubles a line when run twice at once or retried.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { CartDO } from '../../durable-objects/cart/cart.do';
import type { CartLimits, CartLine, CartOp, CartResult, CartState } from '../../durable-objects/cart/types';

type Stub = DurableObjectStub<CartDO>;

let n = 0;
/** A fresh object per test (and per run: the name is never reused). */
const freshName = (label: string) => `cart-do-test/${label}/${crypto.randomUUID()}/${n++}`;
const cartOf = (name: string): Stub => env.CARTS.get(env.CARTS.idFromName(name));

const LIMITS: CartLimits = { maxLineQuantity: 50, maxLines: 20, maxItems: 500, ttlSeconds: 3600 };
/** Tight enough that a random burst over 8 SKUs hits every bound (lines, per line, in all). */
const TIGHT: CartLimits = { maxLineQuantity: 50, maxLines: 6, maxItems: 150, ttlSeconds: 3600 };

const SKUS = ['TST-1', 'TST-2', 'TST-3', 'TST-4', 'TST-5', 'TST-6', 'TST-7', 'TST-8'];
const lineData = (sku: string): Omit<CartLine, 'quantity'> => ({
  sku,
  addedAmount: 1000 + 125 * Number(sku.slice(4)),
  currency: 'USD',
  title: `Test item ${sku}`,
  productSlug: `test-item-${sku.toLowerCase()}`,
  image: null,
});
const add = (sku: string, quantity: number): CartOp => ({ kind: 'add', line: lineData(sku), quantity });
const set = (sku: string, quantity: number): CartOp => ({
  kind: 'set',
  sku,
  quantity,
  ...(quantity > 0 ? { line: lineData(sku) } : {}),
});
const remove = (sku: string): CartOp => ({ kind: 'remove', sku });

interface Qty {
  sku: string;
  quantity: number;
}
const qty = (lines: readonly Qty[]): Qty[] => lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
const sumBySku = (lines: readonly Qty[]) => Object.fromEntries(lines.map((l) => [l.sku, l.quantity]));

// ---------------------------------------------------------------------------------------------------------
// The model: the cart as a plain sequential list, with CartDO's rules (same order of bound checks and messages).

type ModelResult = { ok: true; lines: Qty[] } | { ok: false; reason: 'NOT_IN_CART' | 'LIMIT'; message?: string };

function modelApply(lines: readonly Qty[], op: CartOp, limits: CartLimits): ModelResult {
  const sku = op.kind === 'add' ? op.line.sku : op.sku;
  const existing = lines.find((l) => l.sku === sku);
  if (op.kind === 'remove' || (op.kind === 'set' && op.quantity === 0)) {
    return existing ? { ok: true, lines: lines.filter((l) => l.sku !== sku) } : { ok: false, reason: 'NOT_IN_CART' };
  }
  if (op.kind === 'set' && !existing) return { ok: false, reason: 'NOT_IN_CART' };
  const quantity = op.kind === 'add' ? (existing?.quantity ?? 0) + op.quantity : op.quantity;
  const next = existing
    ? lines.map((l) => (l.sku === sku ? { sku, quantity } : { ...l }))
    : [...lines.map((l) => ({ ...l })), { sku, quantity }];
  if (next.length > limits.maxLines)
    return { ok: false, reason: 'LIMIT', message: `A cart holds at most ${limits.maxLines} different items.` };
  const over = next.find((l) => l.quantity > limits.maxLineQuantity);
  if (over)
    return {
      ok: false,
      reason: 'LIMIT',
      message: `At most ${limits.maxLineQuantity} of one item (${over.sku}) per cart.`,
    };
  if (next.reduce((t, l) => t + l.quantity, 0) > limits.maxItems)
    return { ok: false, reason: 'LIMIT', message: `A cart holds at most ${limits.maxItems} items in all.` };
  return { ok: true, lines: next };
}

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
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: <T>(xs: readonly T[]) => xs[int(0, xs.length - 1)]! };
}

/** Adds (mostly small, sometimes past the per-line bound), sets (0 removes; some past the bound) and removes. */
function randomOps(count: number, seed: number): CartOp[] {
  const r = prng(seed);
  return Array.from({ length: count }, () => {
    const sku = r.pick(SKUS);
    const roll = r.next();
    if (roll < 0.45) return add(sku, r.next() < 0.15 ? r.int(40, 70) : r.int(1, 15));
    if (roll < 0.75) return set(sku, r.next() < 0.15 ? r.int(51, 80) : r.int(0, 50));
    return remove(sku);
  });
}

/** An answer from the object, or the error a call threw (unknown whether it was applied). */
type Outcome = { result: CartResult } | { error: unknown };

/**
 * Checks a burst against the model: the successful answers' versions are exactly base+1..base+k, replaying the
 * successful ops in version order on the model is accepted at every step and gives the cart each answer
 * returned and the final cart; every refusal is one the model makes too at the op's place in the order. A
 * refusal carries no version, so its place is taken from the order the calls were issued in: after the last
 * success issued before it, before the first success issued after it (a single place when the object applies
 * the calls of one caller in the order they were made, which is asserted).
 */
function checkAgainstModel(
  ops: readonly CartOp[],
  outcomes: readonly Outcome[],
  start: { version: number; lines: Qty[] },
  final: CartState,
  limits: CartLimits,
) {
  expect(outcomes).toHaveLength(ops.length);
  const thrown = outcomes.filter((o) => 'error' in o);
  expect(thrown, `calls that threw: ${thrown.map((o) => String((o as { error: unknown }).error)).join('; ')}`).toEqual(
    [],
  );
  const results = outcomes.map((o) => (o as { result: CartResult }).result);

  const okIdx = results.flatMap((r, i) => (r.ok ? [i] : []));
  const versionOf = (i: number) => (results[i] as { ok: true; cart: CartState }).cart.version;
  const k = okIdx.length;
  // Exactly base+1..base+k: no gap (a write lost after answering ok) and no duplicate (two writes on one version).
  expect(okIdx.map(versionOf).sort((a, b) => a - b)).toEqual(
    Array.from({ length: k }, (_, j) => start.version + j + 1),
  );
  // One caller's calls on one stub are applied in the order they were made.
  expect(okIdx.map(versionOf)).toEqual(okIdx.map(versionOf).sort((a, b) => a - b));

  const byVersion = [...okIdx].sort((a, b) => versionOf(a) - versionOf(b));
  const states: Qty[][] = [start.lines];
  for (const i of byVersion) {
    const before = states[states.length - 1]!;
    const m = modelApply(before, ops[i]!, limits);
    expect(m, `op #${i} ${JSON.stringify(ops[i])} at version ${versionOf(i)} was accepted by the object`).toMatchObject(
      { ok: true },
    );
    const after = (m as { ok: true; lines: Qty[] }).lines;
    expect(qty((results[i] as { ok: true; cart: CartState }).cart.lines), `cart answered by op #${i}`).toEqual(after);
    states.push(after);
  }
  expect(final.version).toBe(start.version + k);
  expect(qty(final.lines)).toEqual(states[k]);

  // Refusals: same reason (and same message for a bound) as the model at the op's place.
  let lastOkBefore = 0; // index into states
  const refusals: Record<string, number> = {};
  results.forEach((r, i) => {
    if (r.ok) {
      lastOkBefore = r.cart.version - start.version;
      return;
    }
    refusals[r.reason] = (refusals[r.reason] ?? 0) + 1;
    expect(r.reason).not.toBe('STALE_VERSION'); // no ifMatch was sent
    const m = modelApply(states[lastOkBefore]!, ops[i]!, limits);
    const expected = m.ok
      ? { ok: true }
      : { ok: false, reason: m.reason, ...(m.message ? { message: m.message } : {}) };
    expect(r, `op #${i} ${JSON.stringify(ops[i])} refused after version ${start.version + lastOkBefore}`).toMatchObject(
      expected,
    );
  });
  return { accepted: k, refusals };
}

/** Fires every op at once (nothing awaited in between) and records each answer or error. */
const burst = (stub: Stub, ops: readonly CartOp[], limits: CartLimits): Promise<Outcome>[] =>
  ops.map((op) =>
    stub.apply(op, limits).then(
      (result): Outcome => ({ result: result as CartResult }),
      (error: unknown): Outcome => ({ error }),
    ),
  );

// ---------------------------------------------------------------------------------------------------------

describe('CartDO: concurrent writes against a sequential model', () => {
  for (const seed of [20260101, 7, 4242]) {
    it(`300 random writes at once apply in one order of versions 1..k, as the model replays them (seed ${seed})`, async () => {
      const stub = cartOf(freshName(`model-${seed}`));
      const ops = randomOps(300, seed);
      const outcomes = await Promise.all(burst(stub, ops, TIGHT));
      const final = (await stub.cart()) as CartState;
      const { accepted, refusals } = checkAgainstModel(ops, outcomes, { version: 0, lines: [] }, final, TIGHT);
      // The burst exercised both outcomes and every kind of refusal it can produce.
      expect(accepted).toBeGreaterThan(50);
      expect(refusals.NOT_IN_CART).toBeGreaterThan(0);
      expect(refusals.LIMIT).toBeGreaterThan(0);
      const bound = (m: string) =>
        /different items/.test(m) ? 'lines' : /of one item/.test(m) ? 'line' : /items in all/.test(m) ? 'items' : m;
      const bounds = new Set(
        outcomes.flatMap((o) =>
          'result' in o && !o.result.ok && o.result.reason === 'LIMIT' ? [bound(o.result.message)] : [],
        ),
      );
      expect([...bounds].sort()).toEqual(['items', 'line', 'lines']); // every bound was hit
      // Bounds hold in the final cart, and the stored line data is the data sent.
      expect(final.lines.length).toBeLessThanOrEqual(TIGHT.maxLines);
      expect(final.lines.reduce((t, l) => t + l.quantity, 0)).toBeLessThanOrEqual(TIGHT.maxItems);
      for (const l of final.lines) expect(l).toEqual({ ...lineData(l.sku), quantity: l.quantity });
      expect(final.currency).toBe(final.lines.length ? 'USD' : null);
    });
  }
});

describe('CartDO: conditional writes under concurrency', () => {
  it('20 writes at once with the same ifMatch: exactly one wins, 19 are STALE_VERSION', async () => {
    const stub = cartOf(freshName('if-match'));
    const first = (await stub.apply(add('TST-1', 1), LIMITS)) as CartResult;
    expect(first).toMatchObject({ ok: true, cart: { version: 1 } });
    const results = (await Promise.all(
      Array.from({ length: 20 }, () => stub.apply(add('TST-1', 1), LIMITS, 1)),
    )) as CartResult[];
    const winners = results.filter((r) => r.ok);
    const losers = results.filter((r) => !r.ok);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ ok: true, cart: { version: 2, lines: [{ sku: 'TST-1', quantity: 2 }] } });
    expect(losers).toHaveLength(19);
    for (const l of losers) expect(l).toEqual({ ok: false, reason: 'STALE_VERSION', version: 2 });
    expect(qty(((await stub.cart()) as CartState).lines)).toEqual([{ sku: 'TST-1', quantity: 2 }]);
  });

  it('20 read-modify-write loops at once on ifMatch lose no update', async () => {
    const stub = cartOf(freshName('if-match-retry'));
    await stub
      .apply(set('TST-1', 0), LIMITS)
      .then((r) => expect(r).toMatchObject({ ok: false, reason: 'NOT_IN_CART' }));
    await stub.apply(add('TST-1', 1), LIMITS);
    let stale = 0;
    const increment = async () => {
      for (;;) {
        const cart = (await stub.cart()) as CartState;
        const have = cart.lines.find((l) => l.sku === 'TST-1')!.quantity;
        const r = (await stub.apply(set('TST-1', have + 1), LIMITS, cart.version)) as CartResult;
        if (r.ok) return r.cart.version;
        expect(r.reason).toBe('STALE_VERSION');
        stale++;
      }
    };
    const versions = await Promise.all(Array.from({ length: 20 }, increment));
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    const final = (await stub.cart()) as CartState;
    expect(final).toMatchObject({ version: 21, lines: [{ sku: 'TST-1', quantity: 21 }] });
    expect(stale).toBeGreaterThan(0); // the loops really raced
  });
});

describe('CartDO: eviction', () => {
  /** Marks the live instance, so that a new instance after eviction can be told apart from the old one. */
  const mark = (stub: Stub) =>
    runInDurableObject(stub, (instance: CartDO) => void Object.assign(instance, { __testMark: true }));
  const marked = (stub: Stub) =>
    runInDurableObject(
      stub,
      (instance: CartDO) => (instance as unknown as { __testMark?: boolean }).__testMark === true,
    );

  it('loses nothing; the version continues', async () => {
    const stub = cartOf(freshName('evict'));
    for (const op of [add('TST-1', 2), add('TST-2', 3), set('TST-1', 5), add('TST-3', 1), remove('TST-2')]) {
      expect(await stub.apply(op, LIMITS)).toMatchObject({ ok: true });
    }
    const before = (await stub.cart()) as CartState;
    expect(before).toMatchObject({
      version: 5,
      lines: [
        { sku: 'TST-1', quantity: 5 },
        { sku: 'TST-3', quantity: 1 },
      ],
    });
    await mark(stub);
    expect(await marked(stub)).toBe(true);

    await evictDurableObject(stub);
    expect(await marked(stub)).toBe(false); // a new instance (whose in-memory schema flag starts unset)
    expect(await stub.cart()).toEqual(before);
    const after = (await stub.apply(add('TST-4', 2), LIMITS)) as CartResult;
    expect(after).toMatchObject({
      ok: true,
      cart: {
        version: 6,
        lines: [
          { sku: 'TST-1', quantity: 5 },
          { sku: 'TST-3', quantity: 1 },
          { sku: 'TST-4', quantity: 2 },
        ],
      },
    });
    // A write first thing after a wake (no read before it) also finds its tables.
    await evictDurableObject(stub);
    expect(await stub.apply(remove('TST-3'), LIMITS)).toMatchObject({
      ok: true,
      cart: { version: 7, lines: [{ sku: 'TST-1' }, { sku: 'TST-4' }] },
    });
    // The alarm survives eviction too.
    expect(await runInDurableObject(stub, (_i: CartDO, state) => state.storage.getAlarm())).toBe(
      ((await stub.cart()) as CartState).expiresAt,
    );
  });

  it('in the middle of a burst: every write that answered ok is in the final state, in version order', async () => {
    const stub = cartOf(freshName('evict-burst'));
    const ops = randomOps(100, 99);
    const firstHalf = ops.slice(0, 50);
    await stub.cart(); // the object is running (evictDurableObject refuses an object that is not)
    await mark(stub);

    let answered = 0;
    let evicting: Promise<void> | undefined;
    let pendingAtEviction = -1;
    const promises = burst(stub, firstHalf, TIGHT).map((p) =>
      p.finally(() => {
        answered++;
        if (answered === 25) {
          pendingAtEviction = firstHalf.length - answered;
          evicting = evictDurableObject(stub);
        }
      }),
    );
    const first = await Promise.all(promises);
    await evicting;
    expect(pendingAtEviction).toBe(25);
    expect(await marked(stub)).toBe(false);
    // ...then continue on the new instance.
    const second = await Promise.all(burst(stub, ops.slice(50), TIGHT));
    const final = (await stub.cart()) as CartState;
    const { accepted } = checkAgainstModel(ops, [...first, ...second], { version: 0, lines: [] }, final, TIGHT);
    expect(accepted).toBeGreaterThan(10);
  });

  it('repeated evictions during a burst lose nothing either', async () => {
    const stub = cartOf(freshName('evict-many'));
    const ops = randomOps(120, 31337);
    await stub.cart();
    const evictions: Promise<unknown>[] = [];
    let answered = 0;
    const promises = burst(stub, ops, TIGHT).map((p) =>
      p.finally(() => {
        if (++answered % 20 === 0) evictions.push(evictDurableObject(stub).catch((e: unknown) => e)); // may find it already gone
      }),
    );
    const outcomes = await Promise.all(promises);
    await Promise.all(evictions);
    checkAgainstModel(ops, outcomes, { version: 0, lines: [] }, (await stub.cart()) as CartState, TIGHT);
  });
});

describe('CartDO: expiry by alarm', () => {
  const tables = (stub: Stub) =>
    runInDurableObject(stub, (_i: CartDO, state) =>
      state.storage.sql
        .exec<{ name: string }>(
          "select name from sqlite_master where type = 'table' and name not like '\\_cf\\_%' escape '\\' and name not like 'sqlite\\_%' escape '\\'",
        )
        .toArray()
        .map((r) => r.name)
        .sort(),
    );
  const alarmAt = (stub: Stub) => runInDurableObject(stub, (_i: CartDO, state) => state.storage.getAlarm());

  it('after the idle time, the alarm empties the cart and frees its storage; a later write recreates it', async () => {
    const stub = cartOf(freshName('expire'));
    const short = { ...LIMITS, ttlSeconds: 1 };
    const written = (await stub.apply(add('TST-1', 3), short)) as CartResult;
    expect(written.ok).toBe(true);
    const { expiresAt } = (written as { ok: true; cart: CartState }).cart;
    expect(expiresAt).not.toBeNull();
    expect(await alarmAt(stub)).toBe(expiresAt);
    expect(await tables(stub)).toEqual(['absorbed', 'checked_out', 'drain', 'drained_line', 'line', 'meta']);

    // Hold the alarm back past the expiry (so that the test, not the scheduler, runs it), then wait > 1 s.
    await runInDurableObject(stub, (_i: CartDO, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    await new Promise((r) => setTimeout(r, 1_300));
    expect(Date.now()).toBeGreaterThan(expiresAt!);
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await tables(stub)).toEqual([]); // storage freed: no table, no row
    expect(await alarmAt(stub)).toBeNull();
    expect(await stub.cart()).toEqual({ version: 0, currency: null, lines: [], expiresAt: null });
    expect(await runDurableObjectAlarm(stub)).toBe(false); // nothing left scheduled

    const again = (await stub.apply(add('TST-2', 1), LIMITS)) as CartResult;
    expect(again).toMatchObject({
      ok: true,
      cart: { version: 1, currency: 'USD', lines: [{ sku: 'TST-2', quantity: 1 }] },
    });
    expect(await tables(stub)).toEqual(['absorbed', 'checked_out', 'drain', 'drained_line', 'line', 'meta']);
    expect(await alarmAt(stub)).toBe((again as { ok: true; cart: CartState }).cart.expiresAt);
  });

  it('the alarm scheduled by a write fires on its own after the idle time', async () => {
    const stub = cartOf(freshName('expire-auto'));
    expect(await stub.apply(add('TST-1', 1), { ...LIMITS, ttlSeconds: 1 })).toMatchObject({ ok: true });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await tables(stub)).length > 0) await new Promise((r) => setTimeout(r, 100));
    expect(await tables(stub)).toEqual([]);
    expect(await stub.cart()).toEqual({ version: 0, currency: null, lines: [], expiresAt: null });
  });

  it('an alarm that fires before the expiry keeps the cart and re-arms for the real expiry', async () => {
    const stub = cartOf(freshName('early-alarm'));
    expect(await stub.apply(add('TST-1', 2), LIMITS)).toMatchObject({ ok: true });
    const before = (await stub.cart()) as CartState;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.cart()).toEqual(before);
    expect(await alarmAt(stub)).toBe(before.expiresAt);
    expect(await stub.apply(add('TST-1', 1), LIMITS)).toMatchObject({
      ok: true,
      cart: { version: 2, lines: [{ sku: 'TST-1', quantity: 3 }] },
    });
  });

  it('reads and refused writes racing the expiring alarm never find the tables half gone', async () => {
    const stub = cartOf(freshName('expire-race'));
    expect(await stub.apply(add('TST-1', 3), { ...LIMITS, ttlSeconds: 1 })).toMatchObject({ ok: true });
    await runInDurableObject(stub, (_i: CartDO, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    await new Promise((r) => setTimeout(r, 1_200));
    // Reads and writes that do not commit (so do not push the expiry out) around the alarm.
    const calls = Array.from({ length: 60 }, (_, i) =>
      (i % 2 ? stub.cart() : stub.apply(remove('TST-9'), LIMITS)).then(
        (v) => ({ v: v as CartState | CartResult }),
        (error: unknown) => ({ error: String(error) }),
      ),
    );
    const [ran, ...answers] = await Promise.all([runDurableObjectAlarm(stub), ...calls]);
    expect(ran).toBe(true);
    expect(answers.filter((a) => 'error' in a)).toEqual([]);
    for (const a of answers as { v: CartState | CartResult }[]) {
      if ('version' in a.v) expect([0, 1]).toContain(a.v.version);
      else expect(a.v).toEqual({ ok: false, reason: 'NOT_IN_CART', sku: 'TST-9' });
    }
    expect(await stub.cart()).toEqual({ version: 0, currency: null, lines: [], expiresAt: null });
  });
});

describe('CartDO: guest-to-customer merge', () => {
  const GUEST: CartLimits = { ...LIMITS, ttlSeconds: 3600 };
  const CUSTOMER: CartLimits = { ...LIMITS, ttlSeconds: 7200 };

  /** The protocol exactly as the cart worker's mergeGuestCart runs it, with hooks to interleave or stop. */
  async function merge(
    names: { guest: string; customer: string },
    hooks: {
      afterDrain?: () => Promise<unknown>;
      afterAbsorb?: () => Promise<unknown>;
      stopAfterAbsorb?: boolean;
    } = {},
    limits = { guest: GUEST, customer: CUSTOMER },
  ) {
    const guest = cartOf(names.guest);
    const { token, lines } = (await guest.drain(names.customer)) as { token: string; lines: CartLine[] };
    if (!token) return { merged: 0 };
    await hooks.afterDrain?.();
    await cartOf(names.customer).absorb(token, lines, limits.customer);
    await hooks.afterAbsorb?.();
    if (hooks.stopAfterAbsorb) return { merged: -1 };
    await guest.confirmDrain(token, limits.guest);
    return { merged: lines.reduce((t, l) => t + l.quantity, 0) };
  }

  async function seed(name: string, ops: CartOp[], limits = LIMITS) {
    for (const op of ops) expect(await cartOf(name).apply(op, limits)).toMatchObject({ ok: true });
  }

  it('two full merges at once add each guest quantity exactly once (clamped) and empty the guest', async () => {
    const names = { guest: freshName('guest'), customer: freshName('customer') };
    await seed(names.guest, [add('TST-1', 3), add('TST-2', 4), add('TST-3', 5)]);
    await seed(names.customer, [add('TST-2', 48), add('TST-4', 1), add('TST-1', 2)]);

    const results = await Promise.all([merge(names), merge(names)]);
    const customer = (await cartOf(names.customer).cart()) as CartState;
    expect(qty(customer.lines)).toEqual([
      { sku: 'TST-2', quantity: 50 }, // 48 + 4, clamped by maxLineQuantity
      { sku: 'TST-4', quantity: 1 },
      { sku: 'TST-1', quantity: 5 },
      { sku: 'TST-3', quantity: 5 },
    ]);
    expect(customer.lines.find((l) => l.sku === 'TST-3')).toEqual({ ...lineData('TST-3'), quantity: 5 });
    expect(customer.version).toBe(4); // 3 writes + one absorb (the second absorb of the same token changes nothing)
    expect(((await cartOf(names.guest).cart()) as CartState).lines).toEqual([]);
    expect(results.map((r) => r.merged).sort()).toEqual([12, 12]); // both handed the same drained lines
    // Nothing pending: a third merge finds the guest empty.
    expect(await merge(names)).toEqual({ merged: 0 });
  });

  it('many merges at once, racing guest writes: every guest item lands exactly once', async () => {
    const names = { guest: freshName('guest-race'), customer: freshName('customer-race') };
    const big: CartLimits = { maxLineQuantity: 10_000, maxLines: 20, maxItems: 100_000, ttlSeconds: 3600 };
    await seed(names.guest, [add('TST-1', 3), add('TST-2', 4)], big);
    await seed(names.customer, [add('TST-1', 10), add('TST-8', 1)], big);
    const r = prng(5);
    const guestAdds = Array.from({ length: 40 }, () => add(r.pick(SKUS.slice(0, 5)), r.int(1, 9)));
    const guest = cartOf(names.guest);
    const work = [
      ...Array.from({ length: 8 }, () => merge(names, {}, { guest: big, customer: big })),
      ...guestAdds.map((op) => guest.apply(op, big).then((res) => expect(res).toMatchObject({ ok: true }))),
      ...Array.from({ length: 4 }, () => merge(names, {}, { guest: big, customer: big })),
    ];
    await Promise.all(work);
    await merge(names, {}, { guest: big, customer: big }); // whatever was added after the last drain
    expect(((await guest.cart()) as CartState).lines).toEqual([]);
    const expected: Record<string, number> = { 'TST-1': 13, 'TST-2': 4, 'TST-8': 1 };
    for (const op of guestAdds)
      if (op.kind === 'add') expected[op.line.sku] = (expected[op.line.sku] ?? 0) + op.quantity;
    expect(sumBySku(((await cartOf(names.customer).cart()) as CartState).lines)).toEqual(expected);
  });

  it('a merge interrupted after absorb and then retried does not double, and empties the guest', async () => {
    const names = { guest: freshName('guest-retry'), customer: freshName('customer-retry') };
    await seed(names.guest, [add('TST-1', 3), add('TST-2', 4)]);
    await seed(names.customer, [add('TST-1', 1)]);

    expect(await merge(names, { stopAfterAbsorb: true })).toEqual({ merged: -1 });
    expect(qty(((await cartOf(names.customer).cart()) as CartState).lines)).toEqual([
      { sku: 'TST-1', quantity: 4 },
      { sku: 'TST-2', quantity: 4 },
    ]);
    expect(qty(((await cartOf(names.guest).cart()) as CartState).lines)).toEqual([
      { sku: 'TST-1', quantity: 3 },
      { sku: 'TST-2', quantity: 4 },
    ]);

    // Retried twice at once, across an eviction of both objects (nothing of the protocol lives in memory).
    await evictDurableObject(cartOf(names.guest));
    await evictDurableObject(cartOf(names.customer));
    await Promise.all([merge(names), merge(names)]);
    expect(qty(((await cartOf(names.customer).cart()) as CartState).lines)).toEqual([
      { sku: 'TST-1', quantity: 4 },
      { sku: 'TST-2', quantity: 4 },
    ]);
    expect(((await cartOf(names.guest).cart()) as CartState).lines).toEqual([]);
    expect(await merge(names)).toEqual({ merged: 0 });
  });

  it('lines added to the guest between drain and confirm survive the confirm (and move on the next merge)', async () => {
    const names = { guest: freshName('guest-late'), customer: freshName('customer-late') };
    const guest = cartOf(names.guest);
    await seed(names.guest, [add('TST-1', 3), add('TST-2', 4)]);
    await seed(names.customer, [add('TST-3', 1)]);

    await merge(names, {
      afterDrain: async () => {
        expect(await guest.apply(add('TST-1', 2), GUEST)).toMatchObject({ ok: true }); // more of a drained line
        expect(await guest.apply(add('TST-5', 2), GUEST)).toMatchObject({ ok: true }); // a new line
      },
      afterAbsorb: async () => {
        expect(await guest.apply(add('TST-6', 1), GUEST)).toMatchObject({ ok: true });
      },
    });
    expect(qty(((await guest.cart()) as CartState).lines)).toEqual([
      { sku: 'TST-1', quantity: 2 },
      { sku: 'TST-5', quantity: 2 },
      { sku: 'TST-6', quantity: 1 },
    ]);
    expect(sumBySku(((await cartOf(names.customer).cart()) as CartState).lines)).toEqual({
      'TST-3': 1,
      'TST-1': 3,
      'TST-2': 4,
    });

    expect(await merge(names)).toEqual({ merged: 5 });
    expect(((await guest.cart()) as CartState).lines).toEqual([]);
    expect(sumBySku(((await cartOf(names.customer).cart()) as CartState).lines)).toEqual({
      'TST-3': 1,
      'TST-1': 5,
      'TST-2': 4,
      'TST-5': 2,
      'TST-6': 1,
    });
  });

  it('a line removed and added again during a pending merge keeps the re-added items', async () => {
    const names = { guest: freshName('guest'), customer: freshName('customer') };
    await seed(names.guest, [add('TST-1', 3)]);
    await merge(names, {
      afterDrain: async () => {
        expect(await cartOf(names.guest).apply(remove('TST-1'), GUEST)).toMatchObject({ ok: true });
        expect(await cartOf(names.guest).apply(add('TST-1', 2), GUEST)).toMatchObject({ ok: true });
      },
    });
    expect(sumBySku((await cartOf(names.customer).cart()).lines)).toEqual({ 'TST-1': 3 });
    expect(sumBySku((await cartOf(names.guest).cart()).lines)).toEqual({ 'TST-1': 2 });
  });

  it('an unconfirmed merge into one customer gives another customer nothing: no line lands twice', async () => {
    const guest = freshName('guest');
    const [x, y] = [freshName('customer-x'), freshName('customer-y')];
    await seed(guest, [add('TST-1', 3)]);
    await merge({ guest, customer: x }, { stopAfterAbsorb: true });
    expect(await merge({ guest, customer: y })).toEqual({ merged: 0 });
    expect((await cartOf(y).cart()).lines).toEqual([]);
    await merge({ guest, customer: x }); // the retry completes the first merge
    expect(sumBySku((await cartOf(x).cart()).lines)).toEqual({ 'TST-1': 3 });
    expect((await cartOf(guest).cart()).lines).toEqual([]);
  });
});

describe('CartDO: input it refuses on its own', () => {
  it('refuses another currency even on a one-line cart, and quantities below one', async () => {
    const stub = cartOf(freshName('currency'));
    await stub.apply(add('TST-1', 1), LIMITS);
    const eur = { kind: 'add', line: { ...lineData('TST-1'), currency: 'EUR' }, quantity: 1 } as CartOp;
    expect(await stub.apply(eur, LIMITS)).toMatchObject({
      ok: false,
      reason: 'CURRENCY_MISMATCH',
      cartCurrency: 'USD',
    });
    expect(await stub.apply(add('TST-2', -4), LIMITS)).toMatchObject({ ok: false, reason: 'LIMIT' });
    expect(await stub.apply(add('TST-2', 0), LIMITS)).toMatchObject({ ok: false, reason: 'LIMIT' });
    expect(await stub.apply(set('TST-1', -1), LIMITS)).toMatchObject({ ok: false, reason: 'LIMIT' });
    expect(qty((await stub.cart()).lines)).toEqual([{ sku: 'TST-1', quantity: 1 }]);
  });
});

describe('CartDO: an accepted order takes its lines out', () => {
  it('removes what was ordered once per order, and keeps what the shopper added meanwhile', async () => {
    const stub = cartOf(freshName('checked-out'));
    await stub.apply(add('TST-1', 3), LIMITS);
    await stub.apply(add('TST-2', 1), LIMITS);
    const ordered = [
      { sku: 'TST-1', quantity: 2 },
      { sku: 'TST-2', quantity: 1 },
    ];
    // The same order applied three times at once: taken out once.
    const answers = await Promise.all([1, 2, 3].map(() => stub.checkedOut('ord_test_1', ordered, LIMITS)));
    expect(answers.every((a) => a.lines.length === 1)).toBe(true);
    expect(qty((await stub.cart()).lines)).toEqual([{ sku: 'TST-1', quantity: 1 }]);
    // A later order of the rest empties the cart.
    await stub.checkedOut('ord_test_2', [{ sku: 'TST-1', quantity: 1 }], LIMITS);
    expect((await stub.cart()).lines).toEqual([]);
  });
});
