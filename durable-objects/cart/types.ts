// What the cart worker and CartDO exchange over the object's RPC: lines, the cart's state, the limits the worker
// applies, a write (CartOp) and its result. Expected refusals are `reason`s the worker maps to its errors.

export interface CartLine {
  sku: string;
  quantity: number;
  /** Unit price when the line was added (minor units). */
  addedAmount: number;
  currency: string;
  title: string;
  productSlug: string;
  image: string | null;
}

export interface CartState {
  version: number;
  currency: string | null;
  lines: CartLine[];
  expiresAt: number | null;
}

export interface CartLimits {
  maxLineQuantity: number;
  maxLines: number;
  maxItems: number;
  ttlSeconds: number;
}

export type CartFailure =
  | { reason: 'STALE_VERSION'; version: number }
  | { reason: 'NOT_IN_CART'; sku: string }
  | { reason: 'CURRENCY_MISMATCH'; cartCurrency: string }
  | { reason: 'LIMIT'; message: string };
export type CartResult = { ok: true; cart: CartState } | ({ ok: false } & CartFailure);

export type CartOp =
  | { kind: 'add'; line: Omit<CartLine, 'quantity'>; quantity: number }
  | { kind: 'set'; sku: string; quantity: number; line?: Omit<CartLine, 'quantity'> }
  | { kind: 'remove'; sku: string };

/** Why a guest line (or part of it) did not fit into the customer's cart in a login merge. */
export type MergeLeftReason = 'LINE_QUANTITY' | 'MAX_LINES' | 'MAX_ITEMS' | 'CURRENCY';

/** What a merge's absorb did with the lines it was handed: what it took, and what stays in the guest cart. */
export interface MergeOutcome {
  taken: { sku: string; quantity: number }[];
  left: { sku: string; quantity: number; reason: MergeLeftReason }[];
}
