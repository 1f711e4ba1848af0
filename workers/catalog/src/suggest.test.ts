// Autocomplete's input: the words kept and the prefix completed (./suggest.ts), and the query schema's refusals.
import { describe, expect, it } from 'vitest';
import { SuggestQuery } from '../../../lib/catalog/schemas';
import { splitPrefix } from './suggest';

describe('autocomplete input', () => {
  it('completes the last word and keeps the ones before it', () => {
    expect(splitPrefix('s')).toEqual({ head: '', prefix: 's' });
    expect(splitPrefix('linen sh')).toEqual({ head: 'linen ', prefix: 'sh' });
    expect(splitPrefix('alder & fi')).toEqual({ head: 'alder & ', prefix: 'fi' });
    expect(splitPrefix("men's")).toEqual({ head: '', prefix: 'mens' });
    expect(splitPrefix('t-sh')).toEqual({ head: '', prefix: 't-sh' });
    expect(splitPrefix('alder &')).toEqual({ head: 'alder ', prefix: '' }); // nothing to complete
    expect(splitPrefix('-x')).toEqual({ head: '', prefix: 'x' });
  });

  it('normalizes q (case, spaces) and refuses an empty, long or odd one and unknown parameters', () => {
    expect(SuggestQuery.parse({ q: '  Linen   SH ' })).toEqual({ q: 'linen sh' });
    expect(SuggestQuery.parse({ q: 'clé' })).toEqual({ q: 'clé' });
    for (const bad of [
      {},
      { q: '' },
      { q: '   ' },
      { q: 'x'.repeat(65) },
      { q: 'sh%' },
      { q: 'a_b' },
      { q: 'a\u0000' },
    ])
      expect(SuggestQuery.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    expect(SuggestQuery.safeParse({ q: 'sh', limit: 3 }).success).toBe(false);
  });
});
