// What the cart worker answers over its service binding to checkouts (CheckoutSaga's cart port).

/** A cart as a checkout orders it: lines and version as they are now (prices are the checkout's job). */
export interface CartSnapshot {
  version: number;
  currency: string | null;
  lines: { sku: string; quantity: number; title: string }[];
}

/** A line an accepted order took out of the cart. */
export interface OrderedLine {
  sku: string;
  quantity: number;
}
