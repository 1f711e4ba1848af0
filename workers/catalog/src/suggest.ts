// Autocomplete (issue 16): the last word of what the shopper typed is completed from the lexicon of title and brand
// words (`search_words`, migration 0011, kept by the write path), the words most products brought first; the words
// before it are kept as typed. One range scan of `search_words_prefix_idx` (text_pattern_ops) and a top-8 sort.
import { asc, desc, sql } from 'drizzle-orm';
import { searchWords } from '../../../db/schema';
import { SUGGEST_LIMIT } from '../../../lib/catalog/schemas';
import type { Reader } from './products.repo';

/** `q` (normalized: trimmed, single spaces, lower case) as the words kept and the prefix to complete. */
export function splitPrefix(q: string): { head: string; prefix: string } {
  const at = q.lastIndexOf(' ');
  // The lexicon's words are `simple` tokens: letters, digits and inner hyphens, no apostrophes, dots or ampersands.
  const prefix = q
    .slice(at + 1)
    .replace(/[^\p{L}\p{N}-]/gu, '')
    .replace(/^-+/, '');
  return { head: at < 0 ? '' : q.slice(0, at + 1), prefix };
}

export async function suggest(db: Reader, q: string): Promise<{ text: string; products: number }[]> {
  const { head, prefix } = splitPrefix(q);
  if (!prefix) return [];
  const rows = await db
    .select({ word: searchWords.word, ndoc: searchWords.ndoc })
    .from(searchWords)
    .where(sql`${searchWords.word} like ${`${prefix.replace(/[\\%_]/g, '\\$&')}%`}`)
    .orderBy(desc(searchWords.ndoc), asc(searchWords.word))
    .limit(SUGGEST_LIMIT);
  return rows.map((r) => ({ text: head + r.word, products: r.ndoc }));
}
