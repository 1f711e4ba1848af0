// Facet counts of GET /v1/products?facets=…: for each kind asked (brand, category, price band, size, colour), how
// many products matching `q` and every OTHER selected filter have each value (disjunctive faceting: selecting a
// brand leaves the other brands' counts as they were, and narrows every other kind's). One statement: one match set
// per distinct exclusion (the kinds with no selection share the set of all filters), each a materialized CTE read
// at most FACET_SCAN_LIMIT + 1 rows deep, then grouped. The variant options come from products.facet_keys and
// facet_labels (migration 0013, kept by triggers on product_variants), so no variant is read.

import type { z } from '@hono/zod-openapi';
import { type SQL, sql } from 'drizzle-orm';
import { categories, categoryFacetCounts, products } from '../../../db/schema';
import { decodeFilterValue, encodeFilterValue } from '../../../lib/catalog/filter-values';
import {
  type FacetKind,
  type Facets,
  OPTION_FACETS,
  type OptionFacet,
  PRICE_BANDS,
  type ProductListQuery,
} from '../../../lib/catalog/schemas';
import { aliasColumns, combos, type FilterKind, filterConditions, selectedKinds, textArray } from './filters';
import type { Reader } from './products.repo';
import { searchStatement } from './search-statement';

/**
 * The most matches one kind's counts read. Over it, the counts cover the first FACET_SCAN_LIMIT matches Postgres
 * reads (in no order that means anything) and the answer says `facetsExhaustive: false`. It bounds the work of a
 * facet answer at about (1 + selected kinds) × this many rows, whatever the catalog's size (docs/catalog.md).
 */
export const FACET_SCAN_LIMIT = 10_000;
/** Values listed per kind, most products first (a selected value is always listed, even at 0). */
export const FACET_TOP: Record<FacetKind, number> = { brand: 20, category: 50, colour: 30, price: 99, size: 30 };

type FacetAnswer = z.infer<typeof Facets>;
type Row = {
  kind: string;
  value: string | null;
  label: string | null;
  path: string | null;
  n: number;
};

/** The band of a price, as `width_bucket` numbers them: 0 below the second bound, and so on. */
export function priceBand(i: number) {
  const min = PRICE_BANDS[i]!;
  const next = PRICE_BANDS[i + 1];
  const max = next === undefined ? null : next - 1;
  return { band: max === null ? `${min}-` : `${min}-${max}`, min, max };
}

/**
 * For a key of `kind` (`size:m`), the text before and after it in each combination (facet_combos) it makes with one
 * selected value of each of `others`: [`colour:navy\n`, ``] for size with colour=navy.
 */
export function aroundKey(query: ProductListQuery, kind: OptionFacet, others: readonly OptionFacet[]) {
  const marker = '\u0000'; // never in a value: filters refuse NUL
  return combos({ ...query, [kind]: [marker] }, [kind, ...others]).map((c) => {
    const at = c.indexOf(marker);
    return [c.slice(0, at - kind.length - 1), c.slice(at + 1)] as const;
  });
}

