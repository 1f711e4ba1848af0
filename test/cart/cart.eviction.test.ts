// CartDO eviction, between writes and in the middle of a burst: nothing that answered ok is lost and the version
// continues (checked against the sequential model in helpers.ts).
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CartDO } from '../../durable-objects/cart/cart.do';
import type { CartResult, CartState } from '../../durable-objects/cart/types';
import {
  add,
  burst,
  cartOf,
  checkAgainstModel,
  freshName,
  LIMITS,
  randomOps,
  remove,
  type Stub,
  set,
  TIGHT,
} from './helpers';

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
