// The relevance query's bounds under data built against it (issue 16, "Known unbounded cases"): matches of several
// words that all rank low, a reversed phrase whose words meet in thousands of products, and a hand-made cursor
// into the description tier of a word with thousands of title matches. Each page must read at most what the caps
// and the query's GIN hits allow (rows of products and product_ranks, from EXPLAIN ANALYZE, never time), where the
// planner's walk or an uncapped count read the catalog, and must still be exactly the order of ranking every match.
// Small caps (`bounds`) over a catalog of about 20,000 products stand for the catalog's over 1,000,000.
// Run: npx vitest run --project tools dev/search-bounds.test.ts
import type pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { ProductListQuery } from '../lib/catalog/schemas';
import { encodeCursor } from '../workers/catalog/src/cursor';
import { filterFingerprint } from '../workers/catalog/src/filters';
import { listProducts, type SearchTuning } from '../workers/catalog/src/products.repo';
import { RANK_TIERS, relevanceKey } from '../workers/catalog/src/relevance';
import { captured, isPageStatement, useSearchSettings, withSeededPostgres } from './explain-kit';

vi.setConfig({ testTimeout: 180_000 });

const limit = 5;
const tiers = RANK_TIERS.length;
const take = limit + 1;
const bounds: Required<Pick<SearchTuning, 'walkFirst' | 'bitmapMax' | 'deepWalk'>> = {
  walkFirst: 4,
  bitmapMax: 20,
  deepWalk: 40,
};
/**
 * What a page may read besides its tiers' GIN hits (each hit a row of products and its rank: 2 rows), in rows of
 * products and product_ranks: per tier read, the short and the deep walk (a rank and a product per step), the count
 * and the page's own rows; once, the count of the query's hits.
 */
const caps = (tiers: number) =>
  tiers * (2 * bounds.walkFirst * take + bounds.bitmapMax + 1 + 2 * bounds.deepWalk * take + 2 * take) +
  bounds.walkFirst * take +
  1;

/** Every match of `q`, ranked the plain way (as dev/search-plans.test.ts's reference). */
async function reference(client: pg.Client, q: string): Promise<string[]> {
  const rows = await client.query<{ id: string }>(
    `select p.id from products p join product_ranks r on r.product_id = p.id, websearch_to_tsquery('english', $1) q,
       websearch_to_tsquery('title_exact', $1) e
     where p.status = 'published' and p.search @@ q
     order by case when ts_filter(p.search, '{a}') @@ q and to_tsvector('title_exact', p.title) @@ e then 5
       when ts_filter(p.search, '{a}') @@ q then 4 when ts_filter(p.search, '{a,b}') @@ q then 2 else 1 end
       desc, r.rank desc, p.id desc`,
    [q],
  );
  return rows.rows.map((r) => r.id);
}

/** The rows of `products` and `product_ranks` a statement reads (kept or filtered out), from EXPLAIN ANALYZE. */
async function rowsRead(client: pg.Client, sql: string, params: unknown[]): Promise<number> {
  const plan = await client.query(`explain (analyze, format json) ${sql}`, params);
  let read = 0;
  const visit = (node: Record<string, unknown>) => {
    if (node['Relation Name'] === 'products' || node['Relation Name'] === 'product_ranks') {
      const rows =
        Number(node['Actual Rows'] ?? 0) +
        Number(node['Rows Removed by Filter'] ?? 0) +
        Number(node['Rows Removed by Index Recheck'] ?? 0);
      read += rows * Number(node['Actual Loops'] ?? 1);
    }
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
  };
  visit(plan.rows[0]['QUERY PLAN'][0].Plan);
  if (process.env.BOUNDS_PLAN && read > Number(process.env.BOUNDS_PLAN)) {
    const text = await client.query(`explain (analyze, costs off) ${sql}`, params);
    console.log(
      text.rows
        .map((r) => r['QUERY PLAN'])
        .filter((l: string) => !/never executed/.test(l))
        .join('\n'),
    );
  }
  return Math.round(read);
}

/** The query's GIN hits: the products with every word it does not negate, wherever they stand. */
async function ginHits(client: pg.Client, q: string): Promise<number> {
  const r = await client.query<{ n: number }>(
    `select count(*)::int n from products p where p.search @@ regexp_replace(
       querytree(websearch_to_tsquery('english', $1)), '<(-|[0-9]+)>', '&', 'g')::tsquery`,
    [q],
  );
  return r.rows[0]!.n;
}

/** One page of the catalog's search: its ids, its cursor, and the rows its relevance statements read. */
async function page(client: pg.Client, q: string, cursor?: string, size = limit) {
  const query = ProductListQuery.parse({ q, limit: size, cursor });
  const { answer, sent } = await captured(client, (db) => listProducts(db, query, bounds));
  // The page's statements: its first tier's, and the lower tiers' when that did not fill it.
  let read = 0;
  for (const statement of sent.filter(isPageStatement)) read += await rowsRead(client, statement.sql, statement.params);
  return { ids: answer.items.map((p) => p.id), next: answer.nextCursor ?? undefined, read };
}

