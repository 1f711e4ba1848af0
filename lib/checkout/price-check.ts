// Checkout never charges a total the shopper did not see (issue 11, finding 3). The reference is what the cart
// showed: the price each line was added at (or last confirmed at by a PRICE_CHANGED answer), and, when the request
// carries it, the total the shopper expects. Any difference is a 409 PRICE_CHANGED naming the new lines and
// totals, decided before any hold or payment call.
import type { Money } from '../catalog/schemas';
import type { OrderLine, OrderTotals } from './order';

export interface ShownLine {
  sku: string;
  /** The price the cart showed for the line (minor units). */
  unitAmount: number;
  currency: string;
}

export interface PriceChange {
  lines: {
    sku: string;
    quantity: number;
    unitPrice: Money;
    previousUnitPrice: Money;
    lineTotal: Money;
    priceChanged: boolean;
  }[];
  totals: { subtotal: Money; shipping: Money; tax: Money; total: Money; taxRateBps: number };
  expectedTotal: Money | null;
}

/**
 * The difference between what the shopper saw and what the checkout would charge, or null when there is none.
 * A request that names the expected total is held to that total: the shopper saw it (e.g. the cart's current
 * prices, shown with `priceChanged`), so changed lines alone do not refuse it. Without one, every line must be
 * at the price the cart keeps for it.
 */
export function priceChange(
  shown: ShownLine[],
  lines: OrderLine[],
  totals: OrderTotals,
  expectedTotal: Money | undefined,
): PriceChange | null {
  const before = new Map(shown.map((l) => [l.sku, l]));
  const changed = (l: OrderLine) => {
    const b = before.get(l.sku);
    return !b || b.unitAmount !== l.unitAmount || b.currency !== totals.currency;
  };
  const totalDiffers =
    expectedTotal !== undefined &&
    (expectedTotal.amount !== totals.total || expectedTotal.currency.toUpperCase() !== totals.currency);
  const refuse = expectedTotal !== undefined ? totalDiffers : lines.some(changed);
  if (!refuse) return null;
  const m = (amount: number): Money => ({ amount, currency: totals.currency });
  return {
    lines: lines.map((l) => {
      const b = before.get(l.sku);
      return {
        sku: l.sku,
        quantity: l.quantity,
        unitPrice: m(l.unitAmount),
        previousUnitPrice: b ? { amount: b.unitAmount, currency: b.currency } : m(l.unitAmount),
        lineTotal: m(l.lineTotal),
        priceChanged: changed(l),
      };
    }),
    totals: {
      subtotal: m(totals.subtotal),
      shipping: m(totals.shipping),
      tax: m(totals.tax),
      total: m(totals.total),
      taxRateBps: totals.taxRateBps,
    },
    expectedTotal: expectedTotal ?? null,
  };
}
