// Catalog queries. Lists use keyset pagination (stable under inserts) over indexed sort keys;
// search is Postgres full-text (websearch syntax, English stemming) ranked by match tier and each product's static
// rank (./relevance.ts), with typo tolerance.
import { and, asc, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import {
  categories,
  orderLines,
  orders,
  productRanks,
  products,
  productVariants,
  searchWords,
} from '../../../db/schema';
import type { CategoryNode, ProductListQuery, ProductSort } from '../../../lib/catalog/schemas';
import type { VariantInfo } from '../../../lib/contracts/catalog';
import type { Db } from '../../../lib/db/client';
import { isoFromPostgres } from '../../../lib/db/timestamps';
import { decodeCursor, encodeCursor } from './cursor';
import { facetCounts } from './facets';
import { aliasColumns, type FilterColumns, filterConditions, filterFingerprint } from './filters';
import {
  BITMAP_MAX,
  DEEP_WALK,
  exactQuery,
  negatesWord,
  RANK_TIERS,
  type RankTier,
  relevanceKey,
  type TierTerms,
  tierOf,
  WALK_FIRST,
} from './relevance';
import { searchBudget, searchStatement } from './search-statement';
import { correctedFrom, typoCandidates } from './typos';

/** Any one database: drizzle's replica-routing wrapper, the primary, or one replica. */
export type Reader = Db | Db['$primary'];

export function effectiveSort(query: ProductListQuery): ProductSort {
  if (query.sort === 'relevance' && !query.q) return 'newest';
  return query.sort ?? (query.q ? 'relevance' : 'newest');
}

/** The window `sort=trending` counts sales over, and the orders that count (paid, whether shipped or not yet). */
export const TRENDING_DAYS = 7;
const SOLD_STATUSES = ['paid', 'fulfilled'];

/** Units of each product sold in paid orders placed in the last TRENDING_DAYS (order_lines by SKU). */
function soldRecently(db: Reader) {
  return db
    .select({
      productId: productVariants.productId,
      units: sql<number>`sum(${orderLines.quantity})::int`.as('units'),
    })
    .from(orderLines)
    .innerJoin(orders, eq(orders.id, orderLines.orderId))
    .innerJoin(productVariants, eq(productVariants.sku, orderLines.sku))
    .where(
      and(
        inArray(orders.status, SOLD_STATUSES),
        sql`${orders.createdAt} > now() - make_interval(days => ${TRENDING_DAYS})`,
      ),
    )
    .groupBy(productVariants.productId)
    .as('sold');
}

/**
 * A page of products, with the facet counts asked for (./facets.ts) over the same matches. A search that finds
 * nothing is tried once more with its misspelt words corrected (typo tolerance, ./typos.ts): the corrected search's
 * page, with `didYouMean` (and its counts), when that finds something. Pages after the first keep the shopper's own
 * `q` (the cursor is bound to it) and are corrected the same way.
 */
export async function listProducts(
  db: Reader,
  query: ProductListQuery,
  tuningIn: SearchTuning = {},
): Promise<ProductPage> {
  // One budget for every search statement of this fill (the page's, a typo retry's, the counts'), so that their sum
  // stays under it and within the fill's own deadline (DB_TIMEOUT_MS), which would count as an outage.
  const tuning = { ...tuningIn, timeLeft: searchBudget(tuningIn.statementTimeoutMs) };
  const withFacets = async (page: ProductPage, facets: Promise<FacetPart> | undefined) =>
    facets ? { ...page, ...(await facets) } : page;
  const countsFor = (q: string | undefined) =>
    query.facets
      ? facetCounts(db, query, query.facets, q, { timeoutMs: tuning.timeLeft() }).then(facetPart)
      : undefined;
  // The counts are one more statement, sent beside the page's.
  const first = countsFor(query.q);
  first?.catch(() => {}); // awaited below, or dropped for the corrected query's
  const page = await searchPage(db, query, query.q, tuning);
  if (!query.q || page.items.length > 0) return withFacets(page, first);
  // An empty later page of a search that matches is its end, not a typo.
  if (query.cursor && (await anyMatch(db, query.q, tuning.timeLeft()))) return withFacets(page, first);
  const corrected = await correctedQuery(db, query.q);
  if (!corrected) return withFacets(page, first);
  // The corrected query's counts beside its page too (from the same budget), not after it.
  const second = countsFor(corrected);
  second?.catch(() => {}); // awaited below, or dropped when the corrected query finds nothing either
  const retry = await searchPage(db, query, corrected, tuning);
  return retry.items.length > 0 ? withFacets({ ...retry, didYouMean: corrected }, second) : withFacets(page, first);
}

type FacetPart = Pick<ProductPage, 'facets' | 'facetsExhaustive'>;
const facetPart = (r: Awaited<ReturnType<typeof facetCounts>>): FacetPart => ({
  facets: r.facets,
  facetsExhaustive: r.exhaustive,
});

/**
 * Whether `q` matches any product: under the search's statement_timeout and planner settings (`searchStatement`), as
 * two common words that never meet may otherwise be looked for by reading the whole catalog.
 */
async function anyMatch(db: Reader, q: string, timeoutMs: number | undefined): Promise<boolean> {
  const result = (await searchStatement(
    db,
    (d) =>
      d.execute<{ found: boolean }>(
        sql`select exists (select 1 from ${products} where ${products.status} = 'published'
          and ${products.search} @@ websearch_to_tsquery('english', ${q})) as found`,
      ),
    { timeoutMs, planner: true },
  )) as unknown as { rows: { found: boolean }[] };
  return result.rows[0]?.found === true;
}

/** `q` with each word not in the lexicon replaced by its nearest known word, or null if nothing changes. */
async function correctedQuery(db: Reader, q: string): Promise<string | null> {
  const words = typoCandidates(q);
  if (!words) return null;
  const result = await db.execute<{ word: string; known: boolean; fix: string | null }>(sql`
    select w.word, exists (select 1 from ${searchWords} k where k.word = w.word) as known,
      (select c.word from (select s.word, s.ndoc from ${searchWords} s order by s.word <-> w.word limit 20) c
       where levenshtein(c.word, w.word) <= 2 - (length(w.word) <= 4)::int
       order by levenshtein(c.word, w.word), c.ndoc desc, c.word limit 1) as fix
    from unnest(array[${sql.join(
      words.map((w) => sql`${w}`),
      sql`, `,
    )}]::text[]) with ordinality as w(word, i) order by w.i`);
  return correctedFrom(words, result.rows);
}

export interface ProductPage {
  items: ProductSummaryRow[];
  nextCursor: string | null;
  /** The corrected query whose results these are, when the shopper's own found nothing. */
  didYouMean?: string;
  facets?: Awaited<ReturnType<typeof facetCounts>>['facets'];
  facetsExhaustive?: boolean;
}

type ProductSummaryRow = {
  id: string;
  slug: string;
  title: string;
  brand: string;
  category: { slug: string; name: string; path: string };
  price: { amount: number; currency: string };
  image: string | null;
  createdAt: string;
};

/** How a search reads its matches; the defaults are the catalog's (a test or a measurement may move the bounds). */
export interface SearchTuning {
  /** The ranks per row of the page a tier walks first (WALK_FIRST). */
  walkFirst?: number;
  /** The most GIN hits of a tier that it sorts without a deeper walk first (BITMAP_MAX). */
  bitmapMax?: number;
  /** The most ranks per row of the page a tier walks (DEEP_WALK) before it sorts its GIN hits. */
  deepWalk?: number;
  /**
   * Postgres's statement_timeout (ms) for a search's page statement (any sort, with `q`), set in the statement's own
   * transaction; a cancellation is a SEARCH_TIMEOUT (503), not an outage. Unset: none (a test's or a tool's own).
   */
  statementTimeoutMs?: number;
}

/** A fill's tuning with its search budget: what is left of `statementTimeoutMs` now (undefined: no timeout). */
type FillTuning = SearchTuning & { timeLeft: () => number | undefined };

async function searchPage(
  db: Reader,
  query: ProductListQuery,
  q: string | undefined,
  tuning: FillTuning,
): Promise<ProductPage> {
  const sort = effectiveSort(query);
  const filter = filterFingerprint(query);
  if (sort === 'relevance' && q)
    return relevancePage(db, query, q, filter, {
      walkFirst: tuning.walkFirst ?? WALK_FIRST,
      bitmapMax: tuning.bitmapMax ?? BITMAP_MAX,
      deepWalk: tuning.deepWalk ?? DEEP_WALK,
      timeLeft: tuning.timeLeft,
    });
  const tsq = q ? sql`websearch_to_tsquery('english', ${q})` : undefined;

  const sold = sort === 'trending' ? soldRecently(db) : undefined;
  const units = sold ? sql<number>`${sold.units}` : sql<number>`0`;

  const where: SQL[] = [eq(products.status, 'published')];
  if (tsq) where.push(sql`${products.search} @@ ${tsq}`);
  where.push(...filterConditions(query, tableColumns));
  if (query.cursor) {
    const { key } = decodeCursor(query.cursor, { sort, filter });
    const [k, id] = key;
    if (sort === 'newest') where.push(sql`(${products.createdAt}, ${products.id}) < (${k}::timestamptz, ${id}::uuid)`);
    if (sort === 'price_asc') where.push(sql`(${products.priceAmount}, ${products.id}) > (${k}::int, ${id}::uuid)`);
    if (sort === 'price_desc') where.push(sql`(${products.priceAmount}, ${products.id}) < (${k}::int, ${id}::uuid)`);
    if (sort === 'trending')
      where.push(sql`(${units} < ${k}::int or (${units} = ${k}::int and ${products.id} > ${id}::uuid))`);
  }
  const order =
    sort === 'newest'
      ? // NULLS LAST as products_newest_idx has it (the columns are NOT NULL): plain DESC means NULLS FIRST, which
        // the index cannot give, and the list was then a scan and sort of every product.
        [sql`${products.createdAt} desc nulls last`, sql`${products.id} desc nulls last`]
      : sort === 'price_asc'
        ? [asc(products.priceAmount), asc(products.id)]
        : sort === 'price_desc'
          ? [desc(products.priceAmount), desc(products.id)]
          : [sql`${units} desc`, asc(products.id)];

  const list = (d: Reader) => {
    const base = d
      .select({
        id: products.id,
        slug: products.slug,
        title: products.title,
        brand: products.brand,
        priceAmount: products.priceAmount,
        currency: products.currency,
        image: sql<string | null>`${products.images}->>0`,
        createdAt: products.createdAt,
        categorySlug: categories.slug,
        categoryName: categories.name,
        categoryPath: categories.path,
        units,
      })
      .from(products)
      .innerJoin(categories, eq(categories.id, products.categoryId))
      .$dynamic();
    return (sold ? base.innerJoin(sold, eq(sold.productId, products.id)) : base)
      .where(and(...where))
      .orderBy(...order)
      .limit(query.limit + 1);
  };
  // A search in another order than relevance is one statement too: under the same statement_timeout (the planner
  // may walk the order's index for words that rarely meet), not its planner settings (its plans are the planner's).
  const rows = tsq ? await searchStatement(db, list, { timeoutMs: tuning.timeLeft(), planner: false }) : await list(db);

  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > query.limit && last
      ? encodeCursor({
          sort,
          filter,
          key: [sort === 'newest' ? last.createdAt : sort === 'trending' ? last.units : last.priceAmount, last.id],
        })
      : null;
  return { items: page.map(summary), nextCursor };
}

/** The filters' columns in the list query (the tables by name; the relevance query's are `aliasColumns`). */
const tableColumns: FilterColumns = {
  brandKey: sql`${products.brandKey}`,
  priceAmount: sql`${products.priceAmount}`,
  facetKeys: sql`${products.facetKeys}`,
  facetCombos: sql`${products.facetCombos}`,
  categoryPath: sql`${categories.path}`,
};

type ListRow = {
  id: string;
  slug: string;
  title: string;
  brand: string;
  priceAmount: number;
  currency: string;
  image: string | null;
  createdAt: string;
  categorySlug: string;
  categoryName: string;
  categoryPath: string;
};

function summary(r: ListRow): ProductSummaryRow {
  return {
    id: r.id,
    slug: r.slug,
    title: r.title,
    brand: r.brand,
    category: { slug: r.categorySlug, name: r.categoryName, path: r.categoryPath },
    price: { amount: r.priceAmount, currency: r.currency },
    image: r.image,
    createdAt: isoFromPostgres(r.createdAt),
  };
}

/** The relevance query's bounds (SearchTuning with the catalog's defaults). */
type Bounds = Required<Omit<SearchTuning, 'statementTimeoutMs'>> & Pick<FillTuning, 'timeLeft'>;

/**
 * A page of `sort=relevance`: by match tier (the title word for word, the title by stems, then brand, then
 * description only), then the product's static rank (in stock, then units sold; `product_ranks`), then id, all
 * descending. One branch per tier, concatenated in
 * tier order under one LIMIT, so Postgres's Append runs a lower tier only when the higher ones did not fill the page.
 * Every tier, for one word or several, is read by the bounded choice of `tierBounded`: a short walk of the rank
 * order, else its GIN hits sorted when they are few, else a capped deep walk, else its GIN hits sorted. The key is
 * one integer (tier and rank), so keyset paging is exact, and a cursor made by hand costs no more than the catalog's.
 */
async function relevancePage(
  db: Reader,
  query: ProductListQuery,
  q: string,
  filter: string,
  bounds: Bounds,
): Promise<ProductPage> {
  const terms: TierTerms = {
    search: sql`p.search`,
    title: sql`p.title`,
    q: sql`websearch_to_tsquery('english', ${q})`,
    exact: exactQuery(q),
    negates: negatesWord(q),
  };
  const after = query.cursor ? decodeCursor(query.cursor, { sort: 'relevance', filter }).key : undefined;
  const from = after ? tierOf(after[0] as number)! : undefined; // decodeCursor checked it is a key
  const take = query.limit + 1;
  const filters = filterConditions(query, aliasColumns);
  const tiers = RANK_TIERS.filter((t) => !from || t.tier <= from.tier);
  // The query's indexable part: '' when it has no word at all (stop words only: it matches nothing), 'T' when it
  // only negates (it matches nearly everything, and no index finds that).
  const indexable = sql`querytree(${terms.q})`;
  const loose = looseTerms(terms);
  const branch = (t: (typeof tiers)[number], first: boolean) => {
    const below =
      after && from && t.tier === from.tier
        ? sql`(r.rank, r.product_id) < (${from.rank}, ${after[1]}::uuid)`
        : undefined;
    // A query of stop words only (`the with`) is empty and matches nothing: said as a condition on the query alone,
    // which Postgres computes once while planning, so that a tier's walk of the rank order is not even started.
    const matches = [sql`numnode(${terms.q}) > 0`, ...t.match(terms), ...filters];
    return tierBounded(t.tier, { matches, hits: t.hits(loose), indexable, first }, below, take, bounds);
  };
  if (tiers.length === 0) return { items: [], nextCursor: null };
  // The query's GIN hits, counted up to a short walk's length (read only when the first tier's walk did not fill
  // the page): at most that many, every further tier sorts them instead of walking (a rare word: a few rows).
  const few = bounds.walkFirst * take;
  // Two statements at most: the first tier alone, then, only when it did not fill the page, the tiers below it. A
  // common query's page is in its first tier, and planning one tier's branch costs a quarter of all four's (about
  // 1 of 4.5 ms at 1,000,000 products, the statement's largest cost then); a rare one pays a second round trip.
  const found: (ListRow & { tier: number; rank: number })[] = [];
  for (const group of [tiers.slice(0, 1), tiers.slice(1)]) {
    if (group.length === 0 || found.length >= take) break;
    const branches = group.map((t) => branch(t, t === tiers[0]));
    const statement = sql`with ${countedHits(sql`g`, sql`p.search @@ ${loose.q}`, indexable, few)}
      select * from (${sql.join(branches, sql` union all `)}) ranked limit ${take - found.length}`;
    const result = (await searchStatement(db, (d) => d.execute(statement), {
      timeoutMs: bounds.timeLeft(),
      planner: true,
    })) as unknown as { rows: (ListRow & { tier: number; rank: number })[] };
    found.push(...result.rows);
  }
  // Postgres's (non-parallel) Append runs its branches in the order written, which is what makes the LIMIT stop
  // early and pick the right rows; the page is sorted again by its key all the same (it costs nothing).
  const rows = found.sort((a, b) => b.tier - a.tier || b.rank - a.rank || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > query.limit && last
      ? encodeCursor({ sort: 'relevance', filter, key: [relevanceKey(last.tier as RankTier, last.rank), last.id] })
      : null;
  return { items: page.map(summary), nextCursor };
}

/**
 * A superset of `tsq`'s matches that its GIN index answers exactly, row for row: its indexable part (`querytree`:
 * without negated words) with each phrase operator made a conjunction. Counting rows by it with a LIMIT then reads at
 * most that many rows, where the query itself would read every hit that its recheck drops (a reversed phrase).
 */
const looseQuery = (tsq: SQL) => sql`regexp_replace(querytree(${tsq}), '<(-|[0-9]+)>', '&', 'g')::tsquery`;

/** The terms a tier's `hits` take: the query's and its words as written, each `looseQuery`, and no negated word. */
const looseTerms = (t: TierTerms): TierTerms => ({
  ...t,
  q: looseQuery(t.q),
  exact: looseQuery(t.exact),
  negates: false,
});

/**
 * WITH queries `name` (one row, `n`: the rows of `products` that meet `condition`, counted up to `max` + 1; 0 when
 * the query has no word, `max` + 1 when it only negates) and `name_rows`, those rows. `name_rows` is materialized:
 * planned for all its rows, so through the GIN index unless Postgres expects most of the catalog (under a LIMIT, a
 * scan of the catalog that expects to meet the rows early looks cheaper: two common words that never meet were
 * counted by reading the whole catalog), and read only as far as the count asks.
 */
const countedHits = (name: SQL, condition: SQL, indexable: SQL, max: number) =>
  sql`${name}_rows as materialized (select 1 from ${products} p where ${condition}),
    ${name} as (select case ${indexable} when '' then 0 when 'T' then ${max + 1} else (select count(*)
      from (select 1 from ${name}_rows limit ${max + 1}) h) end as n)`;

/** The columns of a relevance row, from `products p`, `categories` and the rank `r`. */
const relevanceColumns = (tier: RankTier) => sql`p.id, p.slug, p.title, p.brand, p.price_amount as "priceAmount",
  p.currency, p.images->>0 as image, p.created_at::text as "createdAt", ${categories.slug} as "categorySlug",
  ${categories.name} as "categoryName", ${categories.path} as "categoryPath", ${tier}::int as tier, r.rank`;

/**
 * A tier's first `take` rows, each way of reading them bounded by the page, a cap or the query's GIN hits:
 * 1. `w`, the short walk: the next `walkFirst` × `take` ranks (at most a tenth of the catalog) in rank order, the
 *    tier's conditions on each. A match as common as one in `walkFirst` fills the page there (about 1 ms). A tier
 *    after the first walks only when the query has more GIN hits than that (`g`, counted once).
 * 2. Otherwise (unless 3 follows at once) `c`, the tier's GIN hits counted up to `bitmapMax` + 1, by its GIN
 *    condition (`hits` of RANK_TIERS) with the query's indexable words (`looseTerms`): every row it reads counts, so
 *    it reads at most `bitmapMax` + 1 rows.
 * 3. More than `bitmapMax`, or than √(`take` × catalog size) (where a walk through matches spread over the ranks
 *    is expected to be shorter than ranking them all: 1,580 hits at 100,000 products), `d`, the deep walk, the next
 *    `deepWalk` × `take` ranks (at most a tenth of the catalog), after the short walk's (whose rows come first).
 *    The same, without counting, when the short walk found half a page: a match that common is expected within
 *    twice its length (a word in 1 title in 50).
 * 4. Not filled by either (few hits, or many that rank low, or fail the rest of the condition): `s`, the tier's
 *    matches read through the GIN index, each ranked (one `product_ranks` lookup each, not a join that the planner
 *    may make a scan of all ranks) and the first `take` kept: as many rows as the query's GIN hits.
 * The walks keep their conditions inside `coalesce` so that the planner can neither use an index for them nor
 * estimate them from the words' statistics. The ways are gated by one-time filters; a WITH query named more than
 * once is read once (materialized), and a one-time filter's subqueries only when it is evaluated, so nothing after
 * the way that filled the page is read, and Postgres's Append stops at the outer LIMIT.
 */
function tierBounded(
  tier: RankTier,
  { matches, hits, indexable, first }: { matches: SQL[]; hits: SQL; indexable: SQL; first: boolean },
  below: SQL | undefined,
  take: number,
  { walkFirst, bitmapMax, deepWalk }: Bounds,
) {
  const published = sql`p.status = 'published'`;
  // At most a tenth of the catalog (Postgres's own count of its rows, as of its last ANALYZE; -1 before the first):
  // in a small catalog, sorting the matches is cheaper than walking most of it.
  const window = (perRow: number) => sql`least(${perRow * take}, greatest(0, (select c.reltuples / 10
    from pg_class c where c.oid = 'products'::regclass))::int)`;
  const walk = (perRow: number, gate?: SQL, skip?: SQL) => sql`select ${relevanceColumns(tier)}
      from (select r.product_id, r.rank from ${productRanks} r
        where ${and(gate, below) ?? sql`true`}
        order by r.rank desc nulls last, r.product_id desc nulls last limit ${window(perRow)}
        ${skip ? sql`offset ${skip}` : sql``}) r
      join ${products} p on p.id = r.product_id join ${categories} on ${categories.id} = p.category_id
      where ${and(published, sql`coalesce(${and(...matches)}, false)`)}
      order by r.rank desc nulls last, r.product_id desc nulls last limit ${take}`;
  const wFilled = sql`(select count(*) from w) >= ${take}`;
  // The deep walk goes on after the short walk's ranks when that found any (so it walked them), else from the start.
  const dFilled = sql`(select count(*) from w) + (select count(*) from d) >= ${take}`;
  const walked = sql`case when exists (select from w) then ${window(walkFirst)} else 0 end`;
  // The first tier walks at once (a common query's page is there); a further tier only when the query has more
  // GIN hits than a short walk's length (`g`, relevancePage).
  const walkNow = first ? sql`${indexable} <> ''` : sql`(select g.n from g) > ${walkFirst * take}`;
  return sql`(with w as (${walk(walkFirst, walkNow)}),
    ${countedHits(sql`c`, hits, indexable, bitmapMax)},
    d as (${walk(
      deepWalk,
      sql`not ${wFilled} and ((select count(*) from w) * 2 >= ${take} or (select c.n from c) > least(${bitmapMax},
      (select sqrt(${take} * greatest(0, c.reltuples)) from pg_class c where c.oid = 'products'::regclass)))`,
      walked,
    )}),
    s as (select p.id from ${products} p join ${categories} on ${categories.id} = p.category_id
      where ${and(sql`not ${wFilled} and not ${dFilled}`, published, ...matches)})
    (select * from w where ${wFilled})
    union all
    (select * from w where ${and(sql`not ${wFilled}`, dFilled)})
    union all
    (select * from d where ${and(sql`not ${wFilled}`, dFilled)})
    union all
    (select ${relevanceColumns(tier)}
      from (select r.product_id, r.rank from (select s.id as product_id,
          (select k.rank from ${productRanks} k where k.product_id = s.id) as rank from s offset 0) r
        where ${and(sql`r.rank is not null`, below)}
        order by r.rank desc, r.product_id desc limit ${take}) r
      join ${products} p on p.id = r.product_id join ${categories} on ${categories.id} = p.category_id
      order by r.rank desc, r.product_id desc)
    limit ${take})`;
}

interface VariantRow {
  sku: string;
  title: string;
  options: Record<string, string>;
  amount: number;
  currency: string;
}

export async function getProduct(db: Reader, slug: string) {
  const [row] = await db
    .select({
      id: products.id,
      slug: products.slug,
      title: products.title,
      description: products.description,
      brand: products.brand,
      priceAmount: products.priceAmount,
      currency: products.currency,
      images: products.images,
      createdAt: products.createdAt,
      updatedAt: products.updatedAt,
      categorySlug: categories.slug,
      categoryName: categories.name,
      categoryPath: categories.path,
      variants: sql<VariantRow[]>`coalesce((
        select json_agg(json_build_object('sku', v.sku, 'title', v.title, 'options', v.options,
                                          'amount', v.price_amount, 'currency', v.currency) order by v.position, v.sku)
        from product_variants v where v.product_id = ${products.id}), '[]'::json)`,
    })
    .from(products)
    .innerJoin(categories, eq(categories.id, products.categoryId))
    .where(and(eq(products.slug, slug), eq(products.status, 'published')))
    .limit(1);
  if (!row) return null;
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    brand: row.brand,
    category: { slug: row.categorySlug, name: row.categoryName, path: row.categoryPath },
    price: { amount: row.priceAmount, currency: row.currency },
    image: row.images[0] ?? null,
    images: row.images,
    description: row.description,
    createdAt: isoFromPostgres(row.createdAt),
    updatedAt: isoFromPostgres(row.updatedAt),
    variants: row.variants.map((v) => ({
      sku: v.sku,
      title: v.title,
      options: v.options,
      price: { amount: v.amount, currency: v.currency.trim() },
    })),
  };
}

export async function categoryTree(db: Reader): Promise<CategoryNode[]> {
  const rows = await db
    .select({
      id: categories.id,
      parentId: categories.parentId,
      slug: categories.slug,
      name: categories.name,
      path: categories.path,
    })
    .from(categories)
    .orderBy(asc(categories.position), asc(categories.name));
  const nodes = new Map(
    rows.map((r) => [r.id, { slug: r.slug, name: r.name, path: r.path, children: [] as CategoryNode[] }]),
  );
  const roots: CategoryNode[] = [];
  for (const r of rows) {
    const node = nodes.get(r.id)!;
    const parent = r.parentId === null ? undefined : nodes.get(r.parentId);
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

/** The published variants among `skus` (unknown or unpublished ones are simply absent). */
export async function variantsBySku(db: Reader, skus: string[]): Promise<VariantInfo[]> {
  if (skus.length === 0) return [];
  const rows = await db
    .select({
      sku: productVariants.sku,
      title: productVariants.title,
      amount: productVariants.priceAmount,
      currency: productVariants.currency,
      productSlug: products.slug,
      productTitle: products.title,
      image: sql<string | null>`${products.images}->>0`,
    })
    .from(productVariants)
    .innerJoin(products, eq(products.id, productVariants.productId))
    .where(and(inArray(productVariants.sku, skus), eq(products.status, 'published')));
  return rows.map((r) => ({
    sku: r.sku,
    title: r.title,
    productSlug: r.productSlug,
    productTitle: r.productTitle,
    image: r.image,
    price: { amount: r.amount, currency: r.currency.trim() },
  }));
}
