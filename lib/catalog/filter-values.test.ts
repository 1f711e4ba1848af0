// lib/catalog/filter-values.ts: a filter parameter's values, split at commas (`\,` a comma within one), normalized
// as migration 0014's facet_norm() normalizes stored brands and options, and written back so they read the same.
import { describe, expect, it } from 'vitest';
import {
  decodeFilterValue,
  encodeFilterValue,
  normalizeFilterList,
  normalizeFilterValue,
  splitFilterValues,
} from './filter-values';

describe('filter values', () => {
  it('split at commas, an escaped comma or backslash being part of the value', () => {
    expect(splitFilterValues('a,b')).toEqual(['a', 'b']);
    expect(splitFilterValues('smith\\, jones,b')).toEqual(['smith, jones', 'b']);
    expect(splitFilterValues('a\\\\,b')).toEqual(['a\\', 'b']);
    expect(splitFilterValues('a\\b\\')).toEqual(['a\\b\\']);
    expect(splitFilterValues('')).toEqual(['']);
  });

  it('read back what they write, whatever the value holds', () => {
    const values = ['smith, jones & co', 'a\\', '\\,', ',', 'plain', 'x\\y'];
    expect(splitFilterValues(values.map(encodeFilterValue).join(','))).toEqual(values);
    for (const v of values) expect(decodeFilterValue(encodeFilterValue(v))).toBe(v);
    expect(encodeFilterValue('plain value')).toBe('plain value');
  });

  it('normalize: trimmed, every run of whitespace one space, lower case (full Unicode mapping)', () => {
    expect(normalizeFilterValue('  Big \t\n  Sky\u00a0\u00a0Co\u3000')).toBe('big sky co');
    expect(normalizeFilterValue('ÉLAN İ ΣΑΣ')).toBe('élan i̇ σας');
    // Each value as a parameter carries it, so that normalizing again changes nothing.
    const once = normalizeFilterList(['B,a', ' A ', 'smith\\,  Jones']);
    expect(once).toEqual(['a', 'b', 'smith\\, jones']);
    expect(normalizeFilterList(once)).toEqual(once);
  });
});
