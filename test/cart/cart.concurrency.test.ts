// CartDO driven directly inside workerd (env.CARTS is the CartDO namespace) under real concurrency: a seeded
// random burst of writes checked against the sequential model (helpers.ts), and conditional writes (of N writes
// with the same ifMatch, exactly one wins).
import { describe, expect, it } from 'vitest';
import type { CartResult, CartState } from '../../durable-objects/cart/types';
import {
  add,
  burst,
  cartOf,
  checkAgainstModel,
  freshName,
  LIMITS,
  lineData,
  qty,
  randomOps,
  set,
  TIGHT,
} from './helpers';

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
