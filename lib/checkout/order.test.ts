// The order state machine: which status may follow which, checked for every pair of statuses, and which orders
// count as accepted (the shopper sees them, Postgres keeps them).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canTransition, isAccepted, isSettled, ORDER_STATUSES, type OrderStatus, SETTLED_STATUSES } from './order';

/** The diagram at the top of order.ts, written out edge by edge. */
const allowed: [OrderStatus, OrderStatus][] = [
  ['created', 'pending_payment'],
  ['created', 'payment_failed'],
  ['created', 'abandoned'],
  ['pending_payment', 'paid'],
  ['pending_payment', 'payment_failed'],
  ['pending_payment', 'canceled'],
  ['pending_payment', 'expired'],
  ['paid', 'fulfilled'],
  ['paid', 'refunded'],
  ['fulfilled', 'refunded'],
  ['payment_failed', 'refunded'],
  ['canceled', 'refunded'],
  ['expired', 'refunded'],
  ['abandoned', 'refunded'],
];
const isAllowed = (from: OrderStatus, to: OrderStatus) => allowed.some(([f, t]) => f === from && t === to);
const status = fc.constantFrom(...ORDER_STATUSES);

describe('order transitions', () => {
  const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));

  it.each(pairs.filter(([from, to]) => isAllowed(from, to)))('allows %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(pairs.filter(([from, to]) => !isAllowed(from, to)))('refuses %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('never goes back to created and never stays put', () => {
    fc.assert(
      fc.property(status, (from) => {
        expect(canTransition(from, 'created')).toBe(false);
        expect(canTransition(from, from)).toBe(false);
      }),
    );
  });

  it('ends every walk in refunded, which nothing follows, within four steps', () => {
    // A random walk: at each step one of the allowed next statuses, until none is left.
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 5, maxLength: 5 }), (choices) => {
        let current: OrderStatus = 'created';
        const path: OrderStatus[] = [current];
        for (const choice of choices) {
          const next = ORDER_STATUSES.filter((to) => canTransition(current, to));
          if (next.length === 0) break;
          current = next[choice % next.length]!;
          path.push(current);
        }
        expect(current, path.join(' -> ')).toBe('refunded');
        expect(path.length).toBeLessThanOrEqual(5);
      }),
    );
  });

  it('reaches every status from created', () => {
    const seen = new Set<OrderStatus>(['created']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const from of [...seen])
        for (const to of ORDER_STATUSES)
          if (canTransition(from, to) && !seen.has(to)) {
            seen.add(to);
            grew = true;
          }
    }
    expect([...seen].sort()).toEqual([...ORDER_STATUSES].sort());
  });
});

describe('merchant moves', () => {
  it('fulfils only a paid order, and never takes a fulfilled one back', () => {
    expect(ORDER_STATUSES.filter((s) => canTransition(s, 'fulfilled'))).toEqual(['paid']);
    expect(ORDER_STATUSES.filter((s) => canTransition('fulfilled', s))).toEqual(['refunded']);
  });

  it('cancels only an order waiting for its payment', () => {
    expect(ORDER_STATUSES.filter((s) => canTransition(s, 'canceled'))).toEqual(['pending_payment']);
  });
});

describe('isAccepted', () => {
  it('is false only for orders the shopper never saw: created and abandoned', () => {
    expect(ORDER_STATUSES.filter((s) => !isAccepted(s))).toEqual(['created', 'abandoned']);
  });

  it('never lets an accepted order become unaccepted again', () => {
    fc.assert(
      fc.property(status, status, (from, to) => {
        if (canTransition(from, to) && isAccepted(from)) expect(isAccepted(to)).toBe(true);
      }),
    );
  });
});

describe('settled statuses (what archival may move)', () => {
  it('are exactly those no transition leaves: an archived order can never change again', () => {
    expect(SETTLED_STATUSES).toEqual(['refunded']);
    for (const s of ORDER_STATUSES) expect(isSettled(s)).toBe(ORDER_STATUSES.every((to) => !canTransition(s, to)));
  });
});
