// The filters of GET /v1/products (brand, category, price range, variant options), as SQL conditions, and what
// identifies a query: the cursor's filter fingerprint and the cache key. The values arrive normalized by
// ProductListQuery (lib/catalog/schemas.ts: lower case, deduplicated, sorted), so equal filters are equal strings.
// Kinds combine with AND, the values of one kind with OR. Facets (./facets.ts) count each kind under every other
// kind's condition, hence `except`.
import { type SQL, sql } from 'drizzle-orm';
import { categories } from '../../../db/schema';
import type { OptionFacet, ProductListQuery } from '../../../lib/catalog/schemas';
import { OPTION_FACETS } from '../../../lib/catalog/schemas';

/** The filter kinds of a query; `price` is price_min and price_max together. */
export type FilterKind = 'brand' | 'category' | 'price' | OptionFacet;

/** The columns a filter reads, as the query it goes into names them (a table or an alias). */
export interface FilterColumns {
  brand: SQL;
  priceAmount: SQL;
  /** products.facet_keys: `size:m`, `colour:navy`, … (migration 0013). */
  facetKeys: SQL;
  /** The product's category's path (categories joined). */
  categoryPath: SQL;
}

/** The columns of `products p` joined with `categories` (by name): the relevance and the facet queries. */
export const aliasColumns: FilterColumns = {
  brand: sql`p.brand`,
  priceAmount: sql`p.price_amount`,
  facetKeys: sql`p.facet_keys`,
  categoryPath: sql`${categories.path}`,
};

export const textArray = (values: readonly string[]) =>
  sql`array[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;

/** The kinds `query` selects a value of. */
export function selectedKinds(query: ProductListQuery): FilterKind[] {
  const kinds: FilterKind[] = [];
  if (query.brand) kinds.push('brand');
  if (query.category) kinds.push('category');
  if (query.price_min !== undefined || query.price_max !== undefined) kinds.push('price');
  for (const o of OPTION_FACETS) if (query[o]) kinds.push(o);
  return kinds;
}

/** One condition per selected kind but `except`: a product passes when it has one of each kind's values. */
export function filterConditions(query: ProductListQuery, c: FilterColumns, except?: FilterKind): SQL[] {
  const where: SQL[] = [];
  if (query.brand && except !== 'brand') where.push(sql`lower(${c.brand}) = any(${textArray(query.brand)})`);
  if (query.category && except !== 'category') {
    // A category includes its subcategories: its path, or a path under it (slugs hold no LIKE wildcards).
    where.push(sql`exists (select 1 from ${categories} sel where sel.slug = any(${textArray(query.category)})
      and (${c.categoryPath} = sel.path or ${c.categoryPath} like sel.path || '/%'))`);
  }
  if (except !== 'price') {
    if (query.price_min !== undefined) where.push(sql`${c.priceAmount} >= ${query.price_min}`);
    if (query.price_max !== undefined) where.push(sql`${c.priceAmount} <= ${query.price_max}`);
  }
  for (const o of OPTION_FACETS) {
    const values = query[o];
    if (values && except !== o) where.push(sql`${c.facetKeys} && ${textArray(values.map((v) => `${o}:${v}`))}`);
  }
  return where;
}

/**
 * What a cursor is bound to: the search and the filters (not the sort, which it carries itself, nor `facets`, which
 * does not change the items). A query with only `q` and one category keeps the fingerprint it had before filters.
 */
export function filterFingerprint(query: ProductListQuery): string {
  const base: unknown[] = [query.q ?? '', query.category?.join(',') ?? ''];
  const { brand, size, colour, price_min, price_max } = query;
  if (brand || size || colour || price_min !== undefined || price_max !== undefined)
    base.push({ brand, colour, price_max, price_min, size });
  return JSON.stringify(base);
}

/**
 * The cache key's path of a list query: its parsed values (lists already sorted), parameters in name order, so
 * `?brand=a&size=m` and `?size=m&brand=a` (or `brand=B,A` and `brand=a&brand=b`) are one entry.
 */
export function productListPath(query: ProductListQuery): string {
  const canonical = new URLSearchParams(
    Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)] as [string, string])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return `/products?${canonical}`;
}
