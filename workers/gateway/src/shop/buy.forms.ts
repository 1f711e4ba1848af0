// The shopper's cart and checkout forms turned into the API's bodies and headers. Only what a form cannot say in the
// API's terms is decided here (a quantity field that is not a whole number, a required field left empty, the cart
// version the page was rendered from); every rule of the API itself (line and cart bounds, a valid email, countries
// we ship to, stock, prices) stays the API's, whose answer the page shows next to the form.

import {
  computeTotals,
  SHIPPING_COUNTRIES,
  SHIPPING_METHODS,
  type ShippingMethod,
} from '../../../../lib/checkout/pricing';
import type { Schemas } from '../../../../lib/client';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: Record<string, string> };

/** A quantity a cart form may send: 0 (remove) to 99; the API holds it to its own bounds (CART_MAX_LINE_QUANTITY). */
const QUANTITY = /^\d{1,2}$/;
/** A cart version as the page renders it (the cart's ETag without quotes). */
const VERSION = /^\d{1,12}$/;
/** An Idempotency-Key as the API takes it: 8–255 visible ASCII characters. */
const KEY = /^[\x21-\x7e]{8,255}$/;

/** The quantity field of a cart line's form, or why it cannot be sent. */
export function quantityOf(raw: string | null): Parsed<number> {
  const value = raw?.trim() ?? '';
  if (!QUANTITY.test(value))
    return { ok: false, problems: { quantity: 'Enter a whole number of items, 0 to remove.' } };
  return { ok: true, value: Number(value) };
}

/** The If-Match header of the cart version a form was rendered from (absent or malformed: none, the API decides). */
export function ifMatchOf(form: URLSearchParams): string | undefined {
  const v = form.get('version')?.trim() ?? '';
  return VERSION.test(v) ? `"v${v}"` : undefined;
}

/** The checkout attempt's Idempotency-Key, as the page rendered it. */
export function keyOf(form: URLSearchParams): string | undefined {
  const key = form.get('key') ?? '';
  return KEY.test(key) ? key : undefined;
}

/** The lines a cart page showed, `SKU:quantity` comma separated (a stale cart's page says what changed since). */
export const seenOf = (cart: Schemas['Cart']) => cart.lines.map((l) => `${l.sku}:${l.quantity}`).join(',');

/** What changed in a cart since the page that showed `seen`: one sentence per line added, removed or changed. */
export function changesSince(seen: string | null, cart: Schemas['Cart']): string[] {
  const before = new Map<string, number>();
  for (const part of (seen ?? '').split(',')) {
    const at = part.lastIndexOf(':');
    if (at > 0) before.set(part.slice(0, at), Number(part.slice(at + 1)));
  }
  const out: string[] = [];
  for (const l of cart.lines) {
    const was = before.get(l.sku);
    if (was === undefined) out.push(`${l.title} was added (${l.quantity}).`);
    else if (was !== l.quantity) out.push(`${l.title}: the quantity is now ${l.quantity} (was ${was}).`);
    before.delete(l.sku);
  }
  for (const sku of before.keys()) out.push(`${sku} was removed.`);
  return out;
}

/** The checkout form's fields, named as the page names them. */
export const ADDRESS_FIELDS = ['name', 'line1', 'line2', 'city', 'region', 'postalCode', 'country', 'phone'] as const;
const REQUIRED = ['email', 'name', 'line1', 'city', 'postalCode', 'country', 'paymentMethod'] as const;
const LABELS: Record<(typeof REQUIRED)[number], string> = {
  email: 'Enter your email: the receipt goes there.',
  name: 'Enter the name to ship to.',
  line1: 'Enter the street address.',
  city: 'Enter the city.',
  postalCode: 'Enter the postal code.',
  country: 'Choose a country we ship to.',
  paymentMethod: 'Choose how to pay.',
};

export interface CheckoutForm {
  body: Schemas['CheckoutRequest'];
  key: string;
  ifMatch?: string;
}

/** A country we do not ship to, or a shipping method we do not have, as the form's problems (none: {}). */
export function shippingProblems(form: URLSearchParams): Record<string, string> {
  const problems: Record<string, string> = {};
  const country = form.get('country')?.trim() ?? '';
  if (country && !(SHIPPING_COUNTRIES as readonly string[]).includes(country)) problems.country = LABELS.country;
  const method = form.get('shippingMethod')?.trim() || 'standard';
  if (!(SHIPPING_METHODS as readonly string[]).includes(method))
    problems.shippingMethod = 'Choose standard or express shipping.';
  return problems;
}

/**
 * The checkout form: email, the address, the shipping method, the payment method (a local test card, or the id
 * Stripe.js made from the Payment Element), the attempt's key, the cart version and the total the page showed
 * (`expectedTotal`: a total the shopper did not see, a new country's tax for one, is refused by the API with 409
 * PRICE_CHANGED and shown). Empty required fields are refused here, nothing sent.
 */
export function checkoutFormOf(form: URLSearchParams): Parsed<CheckoutForm> {
  const text = (name: string) => form.get(name)?.trim() ?? '';
  const problems: Record<string, string> = {};
  for (const name of REQUIRED) if (!text(name)) problems[name] = LABELS[name];
  Object.assign(problems, shippingProblems(form));
  const method = text('shippingMethod') || 'standard';
  const key = keyOf(form);
  if (!key) problems.key = 'This form has no checkout key: reload the page and send it again.';
  const expected = text('expectedTotal');
  const currency = text('currency');
  if (Object.keys(problems).length || !key) return { ok: false, problems };
  const address: Record<string, string> = {};
  for (const name of ADDRESS_FIELDS) if (text(name)) address[name] = text(name);
  const body: Schemas['CheckoutRequest'] = {
    email: text('email'),
    shippingAddress: address as unknown as Schemas['ShippingAddress'],
    shippingMethod: method as ShippingMethod,
    paymentMethod: text('paymentMethod'),
  };
  if (/^\d{1,12}$/.test(expected) && /^[A-Z]{3}$/.test(currency))
    body.expectedTotal = { amount: Number(expected), currency };
  return { ok: true, value: { body, key, ifMatch: ifMatchOf(form) } };
}

/**
 * The totals a cart costs shipped to `country` by `method`, computed by the same function and tables as the
 * checkout (lib/checkout/pricing.ts) from the prices the cart shows. The page shows them and sends the total as
 * `expectedTotal`, so the API charges exactly this or refuses.
 */
export function quoteOf(cart: Schemas['Cart'], country: string, method: ShippingMethod) {
  const currency = cart.currency ?? cart.subtotal?.currency ?? 'USD';
  const lines = cart.lines
    .filter((l) => l.available)
    .map((l) => ({ unitAmount: l.unitPrice.amount, quantity: l.quantity }));
  return computeTotals(lines, currency, country, method);
}
export type Quote = ReturnType<typeof quoteOf>;
