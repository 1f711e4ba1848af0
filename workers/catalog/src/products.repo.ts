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
  exactQuery,
  negatesWord,
  RANK_TIERS,
  type RankTier,
  relevanceKey,
  severalWords,
  type TierTerms,
  tierOf,
  WALK_FIRST,
} from './relevance';
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
  tuning: SearchTuning = {},
): Promise<ProductPage> {
  const withFacets = async (page: ProductPage, facets: Promise<FacetPart> | undefined) =>
    facets ? { ...page, ...(await facets) } : page;
  const countsFor = (q: string | undefined) =>
    query.facets ? facetCounts(db, query, query.facets, q).then(facetPart) : undefined;
  // The counts are one more statement, sent beside the page's.
  const first = countsFor(query.q);
  first?.catch(() => {}); // awaited below, or dropped for the corrected query's
  const page = await searchPage(db, query, query.q, tuning);
  if (!query.q || page.items.length > 0) return withFacets(page, first);
  // An empty later page of a search that matches is its end, not a typo.
  if (query.cursor && (await anyMatch(db, query.q))) return withFacets(page, first);
  const corrected = await correctedQuery(db, query.q);
  if (!corrected) return withFacets(page, first);
  const retry = await searchPage(db, query, corrected, tuning);
  return retry.items.length > 0
    ? withFacets({ ...retry, didYouMean: corrected }, countsFor(corrected))
    : withFacets(page, first);
}

type FacetPart = Pick<ProductPage, 'facets' | 'facetsExhaustive'>;
const facetPart = (r: Awaited<ReturnType<typeof facetCounts>>): FacetPart => ({
  facets: r.facets,
  facetsExhaustive: r.exhaustive,
});

