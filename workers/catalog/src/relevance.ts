// Search relevance (issue 16): a product's place in `sort=relevance` is one integer key, compared descending then
// by id: its match tier for the query (the title word for word, the title by stems, the title and brand, the
// description: the field weights of `products.search`, A, B and C, and the title's own words) times 2^31, plus its
// static rank (`product_ranks.rank`: in stock at 2^30, plus units sold). So the order is title over brand over
// description, exact over stemmed in the title, then in stock first, then popularity, and the key fits a keyset
// cursor exactly (below 6 × 2^31, a safe integer).
import { type SQL, sql } from 'drizzle-orm';

/**
 * The tiers, best first: 5 the title word for word, 4 the title by stems, 2 title and brand, 1 the description.
 * There is no tier 3: it was the title tier before the exact tier split it, and a cursor made then (`tierOf`) is
 * refused (400) rather than read as tier 4, which would skip the exact matches below it.
 */
export type RankTier = 1 | 2 | 4 | 5;
/** The best tier: a title that has every word of the query as it was written. */
export const TOP_TIER: RankTier = 5;

/** What a tier's conditions are made of: the row's search vector and title, and the query, stemmed and exact. */
export interface TierTerms {
  /** `products.search` (English stems, weights A title, B brand, C description). */
  search: SQL;
  /** `products.title`. */
  title: SQL;
  /** The query as English stems (`websearch_to_tsquery('english', q)`). */
  q: SQL;
  /** The query's words as written (`exactQuery`). */
  exact: SQL;
  /** Whether the query negates a word (`negatesWord`). */
  negates: boolean;
}

/**
 * The `title_exact` text search configuration (migration 0021): `simple`'s lower-case words, not stemmed, with the
 * English stop words dropped as the `english` configuration drops them. So the words as written and the English stems
 * of a title or query cover the same words: `shirts for men` asks "shirts" and "men" of a title either way, and a
 * query of stop words only (`the`, `with`) is empty in both (it matches nothing, and Postgres expects nothing, rather
 * than walking the whole rank order for titles that have "with").
 */
const EXACT_CONFIG = sql.raw(`'title_exact'::regconfig`);

/** The title's own words, as `products_title_words_idx` (migration 0021) indexes them: the expression must be this one. */
export const titleWords = (title: SQL): SQL => sql`to_tsvector(${EXACT_CONFIG}, ${title})`;

/** The query's words as written, in the same configuration. */
export const exactQuery = (q: string): SQL => sql`websearch_to_tsquery(${EXACT_CONFIG}, ${q})`;

/** The weight of a tier in the key: above any static rank (an int4 of at most 2^31 - 1). */
export const TIER_UNIT = 2 ** 31;
/** The static rank's in-stock bit, as the triggers of migration 0012 set it; units sold fill the bits below. */
export const IN_STOCK = 2 ** 30;

/**
 * The tiers, best first, each with the conditions that a match of `q` falls in it: the query matches the title with
 * every word as written (`corduroys` finds "Twill Corduroys" here and "Corduroy Chinos" one tier down); else the title
 * by stems (weight A); else the title and brand (A and B); else the whole document (with the description, C), but not
 * the title and brand. Tiers 5 and 4 split the title match: a match as written is one by stems too (the same words,
 * see `EXACT_CONFIG`; with a negated word, `whole` below keeps only rows whose stems lack it), so each row of a title
 * match is in exactly one of them. A match of the title (or the title and brand) is a match of the whole document
 * unless the query negates a word (`-word`: the title may lack it and the description hold it), so only then is
 * `search @@ q` said again in the upper tiers: said always, Postgres takes the two conditions as independent and
 * counts a common word's title matches as their square (`wireless`: 857 expected, 30,351 found), and then reads all
 * of them through the bitmap instead of walking the rank order and stopping after a page.
 * Each tier also names its GIN condition (`hits`): a superset of its matches that one GIN index answers row for row
 * when given the query's indexable words only (`TierTerms` of products.repo.ts `looseTerms`). The relevance query
 * counts a tier's hits by it (products.repo.ts `tierBounded`), so that a count reads no row it does not count.
 */