/** The counts of `kinds` for the matches of `q` (the query the page's items came from) and the filters. */
export async function facetCounts(
  db: Reader,
  query: ProductListQuery,
  asked: readonly FacetKind[],
  q: string | undefined,
  { kept = true, timeoutMs }: { kept?: boolean; timeoutMs?: number } = {},
): Promise<{ facets: FacetAnswer; exhaustive: boolean }> {
  const selected = new Set<FilterKind>(selectedKinds(query));
  // The set each kind counts over: all filters but its own, if it has one selected.
  const setOf = (kind: FacetKind) => (selected.has(kind as FilterKind) ? kind : 'all');
  // A set with no `q` and no filter but the category is summed from the kept counts (facet_counts), exactly; the
  // others are counted over their matching products, at most FACET_SCAN_LIMIT of them. `kept: false` counts every
  // set over its products (the tests compare the two).
  const isKept = (set: string) => kept && !q && [...selected].every((k) => k === set || k === 'category');
  const keptKinds = asked.filter((k) => isKept(setOf(k)));
  const kinds = asked.filter((k) => !isKept(setOf(k)));
  const sets = [...new Set(kinds.map(setOf))];
  const name = (set: string) => sql.raw(`m_${set}`);
  // The selected option kinds a set's option counts must share a variant with: all of them but the set's own.
  const othersOf = (set: string) => OPTION_FACETS.filter((o) => query[o] && o !== set);
  const tsq = q ? sql`p.search @@ websearch_to_tsquery('english', ${q})` : undefined;
  const ctes = sets.map((set) => {
    const where: SQL[] = [sql`p.status = 'published'`];
    if (tsq) where.push(tsq);
    where.push(...filterConditions(query, aliasColumns, set === 'all' ? undefined : (set as FilterKind)));
    const combos = othersOf(set).length > 0 ? sql`, p.facet_combos` : sql``;
    return sql`${name(set)} as materialized (select p.brand, p.brand_key, p.category_id, p.price_amount, p.facet_keys,
        p.facet_labels${combos} from ${products} p join ${categories} on ${categories.id} = p.category_id
      where ${sql.join(where, sql` and `)} limit ${FACET_SCAN_LIMIT + 1})`;
  });
  const optionKinds = kinds.filter((k): k is OptionFacet => (OPTION_FACETS as readonly string[]).includes(k));
  const groups = kinds.flatMap((kind) => {
    const m = name(setOf(kind));
    if (kind === 'brand') return [sql`select 'brand', brand_key, min(brand), null, count(*)::int from ${m} group by 2`];
    if (kind === 'category') {
      // By each product's own category; and each selected category by its whole subtree (a parent has no
      // products of its own), so that a selected value always shows its count.
      const leaves = sql`select 'category', c.slug, min(c.name), min(c.path), count(*)::int
        from ${m} s join ${categories} c on c.id = s.category_id group by c.slug`;
      if (!query.category) return [leaves];
      return [
        sql`${leaves} union all select 'category', sel.slug, min(sel.name), min(sel.path), count(*)::int
        from ${m} s join ${categories} c on c.id = s.category_id
          join ${categories} sel on sel.slug = any(${textArray(query.category)})
            and (c.path = sel.path or c.path like sel.path || '/%')
        group by sel.slug`,
      ];
    }
    if (kind === 'price')
      return [
        sql`select 'price', width_bucket(price_amount, ${sql.raw(`array[${PRICE_BANDS.slice(1).join(',')}]`)})::text,
        null, null, count(*)::int from ${m} group by 2`,
      ];
    return [];
  });
  // The options: one pass over each set's keys for all the option kinds counted over it (`size:m`, `colour:navy`).
  const optionSets = [...new Set(optionKinds.map(setOf))];
  for (const set of optionSets) {
    const m = name(set);
    // The set-returning functions in the select list run in lockstep (a key beside its label) and stream, where
    // unnest(a, b) in FROM fills a tuplestore per row: about twice as fast here.
    // With other option kinds selected, a value counts for a product only when one of its variants has it together
    // with a selected value of each of them (size=m&colour=navy: the colours of its size-m variants).
    const others = othersOf(set);
    const combos = others.length > 0 ? sql`, facet_combos` : sql``;
    const onOneVariant = optionKinds
      .filter((k) => setOf(k) === set && others.length > 0)
      .map((k) => {
        const around = aroundKey(query, k, others).map(([pre, post]) => sql`${pre}::text || o.key || ${post}::text`);
        return sql`(not starts_with(o.key, ${`${k}:`}) or o.facet_combos && array[${sql.join(around, sql`, `)}])`;
      });
    const where = onOneVariant.length > 0 ? sql` where ${sql.join(onOneVariant, sql` and `)}` : sql``;
    groups.push(sql`select ${`options:${set}`}::text, o.key, min(o.label collate "C"), null, count(*)::int
      from (select unnest(facet_keys) as key, unnest(facet_labels) as label${combos} from ${m}) as o${where}
      group by 2`);
  }
  const sizes = sets.map((set) => sql`select '#', ${set}::text, null, null, count(*)::int from ${name(set)}`);
  groups.push(...keptGroups(query, keptKinds));
  const statement = sql`${ctes.length > 0 ? sql`with ${sql.join(ctes, sql`, `)} ` : sql``}select * from (${sql.join(
    [...groups, ...sizes],
    sql` union all `,
  )}) as f(kind, value, label, path, n)`;
  // A search's counts run as its page does (search-statement.ts): under its statement_timeout, and with no scan of
  // the catalog for match sets under a LIMIT (two common words that never meet would be looked for in every product).
  const result = (
    q
      ? await searchStatement(db, (d) => d.execute<Row>(statement), { timeoutMs, planner: true })
      : await db.execute<Row>(statement)
  ) as { rows: Row[] };
  // Each option kind's rows from its set's pass, as rows of that kind.
  const rows = result.rows.flatMap((r): Row[] => {
    if (!r.kind.startsWith('options:')) return [r];
    const set = r.kind.slice('options:'.length);
    const kind = optionKinds.find((k) => setOf(k) === set && r.value?.startsWith(`${k}:`));
    return kind ? [{ ...r, kind, value: r.value!.slice(kind.length + 1) }] : [];
  });
  return shapeFacets(query, asked, rows);
}

