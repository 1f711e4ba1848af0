// What a shopper sees of their cart: each line at the catalog's current price, flagged where it changed since it
// was added, and the line a SKU makes when it is added. Pure: the catalog data comes in (catalog.ts).
import type { CartView } from '../../lib/cart/schemas';
import type { VariantInfo } from '../../lib/contracts/catalog';
import { AppError } from '../../lib/errors';
import type { CartLine, CartState } from './types';

/**
 * The cart as the shopper sees it, given the catalog data of its SKUs (a SKU no longer sold is unavailable). A SKU
 * in `unknown` (the catalog could not be asked just now) shows as it was stored: its added price, still available.
 */
export function cartView(state: CartState, current: Map<string, VariantInfo>, unknown?: Set<string>): CartView {
  const lines = state.lines.map((l) => {
    const v = current.get(l.sku);
    if (v === undefined && unknown?.has(l.sku)) {
      return {
        sku: l.sku,
        productSlug: l.productSlug,
        title: l.title,
        image: l.image,
        quantity: l.quantity,
        unitPrice: { amount: l.addedAmount, currency: l.currency },
        lineTotal: { amount: l.addedAmount * l.quantity, currency: l.currency },
        priceChanged: false,
        available: true,
      };
    }
    const amount = v?.price.amount ?? l.addedAmount;
    const currency = v?.price.currency ?? l.currency;
    const changed = v !== undefined && amount !== l.addedAmount;
    return {
      sku: l.sku,
      productSlug: v?.productSlug ?? l.productSlug,
      title: v ? `${v.productTitle} — ${v.title}` : l.title,
      image: v?.image ?? l.image,
      quantity: l.quantity,
      unitPrice: { amount, currency },
      lineTotal: { amount: amount * l.quantity, currency },
      priceChanged: changed,
      ...(changed ? { previousUnitPrice: { amount: l.addedAmount, currency: l.currency } } : {}),
      available: v !== undefined,
    };
  });
  const sold = lines.filter((l) => l.available);
  const currency = state.currency;
  return {
    lines,
    subtotal: currency ? { amount: sold.reduce((n, l) => n + l.lineTotal.amount, 0), currency } : null,
    itemCount: lines.reduce((n, l) => n + l.quantity, 0),
    currency,
    version: state.version,
    expiresAt: state.expiresAt ? new Date(state.expiresAt).toISOString() : null,
  };
}

/** The line `sku` makes in a cart, at its current price; an unknown or unpublished SKU is a 404. */
export function lineOf(sku: string, v: VariantInfo | undefined): Omit<CartLine, 'quantity'> {
  if (!v) throw new AppError('NOT_FOUND', `No product is sold under SKU ${sku}.`);
  return {
    sku,
    addedAmount: v.price.amount,
    currency: v.price.currency,
    title: `${v.productTitle} — ${v.title}`,
    productSlug: v.productSlug,
    image: v.image,
  };
}
