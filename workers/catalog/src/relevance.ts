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
 * The tiers, best first, each with the condition (beside `search @@ q`) that a match falls in it: the query matches
 * the title alone (weight A); else the title and brand (A and B); else only with the description (C).
 */
export const RANK_TIERS: { tier: RankTier; match: (search: SQL, tsq: SQL) => SQL[] }[] = [
  { tier: 3, match: (v, q) => [sql`ts_filter(${v}, '{a}') @@ ${q}`] },
  { tier: 2, match: (v, q) => [sql`ts_filter(${v}, '{a,b}') @@ ${q}`, sql`not (ts_filter(${v}, '{a}') @@ ${q})`] },
  { tier: 1, match: (v, q) => [sql`not (ts_filter(${v}, '{a,b}') @@ ${q})`] },
];

export const relevanceKey = (tier: RankTier, rank: number): number => tier * TIER_UNIT + rank;

/** A key back into its tier and static rank; null for a number that is no key (a forged cursor). */
export function tierOf(key: number): { tier: RankTier; rank: number } | null {
  if (!Number.isSafeInteger(key) || key < TIER_UNIT) return null;
  const tier = Math.floor(key / TIER_UNIT);
  if (tier > 3) return null;
  return { tier: tier as RankTier, rank: key - tier * TIER_UNIT };
}