/**
 * The counts of `kinds` whose sets have no `q` and no filter but the category, summed from facet_counts (migration
 * 0015: per category, kind and value, kept by the products' write path): the category's subtree when one is
 * selected (but for the category kind itself, which counts every category), the whole catalog otherwise. A value
 * whose products are all gone stays at 0 and is left out, as the products' count leaves it out.
 */
function keptGroups(query: ProductListQuery, kinds: readonly FacetKind[]): SQL[] {
  if (kinds.length === 0) return [];
  const groups: SQL[] = [];
  // brand, price (its band's number) and the options: their own rows, in the selected categories' subtrees (their
  // sets are their own or `all`, so they keep the category filter).
  const valued = kinds.filter((k) => k !== 'category');
  const subtree = query.category
    ? sql` and fc.category_id in (select c.id from ${categories} c join ${categories} sel
        on sel.slug = any(${textArray(query.category)}) and (c.path = sel.path or c.path like sel.path || '/%'))`
    : sql``;
  if (valued.length > 0)
    groups.push(sql`select fc.kind, fc.value, min(fc.label collate "C"), null, sum(fc.n)::int
      from ${categoryFacetCounts} fc where fc.kind = any(${textArray(valued)})${subtree}
      group by fc.kind, fc.value having sum(fc.n) > 0`);
  if (kinds.includes('category')) {
    groups.push(sql`select 'category', c.slug, min(c.name), min(c.path), sum(fc.n)::int
      from ${categoryFacetCounts} fc join ${categories} c on c.id = fc.category_id
      where fc.kind = '#' group by c.slug having sum(fc.n) > 0`);
    if (query.category)
      groups.push(sql`select 'category', sel.slug, min(sel.name), min(sel.path), sum(fc.n)::int
        from ${categoryFacetCounts} fc join ${categories} c on c.id = fc.category_id
          join ${categories} sel on sel.slug = any(${textArray(query.category)})
            and (c.path = sel.path or c.path like sel.path || '/%')
        where fc.kind = '#' group by sel.slug`);
  }
  return groups;
}

/** The rows of the statement as the answer: each kind's values, most products first, selected values kept. */
export function shapeFacets(
  query: ProductListQuery,
  kinds: readonly FacetKind[],
  rows: Row[],
): { facets: FacetAnswer; exhaustive: boolean } {
  const facets: FacetAnswer = {};
  const exhaustive = rows.filter((r) => r.kind === '#').every((r) => Number(r.n) <= FACET_SCAN_LIMIT);
  const byCount = (a: { count: number; value: string }, b: { count: number; value: string }) =>
    b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
  for (const kind of kinds) {
    const mine = rows.filter((r) => r.kind === kind && r.value !== null);
    if (kind === 'price') {
      facets.price = mine
        .map((r) => ({ ...priceBand(Number(r.value)), count: Number(r.n) }))
        .sort((a, b) => a.min - b.min);
      continue;
    }
    // A selected category that is also a product's own comes twice, with the same count. Each value as a filter
    // takes it (and as the query holds it): a comma in a brand or an option value escaped, so it joins a comma list.
    const unique = [...new Map(mine.map((r) => [r.value!, r])).values()];
    const values = unique.map((r) => ({
      value: encodeFilterValue(r.value!),
      label: r.label ?? r.value!,
      count: Number(r.n),
      ...(kind === 'category' ? { path: r.path ?? '' } : {}),
    }));
    values.sort(byCount);
    const chosen = new Set<string>(kind === 'category' ? (query.category ?? []) : (query[kind] ?? []));
    const listed = values.filter((v, i) => i < FACET_TOP[kind] || chosen.has(v.value));
    for (const v of chosen)
      if (!listed.some((l) => l.value === v))
        listed.push({ value: v, label: decodeFilterValue(v), count: 0, ...(kind === 'category' ? { path: '' } : {}) });
    if (kind === 'category') facets.category = listed as NonNullable<FacetAnswer['category']>;
    else facets[kind] = listed;
  }
  return { facets, exhaustive };
}