export const RANK_TIERS: { tier: RankTier; match: (t: TierTerms) => SQL[]; hits: (t: TierTerms) => SQL }[] = [
  {
    tier: 5,
    match: (t) => [
      // Implied by the match as written (above), so it changes no answer: it is here, first, because it is cheaper
      // per row than parsing the title again, and a walk evaluates the conditions in order (measured: two-word
      // queries p50 8.9 → 7.2 ms at 100,000 products). Inside `coalesce` so that the planner does not count it as a
      // second, independent condition, which would make a common word's estimate its square and send it through the
      // bitmap and a sort of all its matches instead of the walk.
      sql`coalesce(ts_filter(${t.search}, '{a}') @@ ${t.q}, false)`,
      sql`${titleWords(t.title)} @@ ${t.exact}`,
      ...whole(t),
    ],
    hits: (t) => sql`${titleWords(t.title)} @@ ${t.exact}`,
  },
  {
    tier: 4,
    match: (t) => [
      sql`ts_filter(${t.search}, '{a}') @@ ${t.q}`,
      sql`not (${titleWords(t.title)} @@ ${t.exact})`,
      ...whole(t),
    ],
    hits: (t) => sql`ts_filter(${t.search}, '{a}') @@ ${t.q}`,
  },
  {
    tier: 2,
    match: (t) => [
      sql`ts_filter(${t.search}, '{a,b}') @@ ${t.q}`,
      sql`not (ts_filter(${t.search}, '{a}') @@ ${t.q})`,
      ...whole(t),
    ],
    hits: (t) => sql`ts_filter(${t.search}, '{a,b}') @@ ${t.q}`,
  },
  {
    tier: 1,
    match: (t) => [sql`${t.search} @@ ${t.q}`, sql`not (ts_filter(${t.search}, '{a,b}') @@ ${t.q})`],
    hits: (t) => sql`${t.search} @@ ${t.q}`,
  },
];
const whole = (t: TierTerms) => (t.negates ? [sql`${t.search} @@ ${t.q}`] : []);

/** Whether a websearch query negates a word (`-word`), so that a title match need not be a document match. */
export const negatesWord = (q: string): boolean => q.includes('-');

/**
 * Above this many GIN hits in a tier, the tier walks the rank order (capped, DEEP_WALK) before it sorts; at most
 * this many, it reads them and sorts them at once. The count stops here, so it reads at most BITMAP_MAX + 1 rows.
 */
export const BITMAP_MAX = 5000;

/**
 * The first walk of a tier: this many ranks per row of its page (1,000 for a page of 24, at most a tenth of the
 * catalog): a match in one in 40 of them fills the page there, at about a millisecond, without reading the GIN.
 */
export const WALK_FIRST = 40;

/**
 * The most a tier walks, when it has more than BITMAP_MAX hits and its first walk did not fill the page: this many
 * ranks per row of the page (20,000 for a page of 24, at most a tenth of the catalog). A page still not filled then
 * comes from the tier's GIN hits, ranked and sorted: no path reads more than these caps and the query's GIN hits.
 */
export const DEEP_WALK = 800;

/**
 * Postgres's statement_timeout for the relevance statement, from the request's DB_TIMEOUT_MS: two thirds of it, so
 * that the cancellation comes back before the request's own deadline takes it for an outage.
 */
export const searchTimeoutMs = (dbTimeoutMs: number): number => Math.max(1, Math.floor((dbTimeoutMs * 2) / 3));

/** Seconds a shopper should wait before trying a search that took too long again (SEARCH_TIMEOUT). */
export const SEARCH_RETRY_AFTER = 2;

export const relevanceKey = (tier: RankTier, rank: number): number => tier * TIER_UNIT + rank;

/** A key back into its tier and static rank; null for a number that is no key (a forged or outdated cursor). */
export function tierOf(key: number): { tier: RankTier; rank: number } | null {
  if (!Number.isSafeInteger(key) || key < TIER_UNIT) return null;
  const tier = Math.floor(key / TIER_UNIT);
  if (tier > TOP_TIER || tier === 3) return null;
  return { tier: tier as RankTier, rank: key - tier * TIER_UNIT };
}
