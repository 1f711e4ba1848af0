// The drill's calls to the stock check (object-check.ts): at most 200 SKUs a call, and never a `skus` list longer
// than the query allows (4000 characters), every SKU asked exactly once, in order.
import { describe, expect, it } from 'vitest';
import { OBJECT_PAGE, pagesOf } from './object-check';

describe('pagesOf', () => {
  it('cuts at 200 SKUs a call', () => {
    const skus = Array.from({ length: 450 }, (_, i) => `S-${i}`);
    const pages = pagesOf(skus);
    expect(pages.map((p) => p.length)).toEqual([OBJECT_PAGE, OBJECT_PAGE, 50]);
    expect(pages.flat()).toEqual(skus);
  });

  it('cuts long SKUs by the length of the list, never above 4000 characters', () => {
    const skus = Array.from({ length: 300 }, (_, i) => `${'X'.repeat(60)}-${String(i).padStart(3, '0')}`);
    const pages = pagesOf(skus);
    for (const p of pages) expect(p.join(',').length).toBeLessThanOrEqual(4000);
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.flat()).toEqual(skus);
    expect(pagesOf([])).toEqual([]);
  });
});
