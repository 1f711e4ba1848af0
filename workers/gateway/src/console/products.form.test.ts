// The catalog forms as API bodies: variant rows (empty ones ignored), options, prices in minor units, stock
// changes with their reason; every problem named with its row and field.
import { describe, expect, it } from 'vitest';
import { parseNewProduct, parseOptions, parseProductPatch, parseStockChange, slugOf, valuesOf } from './products.form';

const product = {
  title: 'Harbor Linen Shirt',
  brand: 'Harbor',
  category: 'mens',
  currency: 'usd',
  status: 'published',
  description: 'Washed linen.',
  option1_name: 'Size',
  option1_values: 'S, M , ,L',
  option2_name: 'Colour',
  option2_values: 'Navy',
};

describe('the new-product form', () => {
  it('takes the filled variant rows, ignores the empty ones, and derives slug and titles', () => {
    const parsed = parseNewProduct({
      ...product,
      v1_sku: 'hls-s-navy',
      v1_opt1: 'S',
      v1_opt2: 'Navy',
      v1_price: '4500',
      v1_stock: '7',
      v2_sku: '',
      v2_price: '',
      v3_sku: 'HLS-M-NAVY',
      v3_title: 'Medium navy',
      v3_opt1: 'M',
      v3_opt2: 'Navy',
      v3_price: '4200',
    });
    expect(parsed).toEqual({
      ok: true,
      body: {
        slug: 'harbor-linen-shirt',
        title: 'Harbor Linen Shirt',
        description: 'Washed linen.',
        brand: 'Harbor',
        category: 'mens',
        currency: 'USD',
        status: 'published',
        options: [
          { name: 'Size', values: ['S', 'M', 'L'] },
          { name: 'Colour', values: ['Navy'] },
        ],
        variants: [
          {
            sku: 'HLS-S-NAVY',
            title: 'S / Navy',
            options: { Size: 'S', Colour: 'Navy' },
            priceAmount: 4500,
            initialStock: 7,
          },
          {
            sku: 'HLS-M-NAVY',
            title: 'Medium navy',
            options: { Size: 'M', Colour: 'Navy' },
            priceAmount: 4200,
            initialStock: 0,
          },
        ],
      },
    });
  });

  it('refuses a price that is not whole minor units, naming the row', () => {
    const parsed = parseNewProduct({ title: 'T', v1_sku: 'A', v1_price: '45.00', v2_sku: 'B', v2_price: '-1' });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([
      'Variant 1 price: a whole number of minor units (4500 for 45.00), not "45.00"',
      'Variant 2 price: between 0 and 100000000',
    ]);
  });

  it('names a row without its SKU, price or option value, and a bad stock figure', () => {
    const parsed = parseNewProduct({
      title: 'T',
      option1_name: 'Size',
      option1_values: 'S',
      v2_title: 'only a title',
      v4_sku: 'X',
      v4_price: '1',
      v4_opt1: 'S',
      v4_stock: 'lots',
    });
    expect(parsed).toEqual({
      ok: false,
      errors: [
        'Variant 2: give its SKU',
        'Variant 2: give its price',
        'Variant 2: choose its Size',
        'Variant 4 stock: a whole number, not "lots"',
      ],
    });
  });

  it('asks for a variant and a title when there is none, and for option names and values in pairs', () => {
    expect(parseNewProduct({ v1_sku: '', v1_price: '' })).toEqual({
      ok: false,
      errors: ['Give at least one variant: a row with its SKU and price', 'Give the title'],
    });
    expect(parseOptions({ option1_values: 'S', option2_name: 'Colour' })).toEqual({
      ok: false,
      errors: [
        'Option 1: give its name (such as Size) for the values',
        'Option 2 (Colour): give its values, comma-separated',
      ],
    });
  });

  it('keeps what was typed (trimmed, without the CSRF token) to show the form again', () => {
    const form = new URLSearchParams({ csrf: 'secret', title: '  Shirt ', v1_price: '45.00' });
    expect(valuesOf(form)).toEqual({ title: 'Shirt', v1_price: '45.00' });
    expect(slugOf('Crème brûlée — Set, 2 pcs!')).toBe('creme-brulee-set-2-pcs');
  });
});

describe('the edit and stock forms', () => {
  it("sends every field of the product's own form, options whole", () => {
    expect(parseProductPatch({ ...product, slug: 'harbor' })).toEqual({
      ok: true,
      body: {
        slug: 'harbor',
        title: 'Harbor Linen Shirt',
        description: 'Washed linen.',
        brand: 'Harbor',
        category: 'mens',
        options: [
          { name: 'Size', values: ['S', 'M', 'L'] },
          { name: 'Colour', values: ['Navy'] },
        ],
      },
    });
  });

  it('sets or adjusts stock with a reason, and refuses a change without one, a zero or a fraction', () => {
    expect(parseStockChange({ sku: 'hls-s', kind: 'set', quantity: '12', reason: 'count' })).toEqual({
      ok: true,
      change: { sku: 'HLS-S', kind: 'set', body: { onHand: 12, reason: 'count' } },
    });
    expect(parseStockChange({ sku: 'A', kind: 'adjust', quantity: '+5', reason: 'received' })).toMatchObject({
      change: { kind: 'adjust', body: { delta: 5 } },
    });
    expect(parseStockChange({ sku: 'A', kind: 'adjust', quantity: '-2', reason: 'damaged' })).toMatchObject({
      change: { body: { delta: -2 } },
    });
    expect(parseStockChange({ sku: 'A', kind: 'set', quantity: '12' })).toEqual({
      ok: false,
      errors: ['Give the reason: it is kept in the stock ledger (such as "stock count")'],
    });
    expect(parseStockChange({ sku: 'A', kind: 'adjust', quantity: '0', reason: 'r' })).toEqual({
      ok: false,
      errors: ['The change: not 0'],
    });
    expect(parseStockChange({ sku: 'A', kind: 'set', quantity: '-1', reason: 'r' })).toEqual({
      ok: false,
      errors: ['On hand: between 0 and 10000000'],
    });
    expect(parseStockChange({ sku: 'A', kind: 'other', quantity: '1.5', reason: 'r' })).toMatchObject({ ok: false });
  });

  it('takes the minus sign the hint shows (U+2212) for a delta, and refuses two signs', () => {
    const adjust = (quantity: string) => parseStockChange({ sku: 'A', kind: 'adjust', quantity, reason: 'r' });
    expect(adjust('\u22125')).toMatchObject({ ok: true, change: { body: { delta: -5 } } });
    expect(adjust(' +7 ')).toMatchObject({ ok: true, change: { body: { delta: 7 } } });
    for (const twice of ['+-5', '-+5', '--5', '++5', '\u2212-5', '+\u22125'])
      expect(adjust(twice), twice).toMatchObject({ ok: false });
    // A count on hand has no sign at all.
    expect(parseStockChange({ sku: 'A', kind: 'set', quantity: '+5', reason: 'r' })).toMatchObject({ ok: false });
  });
});