async function anyMatch(db: Reader, q: string): Promise<boolean> {
  const result = await db.execute<{ found: boolean }>(
    sql`select exists (select 1 from ${products} where ${products.status} = 'published'
        and ${products.search} @@ websearch_to_tsquery('english', ${q})) as found`,
  );
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

/** How a search reads its matches; the defaults are the catalog's (a test or a measurement may move the bound). */
export interface SearchTuning {
  /** The most matches of a tier a query of several words sorts (BITMAP_MAX); above it, it walks the rank order. */
  bitmapMax?: number;
  /** The ranks per row of the page a query of several words walks before it counts (WALK_FIRST). */
  walkFirst?: number;
}

async function searchPage(
  db: Reader,
  query: ProductListQuery,
  q: string | undefined,
  tuning: SearchTuning,
): Promise<ProductPage> {
  const sort = effectiveSort(query);
  const filter = filterFingerprint(query);
  if (sort === 'relevance' && q)
    return relevancePage(db, query, q, filter, {
      bitmapMax: tuning.bitmapMax ?? BITMAP_MAX,
      walkFirst: tuning.walkFirst ?? WALK_FIRST,
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

  const base = db
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
  const rows = await (sold ? base.innerJoin(sold, eq(sold.productId, products.id)) : base)
    .where(and(...where))
    .orderBy(...order)
    .limit(query.limit + 1);

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

/**
 * A page of `sort=relevance`: by match tier (the title word for word, the title by stems, then brand, then
 * description only), then the product's static rank (in stock, then units sold; `product_ranks`), then id, all
 * descending. One branch per tier, concatenated in
 * tier order under one LIMIT, so Postgres's Append runs a lower tier only when the higher ones did not fill the page.
 * A tier is read one of two ways: walking `product_ranks_rank_idx` in rank order and stopping at a page (a common
 * match: about a page of rows, not all its matches), or reading its matches through the GIN bitmap and sorting them
 * (a rare one). For one word Postgres picks well from its statistics. For several it cannot (it takes the words as
 * independent: `pleated skirt` was expected 894 times and found 23,852; two common words that never meet in a title
 * were expected thousands of times and a walk then read all 1,000,000 ranks), so the query itself chooses, per tier:
 * it reads at most BITMAP_MAX + 1 matches through the bitmap, sorts them if that was all of them, and walks otherwise
 * (`tierByCount`). The key is one integer (tier and rank), so keyset paging is exact.
 */
async function relevancePage(
  db: Reader,
  query: ProductListQuery,
  q: string,
  filter: string,
  tuning: Required<SearchTuning>,
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
  const branches = RANK_TIERS.filter((t) => !from || t.tier <= from.tier).map((t) => {
    // A query of stop words only (`the with`) is empty and matches nothing: said as a condition on the query alone,
    // which Postgres computes once while planning, so that a tier's walk of the rank order is not even started.
    const matches = [sql`numnode(${terms.q}) > 0`, ...t.match(terms), ...filterConditions(query, aliasColumns)];
    const below =
      after && from && t.tier === from.tier
        ? sql`(r.rank, r.product_id) < (${from.rank}, ${after[1]}::uuid)`
        : undefined;
    return severalWords(q)
      ? tierByCount(t.tier, matches, below, take, tuning)
      : tierByPlanner(t.tier, matches, below, take);
  });
  if (branches.length === 0) return { items: [], nextCursor: null };
  const result = await db.execute<ListRow & { tier: number; rank: number }>(
    sql`select * from (${sql.join(branches, sql` union all `)}) ranked limit ${take}`,
  );
  // Postgres's (non-parallel) Append runs its branches in the order written, which is what makes the LIMIT stop
  // early and pick the right rows; the page is sorted again by its key all the same (it costs nothing).
  const rows = [...result.rows].sort(
    (a, b) => b.tier - a.tier || b.rank - a.rank || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > query.limit && last
      ? encodeCursor({ sort: 'relevance', filter, key: [relevanceKey(last.tier as RankTier, last.rank), last.id] })
      : null;
  return { items: page.map(summary), nextCursor };
}

/** The columns of a relevance row, from `products p`, `categories` and the rank `r`. */
const relevanceColumns = (tier: RankTier) => sql`p.id, p.slug, p.title, p.brand, p.price_amount as "priceAmount",
  p.currency, p.images->>0 as image, p.created_at::text as "createdAt", ${categories.slug} as "categorySlug",
  ${categories.name} as "categoryName", ${categories.path} as "categoryPath", ${tier}::int as tier, r.rank`;

/** A tier's first `take` rows, read the way the planner prefers (the walk or the bitmap). */
function tierByPlanner(tier: RankTier, matches: SQL[], below: SQL | undefined, take: number) {
  return sql`(select ${relevanceColumns(tier)}
      from ${productRanks} r join ${products} p on p.id = r.product_id
        join ${categories} on ${categories.id} = p.category_id
      where ${and(sql`p.status = 'published'`, ...matches, below)}
      order by r.rank desc nulls last, r.product_id desc nulls last limit ${take})`;
}

/**
 * A tier's first `take` rows, for a query of several words. First the rank walk over the next WALK_FIRST × `take`
 * ranks only (`w`): a match as common as one in WALK_FIRST fills the page there (about 1 ms), and those are then
 * its first rows. Otherwise the tier's matches are counted, up to bitmapMax + 1 of them, through the GIN indexes
 * (`m`), and one of two halves runs, the others' one-time filters being false: at most bitmapMax, they were all of
 * them, each ranked (one `product_ranks` lookup each, not a join that the planner may make a scan of all ranks) and
 * sorted; more, the whole rank walk, its conditions inside `coalesce` so that the planner can neither use an index
 * for them nor estimate them from the words' statistics (a boolean it cannot estimate is true for half the rows:
 * the walk is then its cheapest plan). A WITH query named more than once is read once (materialized), and a one-time
 * filter's subqueries only when it is evaluated, so `m` is not read when `w` filled the page.
 */
function tierByCount(
  tier: RankTier,
  matches: SQL[],
  below: SQL | undefined,
  take: number,
  { bitmapMax, walkFirst }: Required<SearchTuning>,
) {
  const published = sql`p.status = 'published'`;
  const filled = sql`(select count(*) from w) >= ${take}`;
  // A tenth of the catalog at most (Postgres's own count of its rows, as of its last ANALYZE; -1 before the first):
  // in a small catalog, counting the matches is cheaper than walking most of it.
  const window = sql`least(${walkFirst * take}, greatest(0, (select c.reltuples / 10 from pg_class c
    where c.oid = 'products'::regclass))::int)`;
  return sql`(with w as (select ${relevanceColumns(tier)}
      from (select r.product_id, r.rank from ${productRanks} r ${below ? sql`where ${below}` : sql``}
        order by r.rank desc nulls last, r.product_id desc nulls last limit ${window}) r
      join ${products} p on p.id = r.product_id join ${categories} on ${categories.id} = p.category_id
      where ${and(published, sql`coalesce(${and(...matches)}, false)`)}
      order by r.rank desc nulls last, r.product_id desc nulls last limit ${take}),
    m as (select p.id from ${products} p
        join ${categories} on ${categories.id} = p.category_id
      where ${and(published, ...matches)} limit ${bitmapMax + 1})
    (select * from w where ${filled})
    union all
    (select ${relevanceColumns(tier)}
      from (select r.product_id, r.rank from (select m.id as product_id,
          (select k.rank from ${productRanks} k where k.product_id = m.id) as rank from m offset 0) r
        where ${and(sql`not ${filled} and (select count(*) from m) <= ${bitmapMax}`, sql`r.rank is not null`, below)}
        order by r.rank desc, r.product_id desc limit ${take}) r
      join ${products} p on p.id = r.product_id join ${categories} on ${categories.id} = p.category_id
      order by r.rank desc, r.product_id desc)
    union all
    (select ${relevanceColumns(tier)}
      from ${productRanks} r join ${products} p on p.id = r.product_id
        join ${categories} on ${categories.id} = p.category_id
      where ${and(sql`not ${filled} and (select count(*) from m) > ${bitmapMax}`, published, sql`coalesce(${and(...matches)}, false)`, below)}
      order by r.rank desc nulls last, r.product_id desc nulls last limit ${take})
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
                                          'amount', v.price_amount, 'currency', v.currency) order by v.position)
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
