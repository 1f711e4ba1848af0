// Shared by the CartDO tests (test/cart/*.test.ts): a fresh object per test, made-up line data and limits, and the
// model check — a burst of writes, ordered by the version each answer carries, replayed on a plain sequential
// model of the cart (same bound rules) must give the object's final lines.
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import type { CartDO } from '../../durable-objects/cart/cart.do';
import type { CartLimits, CartLine, CartOp, CartResult, CartState } from '../../durable-objects/cart/types';
import { prng } from '../prng';

export type Stub = DurableObjectStub<CartDO>;

let n = 0;
/** A fresh object per test (and per run: the name is never reused). */
export const freshName = (label: string) => `cart-do-test/${label}/${crypto.randomUUID()}/${n++}`;
export const cartOf = (name: string): Stub => env.CARTS.get(env.CARTS.idFromName(name));

export const LIMITS: CartLimits = { maxLineQuantity: 50, maxLines: 20, maxItems: 500, ttlSeconds: 3600 };
/** Tight enough that a random burst over 8 SKUs hits every bound (lines, per line, in all). */
export const TIGHT: CartLimits = { maxLineQuantity: 50, maxLines: 6, maxItems: 150, ttlSeconds: 3600 };

export const SKUS = ['TST-1', 'TST-2', 'TST-3', 'TST-4', 'TST-5', 'TST-6', 'TST-7', 'TST-8'];
export const lineData = (sku: string): Omit<CartLine, 'quantity'> => ({
  sku,
  addedAmount: 1000 + 125 * Number(sku.slice(4)),
  currency: 'USD',
  title: `Test item ${sku}`,
  productSlug: `test-item-${sku.toLowerCase()}`,
  image: null,
});
export const add = (sku: string, quantity: number): CartOp => ({ kind: 'add', line: lineData(sku), quantity });
export const set = (sku: string, quantity: number): CartOp => ({
  kind: 'set',
  sku,
  quantity,
  ...(quantity > 0 ? { line: lineData(sku) } : {}),
});
export const remove = (sku: string): CartOp => ({ kind: 'remove', sku });

export interface Qty {
  sku: string;
  quantity: number;
}
export const qty = (lines: readonly Qty[]): Qty[] => lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
export const sumBySku = (lines: readonly Qty[]) => Object.fromEntries(lines.map((l) => [l.sku, l.quantity]));

// ---------------------------------------------------------------------------------------------------------
// The model: the cart as a plain sequential list, with CartDO's rules (same order of bound checks and messages).

export type ModelResult = { ok: true; lines: Qty[] } | { ok: false; reason: 'NOT_IN_CART' | 'LIMIT'; message?: string };

export function modelApply(lines: readonly Qty[], op: CartOp, limits: CartLimits): ModelResult {
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

/** Adds (mostly small, sometimes past the per-line bound), sets (0 removes; some past the bound) and removes. */
export function randomOps(count: number, seed: number): CartOp[] {
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
export type Outcome = { result: CartResult } | { error: unknown };

/**
 * Checks a burst against the model: the successful answers' versions are exactly base+1..base+k, replaying the
 * successful ops in version order on the model is accepted at every step and gives the cart each answer
 * returned and the final cart; every refusal is one the model makes too at the op's place in the order. A
 * refusal carries no version, so its place is taken from the order the calls were issued in: after the last
 * success issued before it, before the first success issued after it (a single place when the object applies
 * the calls of one caller in the order they were made, which is asserted).
 */
export function checkAgainstModel(
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
export const burst = (stub: Stub, ops: readonly CartOp[], limits: CartLimits): Promise<Outcome>[] =>
  ops.map((op) =>
    stub.apply(op, limits).then(
      (result): Outcome => ({ result: result as CartResult }),
      (error: unknown): Outcome => ({ error }),
    ),
  );
