// Typo tolerance, the part that needs no database: which searches are corrected, and the corrected query from the
// lexicon's answers (products.repo.ts looks each word up in `search_words`: the 20 nearest by trigram distance,
// then the one within edit distance 2 (1 for words of up to 4 letters) found in most products).

/** At most this many words are looked up. */
export const MAX_TYPO_WORDS = 5;

/**
 * The lower-cased words of a plain query (letters and digits, 2 to 32 of them each, at most MAX_TYPO_WORDS), or
 * null for anything else: web-search syntax (quotes, `-word`, `or`) is taken as the shopper wrote it.
 */
export function typoCandidates(q: string): string[] | null {
  const words = q.toLowerCase().trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.length > MAX_TYPO_WORDS) return null;
  if (!words.every((w) => /^[\p{Ll}\p{N}]{2,32}$/u.test(w)) || words.includes('or')) return null;
  return words;
}

/** The corrected query: each unknown word replaced by its fix; null when no word changes. */
export function correctedFrom(
  words: string[],
  rows: { word: string; known: boolean; fix: string | null }[],
): string | null {
  let changed = false;
  const out = words.map((w, i) => {
    const r = rows[i];
    if (!r || r.known || !r.fix || r.fix === w) return w;
    changed = true;
    return r.fix;
  });
  return changed ? out.join(' ') : null;
}
