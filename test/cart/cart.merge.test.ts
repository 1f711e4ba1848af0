// The two-phase guest-to-customer cart merge (drain, absorb, confirm) run twice at once, interrupted, retried or
// racing guest writes: it neither loses nor doubles a line.
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CartLimits, CartLine, CartOp, CartState, MergeOutcome } from '../../durable-objects/cart/types';
import { prng } from '../prng';
import { add, cartOf, freshName, LIMITS, lineData, qty, remove, SKUS, sumBySku } from './helpers';

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
    const { taken, left } = (await cartOf(names.customer).absorb(token, lines, limits.customer)) as MergeOutcome;
    await hooks.afterAbsorb?.();
    if (hooks.stopAfterAbsorb) return { merged: -1 };
    await guest.confirmDrain(token, limits.guest, taken);
    return { merged: taken.reduce((t, l) => t + l.quantity, 0), ...(left.length ? { left } : {}) };
  }

  async function seed(name: string, ops: CartOp[], limits = LIMITS) {
    for (const op of ops) expect(await cartOf(name).apply(op, limits)).toMatchObject({ ok: true });
  }

  it('two full merges at once add each guest quantity exactly once (clamped); what did not fit stays', async () => {
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
    // Issue 11 finding 9: the 2 of TST-2 over the line bound are no longer dropped; they stay with the guest.
    expect(qty(((await cartOf(names.guest).cart()) as CartState).lines)).toEqual([{ sku: 'TST-2', quantity: 2 }]);
    const left = [{ sku: 'TST-2', quantity: 2, reason: 'LINE_QUANTITY' }];
    expect(results).toEqual([
      { merged: 10, left },
      { merged: 10, left },
    ]); // both handed the same drained lines and the same outcome
    // Nothing pending: a third merge tries the rest again, and it still does not fit.
    expect(await merge(names)).toEqual({ merged: 0, left });
    expect(qty(((await cartOf(names.guest).cart()) as CartState).lines)).toEqual([{ sku: 'TST-2', quantity: 2 }]);
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

  it('both carts at their line limit: nothing is lost, every guest line stays and the merge names it (finding 9)', async () => {
    const names = { guest: freshName('guest-full'), customer: freshName('customer-full') };
    const FULL: CartLimits = { maxLineQuantity: 10, maxLines: 4, maxItems: 100, ttlSeconds: 3600 };
    const limits = { guest: FULL, customer: FULL };
    // The customer's 4 lines, one of them with room for 2 more; the guest's 4 lines, one of them that SKU.
    await seed(names.customer, [add('TST-1', 8), add('TST-2', 1), add('TST-3', 1), add('TST-4', 1)], FULL);
    await seed(names.guest, [add('TST-1', 5), add('TST-5', 2), add('TST-6', 3), add('TST-7', 4)], FULL);

    const outcome = await merge(names, {}, limits);
    expect(outcome).toEqual({
      merged: 2,
      left: [
        { sku: 'TST-1', quantity: 3, reason: 'LINE_QUANTITY' },
        { sku: 'TST-5', quantity: 2, reason: 'MAX_LINES' },
        { sku: 'TST-6', quantity: 3, reason: 'MAX_LINES' },
        { sku: 'TST-7', quantity: 4, reason: 'MAX_LINES' },
      ],
    });
    expect(sumBySku((await cartOf(names.customer).cart()).lines)).toEqual({
      'TST-1': 10,
      'TST-2': 1,
      'TST-3': 1,
      'TST-4': 1,
    });
    expect(qty((await cartOf(names.guest).cart()).lines)).toEqual([
      { sku: 'TST-1', quantity: 3 },
      { sku: 'TST-5', quantity: 2 },
      { sku: 'TST-6', quantity: 3 },
      { sku: 'TST-7', quantity: 4 },
    ]);
    // Every unit is in one cart or the other, exactly once.
    const units = (lines: readonly { quantity: number }[]) => lines.reduce((n, l) => n + l.quantity, 0);
    expect(units((await cartOf(names.customer).cart()).lines) + units((await cartOf(names.guest).cart()).lines)).toBe(
      11 + 14,
    );
  });
});
