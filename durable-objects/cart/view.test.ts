// The cart as a shopper sees it, in plain Node: current prices, changes flagged, lines no longer sold kept but out
// of the subtotal, and the 404 for a SKU the catalog does not sell.
import { describe, expect, it } from 'vitest';
import type { VariantInfo } from '../../lib/contracts/catalog';
import { AppError } from '../../lib/errors';
import type { CartState } from './types';
import { cartView, lineOf } from './view';

const variant = (sku: string, amount: number): VariantInfo => ({
  sku,
  title: 'M',
  productSlug: 'tee',
  productTitle: 'Tee',
  image: null,
  price: { amount, currency: 'USD' },
});
const line = (sku: string, quantity: number, addedAmount: number) => ({
  sku,
  quantity,
  addedAmount,
  currency: 'USD',
  title: 'Old title',
  productSlug: 'old',
  image: null,
});

describe('cartView', () => {
  const state: CartState = {
    version: 7,
    currency: 'USD',
    lines: [line('TEE-M', 2, 1000), line('TEE-L', 1, 1200), line('GONE-1', 3, 500)],
    expiresAt: Date.UTC(2026, 11, 1),
  };
  const view = cartView(
    state,
    new Map([
      ['TEE-M', variant('TEE-M', 1000)],
      ['TEE-L', variant('TEE-L', 1500)],
    ]),
  );

  it('prices lines at the catalog price and flags a change with the price it was added at', () => {
    expect(view.lines[0]).toMatchObject({
      unitPrice: { amount: 1000 },
      lineTotal: { amount: 2000 },
      priceChanged: false,
    });
    expect(view.lines[0]).not.toHaveProperty('previousUnitPrice');
    expect(view.lines[1]).toMatchObject({
      title: 'Tee — M',
      unitPrice: { amount: 1500 },
      priceChanged: true,
      previousUnitPrice: { amount: 1200, currency: 'USD' },
    });
  });

  it('keeps a line no longer sold at its added price, unavailable and out of the subtotal', () => {
    expect(view.lines[2]).toMatchObject({ title: 'Old title', available: false, priceChanged: false });
    expect(view.subtotal).toEqual({ amount: 2000 + 1500, currency: 'USD' });
    expect(view.itemCount).toBe(6);
    expect(view).toMatchObject({ version: 7, expiresAt: '2026-12-01T00:00:00.000Z' });
  });

  it('shows a line the catalog could not be asked about as it was stored, still available', () => {
    const shown = cartView(state, new Map([['TEE-M', variant('TEE-M', 1000)]]), new Set(['TEE-L']));
    expect(shown.lines[1]).toMatchObject({
      title: 'Old title',
      unitPrice: { amount: 1200 },
      available: true,
      priceChanged: false,
    });
    expect(shown.subtotal).toEqual({ amount: 2000 + 1200, currency: 'USD' });
  });

  it('answers an empty cart with no subtotal', () => {
    expect(cartView({ version: 0, currency: null, lines: [], expiresAt: null }, new Map())).toEqual({
      lines: [],
      subtotal: null,
      itemCount: 0,
      currency: null,
      version: 0,
      expiresAt: null,
    });
  });
});

describe('lineOf', () => {
  it('makes the line at the current price, and refuses a SKU not sold with a 404', () => {
    expect(lineOf('TEE-M', variant('TEE-M', 990))).toMatchObject({ sku: 'TEE-M', addedAmount: 990, currency: 'USD' });
    expect(() => lineOf('NOPE-1', undefined)).toThrow(AppError);
    expect(() => lineOf('NOPE-1', undefined)).toThrow(/No product is sold under SKU NOPE-1/);
  });
});
