// Search relevance (issue 16): a product's place in `sort=relevance` is one integer key, compared descending then
// by id: its match tier for the query (title, brand, description only: the field weights of `products.search`,
// A, B and C) times 2^31, plus its static rank (`product_ranks.rank`: in stock at 2^30, plus units sold). So the
// order is title over brand over description, then in stock first, then popularity, and the key fits a keyset
// cursor exactly (below 2^34, a safe integer).
import { type SQL, sql } from 'drizzle-orm';

export type RankTier = 1 | 2 | 3;

/** The weight of a tier in the key: above any static rank (an int4 of at most 2^31 - 1). */
export const TIER_UNIT = 2 ** 31;
/** The static rank's in-stock bit, as the triggers of migration 0012 set it; units sold fill the bits below. */
export const IN_STOCK = 2 ** 30;

/**
 * The tiers, best first, each with the conditions that a match of `q` falls in it: the query matches the title alone
 * (weight A); else the title and brand (A and B); else the whole document (with the description, C), but not the
 * title and brand. A match of the title (or the title and brand) is a match of the whole document unless the query
 * negates a word (`-word`: the title may lack it and the description hold it), so only then is `search @@ q` said
 * again in the upper tiers: said always, Postgres takes the two conditions as independent and counts a common
 * word's title matches as its square (`wireless`: 857 expected, 30,351 found), and then reads all of them through
 * the bitmap instead of walking the rank order and stopping after a page.
 */
export const RANK_TIERS: { tier: RankTier; match: (search: SQL, tsq: SQL, negates: boolean) => SQL[] }[] = [
  { tier: 3, match: (v, q, neg) => [sql`ts_filter(${v}, '{a}') @@ ${q}`, ...whole(v, q, neg)] },
  {
    tier: 2,
    match: (v, q, neg) => [
      sql`ts_filter(${v}, '{a,b}') @@ ${q}`,
      sql`not (ts_filter(${v}, '{a}') @@ ${q})`,
      ...whole(v, q, neg),
    ],
  },
  { tier: 1, match: (v, q) => [sql`${v} @@ ${q}`, sql`not (ts_filter(${v}, '{a,b}') @@ ${q})`] },
];
const whole = (v: SQL, q: SQL, negates: boolean) => (negates ? [sql`${v} @@ ${q}`] : []);

/** Whether a websearch query negates a word (`-word`), so that a title match need not be a document match. */
export const negatesWord = (q: string): boolean => q.includes('-');

/** Whether a query has more than one word (`t-shirt` has two): Postgres cannot tell how often its words meet. */
export const severalWords = (q: string): boolean => q.split(/[^\p{L}\p{N}]+/u).filter(Boolean).length > 1;

/**
 * Above this many matches in a tier, a query of several words walks the rank order; at most this many, it reads its
 * matches through the GIN bitmap and sorts them. A walk stops after a page, which among more than BITMAP_MAX matches
 * of 1,000,000 products spread over the ranks is about 25 × 1,000,000 / 5,000 rows; matches that all rank low are
 * not bounded yet (docs/catalog.md, "Known unbounded cases").
 */
export const BITMAP_MAX = 5000;

/**
 * Before counting, a query of several words walks this many ranks per row of its page (1,000 for a page of 24):
 * a match in one in 40 of them fills the page there, at about a millisecond, without reading every match's GIN entry.
 */
export const WALK_FIRST = 40;

export const relevanceKey = (tier: RankTier, rank: number): number => tier * TIER_UNIT + rank;

/** A key back into its tier and static rank; null for a number that is no key (a forged cursor). */
export function tierOf(key: number): { tier: RankTier; rank: number } | null {
  if (!Number.isSafeInteger(key) || key < TIER_UNIT) return null;
  const tier = Math.floor(key / TIER_UNIT);
  if (tier > 3) return null;
  return { tier: tier as RankTier, rank: key - tier * TIER_UNIT };
}