/** Every page of `q` from `cursor` on, and the most rows one page read. */
async function allPages(client: pg.Client, q: string, cursor?: string) {
  const ids: string[] = [];
  let most = 0;
  for (let i = 0; i < 100; i++) {
    const p = await page(client, q, cursor);
    ids.push(...p.ids);
    most = Math.max(most, p.read);
    cursor = p.next;
    if (!cursor) return { ids, most };
  }
  throw new Error(`${q}: more than 100 pages`);
}

/** Inserts `n` products titled `title` plus their number, with ids from `idPrefix` (8 hex digits) when given. */
async function products(
  client: pg.Client,
  n: number,
  title: string,
  opts: { idPrefix?: string; description?: string },
) {
  await client.query(
    `insert into products (id, slug, title, description, brand, category_id, price_amount, currency, images)
     select case when $3::text is null then gen_random_uuid()
                 else ($3 || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid end,
       lower(replace($1, ' ', '-')) || '-' || g, $1 || ' ' || g, $4, 'Boundbrand',
       (select id from categories order by slug limit 1), 1000, 'USD', '[]'
     from generate_series(1, $2::int) g`,
    [title, n, opts.idPrefix ?? null, opts.description ?? 'Plain.'],
  );
}

describe('the relevance query’s bounds', () => {
  it('reads at most its caps and GIN hits: matches that rank low, a reversed phrase, a cursor made by hand', async () => {
    await withSeededPostgres(
      'search-bounds-test',
      async ({ client }) => {
        // A catalog of about 20,000, most of it unsold new products (rank 0) that match nothing asked here.
        await products(client, 12_000, 'Plinth', {});
        // 1. Two words with thousands of title matches each, that meet only in 30 products at the very bottom of
        //    the rank order (rank 0, the lowest ids).
        await products(client, 2000, 'Zorblax Item', {});
        await products(client, 2000, 'Quimmet Item', {});
        await products(client, 30, 'Zorblax Quimmet', { idPrefix: '00000000' });
        // 2. A phrase's words in 3,000 titles in the other order, and in its order in 300 ranked near the top.
        await products(client, 3000, 'Vextrin Ombul', {});
        await products(client, 300, 'Ombul Vextrin', { idPrefix: '00000001' });
        // 3. `zorblax` in 10 descriptions only, at the bottom of the rank order.
        await products(client, 10, 'Gadget', { idPrefix: '00000002', description: 'Works with a zorblax.' });
        // The ranks: 100 seed products on top, then the 300 phrase matches, everything else 0.
        await client.query(`update product_ranks set rank = 0`);
        await client.query(`update product_ranks set rank = 1000 + (hashtext(product_id::text) & 1023)
          where product_id in (select id from products where brand <> 'Boundbrand' order by id limit 100)`);
        await client.query(`update product_ranks r set rank = 500 + (hashtext(r.product_id::text) & 255)
          from products p where p.id = r.product_id and p.title like 'Ombul Vextrin %'`);
        await client.query('analyze');
        await useSearchSettings(client);

        // 1. All the matches rank low: the planner's walk, and the old uncapped walk, passed the whole catalog.
        const low = 'zorblax quimmet';
        const lowPages = await allPages(client, low);
        expect(lowPages.ids).toEqual(await reference(client, low));
        expect(lowPages.ids).toHaveLength(30);
        expect.soft(lowPages.most, low).toBeLessThanOrEqual(caps(tiers) + tiers * 2 * 30);

        // Stop words only: no word to match, nothing to walk.
        const none = await page(client, 'the');
        expect(none.ids).toEqual([]);
        expect.soft(none.read, 'the').toBeLessThanOrEqual(take);

        // 2. The reversed phrase: a count of its matches read every product with both words in the other order.
        const phrase = '"ombul vextrin"';
        const first = await page(client, phrase);
        const expected = await reference(client, phrase);
        expect(expected).toHaveLength(300);
        expect(first.ids).toEqual(expected.slice(0, limit));
        expect.soft(first.read, phrase).toBeLessThanOrEqual(caps(1));
        const phrasePages = await allPages(client, phrase);
        expect(phrasePages.ids).toEqual(expected);

        // 3. A cursor made by hand straight into the description tier of `zorblax` (2,030 title matches): the
        //    planner walked the rank order to its end for the 10 description matches.
        const word = 'zorblax';
        const all = await reference(client, word);
        expect(all).toHaveLength(2040);
        const cursor = encodeCursor({
          sort: 'relevance',
          filter: filterFingerprint(ProductListQuery.parse({ q: word, limit })),
          key: [relevanceKey(1, 2 ** 31 - 1), 'ffffffff-ffff-4fff-bfff-ffffffffffff'],
        });
        const tierOne = await allPages(client, word, cursor);
        expect(tierOne.ids).toEqual(all.slice(-10));
        const hits = await ginHits(client, word);
        expect.soft(tierOne.most, word).toBeLessThanOrEqual(caps(1) + 2 * hits);
      },
      { env: { SEED_PRODUCTS: '1200' }, log: () => {} },
    );
  });
});
