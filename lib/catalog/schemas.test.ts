// The product list query's `q` (schemas.ts): a search that only leaves words out is refused (400), since every
// match of it is nearly every product and no index finds that; anything with a word to find is taken.
import { describe, expect, it } from 'vitest';
import { onlyNegates, ProductListQuery } from './schemas';

describe('a search that only leaves words out', () => {
  it('is refused, naming q', () => {
    for (const q of ['-zzz', '-a -b', '-"linen dress"', '-a or -b', '  -Linen  ']) {
      expect(onlyNegates(q.trim().toLowerCase()), q).toBe(true);
      const parsed = ProductListQuery.safeParse({ q });
      expect(parsed.success, q).toBe(false);
      expect(parsed.error!.issues[0]!.path).toEqual(['q']);
      expect(parsed.error!.issues[0]!.message).toMatch(/at least one word/);
    }
  });

  it('is not any search with a word to find, hyphens and stop words included', () => {
    for (const q of ['linen -dress', 't-shirt', '"chef knife" -steel', 'a or -b', 'the', '-', '- -', 'x-', '"-a"']) {
      expect(onlyNegates(q), q).toBe(false);
      expect(ProductListQuery.safeParse({ q }).success, q).toBe(true);
    }
  });
});
