// What the cart worker answers over its service binding to checkouts (CheckoutSaga's cart port).

/**
 * A cart as a checkout orders it: lines and version as they are now. `unitAmount` is the price the shopper was
 * shown for the line (when it was added, or as confirmed by a PRICE_CHANGED answer); the checkout prices the
 * cart itself and refuses to charge anything else.
 */
export interface CartSnapshot {
  version: number;
  currency: string | null;
  lines: { sku: string; quantity: number; title: string; unitAmount: number; currency: string }[];
}

/** A price the shopper has now been shown for a line (a checkout answered PRICE_CHANGED with it). */
export interface ShownPrice {
  sku: string;
  unitAmount: number;
}

/** A line an accepted order took out of the cart. */
export interface OrderedLine {
  sku: string;
  quantity: number;
}

/**
 * What a login merge did: `merged` items moved into the customer's cart; `kept` lines (or parts of lines) did not
 * fit and stay in the guest cart, each with why: LINE_QUANTITY (over the per-SKU bound), MAX_LINES (no room for
 * another line), MAX_ITEMS (over the items bound), CURRENCY (the customer's cart is in another currency).
 */
export interface CartMergeResult {
  merged: number;
  kept: { sku: string; quantity: number; reason: 'LINE_QUANTITY' | 'MAX_LINES' | 'MAX_ITEMS' | 'CURRENCY' }[];
}
