// CartDO on its own: the input it refuses whatever the worker checked, an accepted order taking its lines out of
// the cart exactly once, and the cart it keeps in memory matching storage.
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CartDO } from '../../durable-objects/cart/cart.do';
import type { CartOp, CartResult } from '../../durable-objects/cart/types';
import { prng } from '../prng';
import { add, cartOf, freshName, LIMITS, lineData, qty, SKUS, set, TIGHT } from './helpers';

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

describe('CartDO: the cart it keeps in memory after a write', () => {
  // Each write's answer comes from the lines as the object wrote them, not from reading them back: they must be
  // what storage holds, line for line and in order, through adds, sets, removes, refusals and catalog changes.
  it('is what storage holds after every write of a random sequence', async () => {
    for (const seed of [7, 8, 9]) {
      const stub = cartOf(freshName(`memo-${seed}`));
      const r = prng(seed);
      for (let i = 0; i < 40; i++) {
        const sku = r.pick(SKUS);
        // The catalog data changes now and then (a new title, slug or image), as it travels with every write.
        const line = {
          ...lineData(sku),
          title: `Item ${sku} v${r.int(0, 2)}`,
          image: r.next() < 0.5 ? null : `/images/${i}.jpg`,
        };
        const roll = r.next();
        const op: CartOp =
          roll < 0.45
            ? { kind: 'add', line, quantity: r.int(1, 20) }
            : roll < 0.75
              ? { kind: 'set', sku, quantity: r.int(0, 60), line }
              : { kind: 'remove', sku };
        const answer = (await stub.apply(op, TIGHT)) as CartResult;
        const kept = await stub.cart(); // the memo, also after a refusal
        const stored = await runInDurableObject(stub, (instance: CartDO) => {
          Object.assign(instance, { memo: undefined }); // read it from storage
          return instance.cart();
        });
        if (answer.ok) expect(answer.cart, `seed ${seed}, write ${i}`).toEqual(stored);
        expect(kept, `seed ${seed}, write ${i}`).toEqual(stored);
      }
    }
  });
});
