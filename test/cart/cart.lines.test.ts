// CartDO on its own: the input it refuses whatever the worker checked, and an accepted order taking its lines
// out of the cart exactly once.
import { describe, expect, it } from 'vitest';
import type { CartOp } from '../../durable-objects/cart/types';
import { add, cartOf, freshName, LIMITS, lineData, qty, set } from './helpers';

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
