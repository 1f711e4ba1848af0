// The product page's pure parts: options and the variant a query selects, the availability line, the search
// highlight (escaped), and the canonical page path the cache keys on.
import { describe, expect, it } from 'vitest';
import { canonicalPath } from './cached';
import { highlight, ProductCard } from './components';
import { availabilityOf, optionsOf, selectVariant } from './variants';

const money = { amount: 1000, currency: 'USD' };
const variants = [
  { sku: 'A-S-RED', title: 'S / Red', options: { size: 'S', colour: 'Red' }, price: money },
  { sku: 'A-M-RED', title: 'M / Red', options: { size: 'M', colour: 'Red' }, price: money },
  { sku: 'A-M-BLUE', title: 'M / Blue', options: { size: 'M', colour: 'Blue' }, price: money },
];

describe('variant picker', () => {
  it('lists options with their values in the variants’ order', () => {
    expect(optionsOf(variants)).toEqual([
      { name: 'size', values: ['S', 'M'] },
      { name: 'colour', values: ['Red', 'Blue'] },
    ]);
  });

  it('selects by options, by SKU, or the first; a missing combination is none', () => {
    expect(selectVariant(variants, {})).toMatchObject({ kind: 'variant', variant: { sku: 'A-S-RED' } });
    expect(selectVariant(variants, { size: 'M', colour: 'Blue' })).toMatchObject({ variant: { sku: 'A-M-BLUE' } });
    expect(selectVariant(variants, { colour: 'Blue' })).toMatchObject({ variant: { sku: 'A-M-BLUE' } });
    expect(selectVariant(variants, { sku: 'a-m-red' })).toMatchObject({ variant: { sku: 'A-M-RED' } });
    expect(selectVariant(variants, { size: 'S', colour: 'Blue' })).toEqual({
      kind: 'none',
      chosen: { size: 'S', colour: 'Blue' },
    });
  });

  it('refuses what is not an option, a value the product lacks, another product’s SKU, and both ways at once', () => {
    expect(selectVariant(variants, { fit: 'slim' })).toMatchObject({ kind: 'invalid' });
    expect(selectVariant(variants, { size: 'XXL' })).toMatchObject({ kind: 'invalid' });
    expect(selectVariant(variants, { sku: 'B-1' })).toMatchObject({ kind: 'invalid' });
    expect(selectVariant(variants, { sku: 'A-S-RED', size: 'S' })).toMatchObject({ kind: 'invalid' });
    expect(selectVariant([], {})).toMatchObject({ kind: 'invalid' });
  });
});

describe('availability', () => {
  it('says in stock, only n left, sold out, or unknown, with the per-customer cap', () => {
    expect(availabilityOf({ available: 40, maxPerCustomer: null })).toEqual({ kind: 'in', text: 'In stock', max: 40 });
    expect(availabilityOf({ available: 3, maxPerCustomer: null })).toEqual({
      kind: 'low',
      text: 'Only 3 left',
      max: 3,
    });
    expect(availabilityOf({ available: 0, maxPerCustomer: null })).toMatchObject({ kind: 'out', text: 'Sold out' });
    expect(availabilityOf('not-sold')).toMatchObject({ kind: 'out' });
    expect(availabilityOf('unknown').kind).toBe('unknown');
    expect(availabilityOf({ available: 40, maxPerCustomer: 2 })).toEqual({
      kind: 'in',
      text: 'In stock (at most 2 per customer)',
      max: 2,
    });
  });
});

describe('search highlight', () => {
  const html = (parts: unknown) =>
    (Array.isArray(parts) ? parts : [parts]).map((p) => (typeof p === 'string' ? p : String(p))).join('');

  it('marks each word of the query at the start of a word, case-insensitively, and nothing excluded', () => {
    expect(html(highlight('Linen Shirt, relaxed linen', 'linen shirts -relaxed'))).toBe(
      '<mark>Linen</mark> Shirt, relaxed <mark>linen</mark>',
    );
    expect(highlight('Wool coat', undefined)).toBe('Wool coat');
    expect(highlight('Wool coat', '"" -x or')).toBe('Wool coat');
  });

  it('is escaped when rendered: a title or query holding markup stays text, and the query is no pattern', async () => {
    const product = {
      id: '00000000-0000-4000-8000-000000000000',
      slug: 'x',
      title: '<b>bold</b> a*b',
      brand: 'B',
      category: { slug: 'c', name: 'C', path: 'c' },
      price: money,
      image: null,
      createdAt: '2026-11-30T00:00:00.000Z',
    };
    const out = String(await ProductCard({ product, index: 0, q: '<b> a.*' }).toString());
    expect(out).not.toContain('<b>');
    expect(out).toContain(
      '&lt;<mark>b</mark>&gt;<mark>b</mark>old&lt;/<mark>b</mark>&gt; <mark>a</mark>*<mark>b</mark>',
    );
  });
});

describe('canonicalPath', () => {
  it('sorts parameters and leaves out empty ones', () => {
    expect(canonicalPath('/c/x', { sort: 'newest', cursor: undefined })).toBe('/c/x?sort=newest');
    expect(canonicalPath('/search', { q: 'a b', cursor: 'c', sort: '' })).toBe('/search?cursor=c&q=a+b');
    expect(canonicalPath('/', {})).toBe('/');
  });
});
