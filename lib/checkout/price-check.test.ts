import { describe, expect, it } from 'vitest';
import type { OrderLine, OrderTotals } from './order';
import { priceChange } from './price-check';

const line = (sku: string, unitAmount: number, quantity = 1): OrderLine => ({
  sku,
  title: sku,
  quantity,
  unitAmount,
  lineTotal: unitAmount * quantity,
});
const totals = (total: number): OrderTotals => ({
  subtotal: total,
  shipping: 0,
  tax: 0,
  total,
  currency: 'USD',
  taxRateBps: 0,
});
const shown = (sku: string, unitAmount: number) => ({ sku, unitAmount, currency: 'USD' });

describe('priceChange', () => {
  it('is null when every line is at the shown price', () => {
    expect(
      priceChange([shown('A', 100), shown('B', 50)], [line('A', 100), line('B', 50)], totals(150), undefined),
    ).toBeNull();
    expect(priceChange([shown('A', 100)], [line('A', 100)], totals(100), undefined)).toBeNull();
  });

  it('names every line, flags the changed ones, and gives the new totals (up or down)', () => {
    const c = priceChange(
      [shown('A', 100), shown('B', 50)],
      [line('A', 100), line('B', 40, 2)],
      totals(180),
      undefined,
    );
    expect(c?.lines).toEqual([
      expect.objectContaining({ sku: 'A', priceChanged: false }),
      expect.objectContaining({
        sku: 'B',
        priceChanged: true,
        unitPrice: { amount: 40, currency: 'USD' },
        previousUnitPrice: { amount: 50, currency: 'USD' },
        lineTotal: { amount: 80, currency: 'USD' },
      }),
    ]);
    expect(c?.totals.total).toEqual({ amount: 180, currency: 'USD' });
  });

  it('holds a request to the expected total when it names one', () => {
    const usd = (amount: number) => ({ amount, currency: 'USD' });
    // Lines changed, but the shopper names the new total: they saw it.
    expect(priceChange([shown('A', 100)], [line('A', 120)], totals(120), usd(120))).toBeNull();
    // Lines unchanged, but the total differs from what the shopper expects (shipping, tax, a stale page).
    expect(priceChange([shown('A', 100)], [line('A', 100)], totals(130), usd(120))?.expectedTotal).toEqual(usd(120));
    expect(
      priceChange([shown('A', 100)], [line('A', 100)], totals(100), { amount: 100, currency: 'EUR' }),
    ).not.toBeNull();
  });
});
