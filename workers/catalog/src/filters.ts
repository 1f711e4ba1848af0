// The filters of GET /v1/products (brand, category, price range, variant options), as SQL conditions, and what
// identifies a query: the cursor's filter fingerprint and the cache key. The values arrive normalized by
// ProductListQuery (lib/catalog/filter-values.ts: trimmed, spaces collapsed, lower case, deduplicated, sorted, each
// as a parameter carries it: a comma escaped), as the stored brand_key and option keys are (facet_norm, migration
// 0014), so equal filters are equal strings; the conditions compare the values themselves (decoded).
// Kinds combine with AND, the values of one kind with OR; variant options selected together must be one variant's.
// Facets (./facets.ts) count each kind under every other kind's condition, hence `except`.
import { type SQL, sql } from 'drizzle-orm';
import { categories } from '../../../db/schema';
import { decodeFilterValue } from '../../../lib/catalog/filter-values';
import type { OptionFacet, ProductListQuery } from '../../../lib/catalog/schemas';
import { OPTION_FACETS } from '../../../lib/catalog/schemas';

/** The filter kinds of a query; `price` is price_min and price_max together. */
export type FilterKind = 'brand' | 'category' | 'price' | OptionFacet;

/** The columns a filter reads, as the query it goes into names them (a table or an alias). */
export interface FilterColumns {
  /** products.brand_key: the brand normalized (migration 0014). */
  brandKey: SQL;
  priceAmount: SQL;
  /** products.facet_keys: `size:m`, `colour:navy`, … (migration 0013). */
  facetKeys: SQL;
  /** products.facet_combos: each variant's keys together, `colour:navy\nsize:m` (migration 0014). */
  facetCombos: SQL;
  /** The product's category's path (categories joined). */
  categoryPath: SQL;
}

/** The columns of `products p` joined with `categories` (by name): the relevance and the facet queries. */
export const aliasColumns: FilterColumns = {
  brandKey: sql`p.brand_key`,
  priceAmount: sql`p.price_amount`,
  facetKeys: sql`p.facet_keys`,
  facetCombos: sql`p.facet_combos`,
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
  if (query.brand && except !== 'brand')
    where.push(sql`${c.brandKey} = any(${textArray(query.brand.map(decodeFilterValue))})`);
  if (query.category && except !== 'category') {
    // A category includes its subcategories: its path, or a path under it (slugs hold no LIKE wildcards).
    where.push(sql`exists (select 1 from ${categories} sel where sel.slug = any(${textArray(query.category)})
      and (${c.categoryPath} = sel.path or ${c.categoryPath} like sel.path || '/%'))`);
  }
  if (except !== 'price') {
    if (query.price_min !== undefined) where.push(sql`${c.priceAmount} >= ${query.price_min}`);
    if (query.price_max !== undefined) where.push(sql`${c.priceAmount} <= ${query.price_max}`);
  }
  const options = OPTION_FACETS.filter((o) => query[o] && o !== except);
  if (options.length === 1) where.push(sql`${c.facetKeys} && ${textArray(optionKeys(query, options[0]!))}`);
  // Several kinds: one variant must have a value of each (its combination of them is among its product's).
  if (options.length > 1) where.push(sql`${c.facetCombos} && ${textArray(combos(query, options))}`);
  return where;
}

/** The keys of a kind's selected values, as facet_keys holds them (`size:m`). */
export const optionKeys = (query: ProductListQuery, kind: OptionFacet) =>
  (query[kind] ?? []).map((v) => `${kind}:${decodeFilterValue(v)}`);

/**
 * Every combination of one selected value of each of `kinds`, as facet_combos spells a variant's (its keys in
 * byte order, joined by a newline: `colour:navy\nsize:m`). At most MAX_FILTER_VALUES^kinds of them (400 for two).
 */
export function combos(query: ProductListQuery, kinds: readonly OptionFacet[]): string[] {
  // Keys of different kinds compare by their kind (`colour:` < `size:`) whatever their values.
  const ordered = [...kinds].sort((a, b) => (`${a}:` < `${b}:` ? -1 : 1));
  return ordered.reduce<string[]>(
    (acc, kind) => acc.flatMap((pre) => optionKeys(query, kind).map((k) => (pre ? `${pre}\n${k}` : k))),
    [''],
  );
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
