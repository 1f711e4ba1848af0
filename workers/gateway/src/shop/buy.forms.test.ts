// The cart and checkout forms as the API receives them: quantities, the cart version, the attempt's key, required
// fields refused before anything is sent, what a stale cart's page says changed, and the totals the page shows
// (the checkout's own tables).
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../../../lib/client';
import { changesSince, checkoutFormOf, ifMatchOf, quantityOf, quoteOf, seenOf, shippingProblems } from './buy.forms';

const usd = (amount: number) => ({ amount, currency: 'USD' });
const line = (sku: string, quantity: number, amount = 2500): Schemas['Cart']['lines'][number] => ({
  sku,
  productSlug: sku.toLowerCase(),
  title: `Shirt — ${sku}`,
  image: null,
  quantity,
  unitPrice: usd(amount),
  lineTotal: usd(amount * quantity),
  priceChanged: false,
  available: true,
});
const cart = (lines: Schemas['Cart']['lines']): Schemas['Cart'] => ({
  lines,
  subtotal: usd(lines.reduce((n, l) => n + l.lineTotal.amount, 0)) as Schemas['Cart']['subtotal'],
  itemCount: lines.reduce((n, l) => n + l.quantity, 0),
  currency: 'USD',
  version: 3,
  expiresAt: null,
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields);
const filled = {
  email: 'ada@example.com',
  name: 'Ada',
  line1: '1 Main St',
  city: 'Springfield',
  postalCode: '62701',
  country: 'US',
  shippingMethod: 'standard',
  paymentMethod: 'pm_card_visa',
  key: '0f8e4c4e-6a3b-4f57-9d1e-2a3f0c9b7d11',
  version: '3',
  expectedTotal: '5898',
  currency: 'USD',
};

describe('cart forms', () => {
  it('takes a whole quantity from 0 to 99 and refuses anything else', () => {
    expect(quantityOf('2')).toEqual({ ok: true, value: 2 });
    expect(quantityOf(' 0 ')).toEqual({ ok: true, value: 0 });
    for (const bad of ['', '-1', '1.5', '100', 'two', '1e1', null]) expect(quantityOf(bad).ok).toBe(false);
  });

  it('sends the version the page showed as If-Match, nothing for a malformed one', () => {
    expect(ifMatchOf(form({ version: '12' }))).toBe('"v12"');
    expect(ifMatchOf(form({ version: 'v12' }))).toBeUndefined();
    expect(ifMatchOf(form({}))).toBeUndefined();
  });

  it('says what changed in a stale cart: added, removed, quantity', () => {
    const before = cart([line('A', 1), line('B', 2)]);
    const now = cart([line('B', 3), line('C', 1)]);
    expect(changesSince(seenOf(before), now)).toEqual([
      'Shirt — B: the quantity is now 3 (was 2).',
      'Shirt — C was added (1).',
      'A was removed.',
    ]);
    expect(changesSince(seenOf(now), now)).toEqual([]);
  });
});

describe('checkout form', () => {
  it('makes the API body, the key and If-Match from a filled form', () => {
    const parsed = checkoutFormOf(form({ ...filled, line2: '', region: ' IL ' }));
    expect(parsed).toEqual({
      ok: true,
      value: {
        key: filled.key,
        ifMatch: '"v3"',
        body: {
          email: 'ada@example.com',
          shippingAddress: {
            name: 'Ada',
            line1: '1 Main St',
            city: 'Springfield',
            region: 'IL',
            postalCode: '62701',
            country: 'US',
          },
          shippingMethod: 'standard',
          paymentMethod: 'pm_card_visa',
          expectedTotal: { amount: 5898, currency: 'USD' },
        },
      },
    });
  });

  it('refuses empty required fields, a country we do not ship to, an unknown method and a missing key', () => {
    const parsed = checkoutFormOf(
      form({ ...filled, email: ' ', country: 'ZZ', shippingMethod: 'drone', key: 'short' }),
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.problems).sort()).toEqual(['country', 'email', 'key', 'shippingMethod']);
  });

  it('refuses a quote ("update totals") for a country we do not ship to or an unknown method, alone', () => {
    expect(shippingProblems(form({ country: 'ZZ' }))).toEqual({ country: 'Choose a country we ship to.' });
    expect(shippingProblems(form({ country: 'US', shippingMethod: 'drone' }))).toHaveProperty('shippingMethod');
    expect(shippingProblems(form({ country: 'GB', shippingMethod: 'express' }))).toEqual({});
  });

  it('quotes the cart with the checkout tables: US tax and shipping, free standard shipping from 100.00', () => {
    const small = cart([line('A', 2)]); // 50.00
    expect(quoteOf(small, 'US', 'standard')).toMatchObject({ subtotal: 5000, shipping: 500, tax: 399, total: 5899 });
    expect(quoteOf(small, 'GB', 'express')).toMatchObject({ shipping: 3500, tax: 1700, total: 10200 });
    expect(quoteOf(cart([line('A', 4)]), 'US', 'standard')).toMatchObject({ shipping: 0 });
    // A line no longer sold is not charged.
    const gone = cart([line('A', 2), { ...line('B', 1), available: false }]);
    expect(quoteOf(gone, 'US', 'standard').subtotal).toBe(5000);
  });
});
