import { describe, expect, it } from 'vitest';
import { correctedFrom, typoCandidates } from './typos';

describe('typo tolerance', () => {
  it('looks up the words of a plain query only', () => {
    expect(typoCandidates('Linen  Shrit ')).toEqual(['linen', 'shrit']);
    expect(typoCandidates('café 42')).toEqual(['café', '42']);
    for (const q of [
      '"chef knife"',
      'linen -dress',
      'shirt or dress',
      'a',
      'x'.repeat(33),
      'a b c d e f',
      '  ',
      'it’s',
    ])
      expect(typoCandidates(q), q).toBeNull();
  });

  it('replaces the unknown words that have a fix, and says null when nothing changes', () => {
    const words = ['linen', 'shrit'];
    expect(
      correctedFrom(words, [
        { word: 'linen', known: true, fix: 'linen' },
        { word: 'shrit', known: false, fix: 'shirt' },
      ]),
    ).toBe('linen shirt');
    // A known word is never replaced, even if a commoner neighbour exists.
    expect(correctedFrom(['lamb'], [{ word: 'lamb', known: true, fix: 'lamp' }])).toBeNull();
    expect(correctedFrom(['zzzq'], [{ word: 'zzzq', known: false, fix: null }])).toBeNull();
    expect(correctedFrom(['a'], [])).toBeNull();
  });
});
