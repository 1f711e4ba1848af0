// Checkout totals: subtotal from the lines, flat shipping from the table (free standard shipping at home from a
// threshold), one tax rate per country on subtotal + shipping, rounded half up once. All in minor units.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeTotals,
  DOMESTIC_COUNTRY,
  FREE_SHIPPING_FROM,
  SHIPPING_COUNTRIES,
  SHIPPING_METHODS,
  SHIPPING_TABLE,
  TAX_RATES_BPS,
} from './pricing';

const line = (unitAmount: number, quantity = 1) => ({ unitAmount, quantity });
const lines = fc.array(
  fc.record({ unitAmount: fc.integer({ min: 0, max: 100_000 }), quantity: fc.integer({ min: 1, max: 50 }) }),
  {
    maxLength: 20,
  },
);
const country = fc.constantFrom(...SHIPPING_COUNTRIES);
const method = fc.constantFrom(...SHIPPING_METHODS);

describe('computeTotals: examples', () => {
  it('adds up the lines and carries the currency through', () => {
    const t = computeTotals([line(1250, 2), line(999), line(1, 3)], 'EUR', 'ES', 'standard');
    expect(t).toEqual({ subtotal: 3502, shipping: 1500, tax: 0, total: 5002, currency: 'EUR', taxRateBps: 0 });
  });

  it('charges domestic standard shipping below the threshold and none from it', () => {
    expect(computeTotals([line(FREE_SHIPPING_FROM - 1)], 'USD', 'US', 'standard').shipping).toBe(500);
    expect(computeTotals([line(FREE_SHIPPING_FROM)], 'USD', 'US', 'standard').shipping).toBe(0);
    expect(computeTotals([line(2500, 4)], 'USD', 'US', 'standard').shipping).toBe(0);
  });

  it('always charges express, and international shipping whatever the amount', () => {
    expect(computeTotals([line(50_000)], 'USD', 'US', 'express').shipping).toBe(1500);
    expect(computeTotals([line(50_000)], 'USD', 'CA', 'standard').shipping).toBe(1500);
    expect(computeTotals([line(50_000)], 'USD', 'JP', 'express').shipping).toBe(3500);
  });

  it('taxes subtotal plus shipping at the destination rate', () => {
    // US 7.25 %: (1000 + 500) * 0.0725 = 108.75 -> 109.
    expect(computeTotals([line(1000)], 'USD', 'US', 'standard')).toMatchObject({
      tax: 109,
      total: 1609,
      taxRateBps: 725,
    });
    // GB 20 %: (2000 + 1500) * 0.2 = 700 exactly.
    expect(computeTotals([line(2000)], 'GBP', 'GB', 'standard')).toMatchObject({ tax: 700, total: 4200 });
  });

  it('rounds a half cent of tax up, and less than half down', () => {
    // CA 13 %: (50 + 1500) * 0.13 = 201.5 -> 202; (49 + 1500) * 0.13 = 201.37 -> 201.
    expect(computeTotals([line(50)], 'CAD', 'CA', 'standard').tax).toBe(202);
    expect(computeTotals([line(49)], 'CAD', 'CA', 'standard').tax).toBe(201);
  });

  it('does not tax countries without a rate, and an empty cart still pays shipping', () => {
    expect(computeTotals([], 'EUR', 'IT', 'express')).toEqual({
      subtotal: 0,
      shipping: 3500,
      tax: 0,
      total: 3500,
      currency: 'EUR',
      taxRateBps: 0,
    });
  });
});

describe('computeTotals: properties', () => {
  it('total = subtotal + shipping + tax, subtotal = the sum of the lines, all integers', () => {
    fc.assert(
      fc.property(lines, country, method, (ls, c, m) => {
        const t = computeTotals(ls, 'USD', c, m);
        expect(t.subtotal).toBe(ls.reduce((n, l) => n + l.unitAmount * l.quantity, 0));
        expect(t.total).toBe(t.subtotal + t.shipping + t.tax);
        for (const v of [t.subtotal, t.shipping, t.tax, t.total]) expect(Number.isSafeInteger(v)).toBe(true);
      }),
    );
  });

  it('takes shipping from the table: free only for standard at home from the threshold', () => {
    fc.assert(
      fc.property(lines, country, method, (ls, c, m) => {
        const t = computeTotals(ls, 'USD', c, m);
        const free = c === DOMESTIC_COUNTRY && m === 'standard' && t.subtotal >= FREE_SHIPPING_FROM;
        const zone = c === DOMESTIC_COUNTRY ? 'domestic' : 'international';
        expect(t.shipping).toBe(free ? 0 : SHIPPING_TABLE[m][zone]);
      }),
    );
  });

  it('rounds tax half up, once: within half a minor unit of the exact amount', () => {
    fc.assert(
      fc.property(lines, country, method, (ls, c, m) => {
        const t = computeTotals(ls, 'USD', c, m);
        expect(t.taxRateBps).toBe(TAX_RATES_BPS[c] ?? 0);
        // exact tax in 1/10000 of a minor unit; a half rounds up, so the error lies in [-0.5, 0.5).
        const error = (t.subtotal + t.shipping) * t.taxRateBps - t.tax * 10_000;
        expect(error).toBeGreaterThanOrEqual(-5000);
        expect(error).toBeLessThan(5000);
      }),
    );
  });

  it('adding a line never lowers the subtotal, nor the total unless it earns free shipping', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 0, max: 100_000 }), country, method, (ls, extra, c, m) => {
        const before = computeTotals(ls, 'USD', c, m);
        const after = computeTotals([...ls, line(extra)], 'USD', c, m);
        expect(after.subtotal).toBeGreaterThanOrEqual(before.subtotal);
        const earnedFreeShipping = before.shipping > 0 && after.shipping === 0;
        if (!earnedFreeShipping) expect(after.total).toBeGreaterThanOrEqual(before.total);
      }),
    );
  });
});
