// The relevance query's ways of reading a tier (workers/catalog/src/products.repo.ts `tierBounded`), for one word or
// several: the short walk, the tier's GIN hits sorted when they are at most `bitmapMax`, the capped deep walk, and
// the GIN hits sorted when no walk filled the page. Each way, paged, must give exactly the order that ranking every
// match gives (tier, static rank, id, all descending), with web-search syntax (a negated word, a phrase) and a
// filter: as the catalog reads it (the seed's common words fill a page in the short walk), with no short walk, with
// no short walk and a bound of 0 (the deep walk), and with neither walk (every page sorted from the GIN hits).
// Run: npx vitest run --project tools dev/search-plans.test.ts
import type pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { ProductListQuery } from '../lib/catalog/schemas';
import { listProducts, type SearchTuning } from '../workers/catalog/src/products.repo';
import { captured, isPageStatement, planText, useSearchSettings, withSeededPostgres } from './explain-kit';

vi.setConfig({ testTimeout: 120_000 });

/** Every match of `q`, ranked the plain way: its tier computed per row, then every match sorted. */
async function reference(client: pg.Client, q: string, brand?: string): Promise<string[]> {
  const rows = await client.query<{ id: string }>(
    `select p.id from products p join product_ranks r on r.product_id = p.id, websearch_to_tsquery('english', $1) q,
       websearch_to_tsquery('title_exact', $1) e
     where p.status = 'published' and p.search @@ q and ($2::text is null or p.brand_key = $2)
     order by case when ts_filter(p.search, '{a}') @@ q and to_tsvector('title_exact', p.title) @@ e then 5
       when ts_filter(p.search, '{a}') @@ q then 4 when ts_filter(p.search, '{a,b}') @@ q then 2 else 1 end
       desc, r.rank desc, p.id desc`,
    [q, brand ?? null],
  );
  return rows.rows.map((r) => r.id);
}

/** Every page of the catalog's own search, five at a time, and the statements it sent. */
async function paged(client: pg.Client, q: string, tuning: SearchTuning, brand?: string) {
  const ids: string[] = [];
  const sent: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 200; i++) {
    const query = ProductListQuery.parse({ q, limit: 5, cursor, ...(brand ? { brand } : {}) });
    const { answer, sent: s } = await captured(client, (db) => listProducts(db, query, tuning));
    sent.push(...s.map((x) => x.sql));
    ids.push(...answer.items.map((p) => p.id));
    cursor = answer.nextCursor ?? undefined;
    if (!cursor) return { ids, sent };
  }
  throw new Error(`${q}: more than 200 pages`);
}

describe('the relevance query’s ways of reading a tier', () => {
  it('pages every query exactly as ranking all its matches does, walked or sorted', async () => {
    await withSeededPostgres(
      'search-plans-test',
      async ({ client }) => {
        await useSearchSettings(client);
        // Some rank ties broken by sales and stock, so that the order is not just ids.
        await client.query(`update inventory_levels set sold = (hashtext(sku) & 15), version = 1,
          available = (hashtext(sku) & 3) where sku in (select sku from inventory_levels order by sku limit 200)`);
        const brand = (
          await client.query<{ b: string }>(`select brand_key b from products
            where search @@ websearch_to_tsquery('english', 'cotton shirt') group by 1 order by count(*) desc limit 1`)
        ).rows[0]!.b;
        // A title match of `linen -dress` that is no match of it: its description names a dress.
        const towel = await client.query<{ id: string }>(`insert into products (slug, title, description, brand,
            category_id, price_amount, currency, images)
          values ('linen-tea-towel-plans', 'Linen Tea Towel', 'Dries a dress.', 'Testbrand',
            (select id from categories order by slug limit 1), 1000, 'USD', '[]') returning id`);
        const cases: { q: string; brand?: string }[] = [
          { q: 'cotton shirt' },
          { q: 'linen -dress' },
          { q: 'classic -velvet' },
          { q: '"chef knife"' },
          { q: `${brand} classic` },
          { q: 'cotton shirt', brand },
          { q: 'cotton' },
          { q: 'cotton', brand },
          // Exact over stemmed: "Corduroys" titles before "Corduroy" ones, and the reverse.
          { q: 'corduroys' },
          { q: 'corduroy' },
          { q: 'corduroys -chinos' },
          { q: 't-shirt' },
          { q: '"oxford shirt" or denim' },
        ];
        for (const { q, brand: b } of cases) {
          const expected = await reference(client, q, b);
          expect(expected.length, q).toBeGreaterThan(5);
          if (q === 'linen -dress') expect(expected).not.toContain(towel.rows[0]!.id);
          const first = await paged(client, q, {}, b);
          expect(first.ids, `${q}, as the catalog reads it`).toEqual(expected);
          // No short walk: the tier's GIN hits sorted (the seed has fewer than BITMAP_MAX).
          const sorted = await paged(client, q, { walkFirst: 0 }, b);
          expect(sorted.ids, `${q}, sorted`).toEqual(expected);
          // No short walk and a bound of 0: the deep walk, and the GIN hits sorted where it does not fill a page.
          const walked = await paged(client, q, { walkFirst: 0, bitmapMax: 0 }, b);
          expect(walked.ids, `${q}, walked`).toEqual(expected);
          // A short walk of one rank per row of the page, then the deep walk after it (or the GIN hits sorted).
          const stepped = await paged(client, q, { walkFirst: 1, bitmapMax: 0 }, b);
          expect(stepped.ids, `${q}, walked in two steps`).toEqual(expected);
          // Neither walk: every page from the GIN hits, after a count that says there are many.
          const capped = await paged(client, q, { walkFirst: 0, bitmapMax: 0, deepWalk: 0 }, b);
          expect(capped.ids, `${q}, walks capped at nothing`).toEqual(expected);
          if (q === 'classic -velvet') {
            // A common match of several words: its first page comes from the short walk alone, no GIN read.
            const { sent } = await captured(client, (db) =>
              listProducts(db, ProductListQuery.parse({ q, limit: 5 }), {}),
            );
            const statement = sent.find(isPageStatement)!;
            const plan = await planText(client, statement.sql, statement.params);
            expect(plan).toMatch(/Bitmap Heap Scan/);
            for (const line of plan.split('\n').filter((l) => /Bitmap Heap Scan/.test(l)))
              expect(line).toMatch(/never executed/);
          }
          // One word or several: every tier through the bounded choice.
          expect(
            first.sent.every((s) => !/ranked limit/.test(s) || /with w as/.test(s)),
            q,
          ).toBe(true);
        }
      },
      { env: { SEED_PRODUCTS: '1200' }, log: () => {} },
    );
  });

  it('puts the query’s words as written first (stop words aside), reads a query of stop words as nothing, and uses the title words index', async () => {
    await withSeededPostgres(
      'search-plans-exact',
      async ({ client }) => {
        await useSearchSettings(client);
        const insert = (slug: string, title: string) =>
          client.query<{ id: string }>(
            `insert into products (slug, title, description, brand, category_id, price_amount, currency, images)
             values ($1, $2, 'Plain.', 'Testbrand', (select id from categories order by slug limit 1), 1000, 'USD', '[]')
             returning id`,
            [slug, title],
          );
        const ids = async (q: string) =>
          (
            await captured(client, (db) => listProducts(db, ProductListQuery.parse({ q, limit: 10 }), {}))
          ).answer.items.map((p) => p.id);
        const asWritten = (await insert('plans-linen-shirts-for-men', 'Linen Shirts for Men')).rows[0]!.id;
        const reordered = (await insert('plans-men-linen-shirts', 'Men Linen Shirts')).rows[0]!.id;
        const stemmed = (await insert('plans-linen-shirt-for-men', 'Linen Shirt for Men')).rows[0]!.id;
        // Titles with a stop word, enough for the planner to expect many titles "with" it.
        await client.query(`insert into products (slug, title, description, brand, category_id, price_amount, currency,
            images) select 'plans-tote-with-zip-' || i, 'Tote With Zip ' || i, 'Plain.', 'Testbrand',
            (select id from categories order by slug limit 1), 1000, 'USD', '[]' from generate_series(1, 300) i`);
        await client.query('analyze products');

        // `for` is a stop word as written too: both titles with "shirts" and "men" come before the stemmed one.
        const shirts = await ids('shirts for men');
        expect(new Set(shirts.slice(0, 2))).toEqual(new Set([asWritten, reordered]));
        expect(shirts[2]).toBe(stemmed);
        expect(await ids('shirt for men')).toEqual(expect.arrayContaining([stemmed]));
        expect((await ids('shirt men'))[0]).toBe(stemmed);

        // Stop words only: no match in any tier, and no walk of the rank order looking for one.
        for (const q of ['with', 'the with']) {
          const { answer, sent } = await captured(client, (db) =>
            listProducts(db, ProductListQuery.parse({ q, limit: 24 }), {}),
          );
          expect(answer.items, q).toEqual([]);
          const statement = sent.find(isPageStatement)!;
          const plan = await planText(client, statement.sql, statement.params);
          const walked = [
            ...plan.matchAll(/product_ranks_rank_idx on product_ranks \w+ \(actual time=[\d.]+ rows=([\d.]+)/g),
          ];
          for (const [, rows] of walked) expect(Number(rows), `${q}: ranks walked\n${plan}`).toBeLessThan(30);
        }

        // A rare word as written is read through the title words index (the query's expression is the index's).
        const { sent } = await captured(client, (db) =>
          listProducts(db, ProductListQuery.parse({ q: 'corduroys', limit: 24 }), {}),
        );
        const statement = sent.find(isPageStatement)!;
        expect(await planText(client, statement.sql, statement.params)).toMatch(/products_title_words_idx/);
      },
      { env: { SEED_PRODUCTS: '1200' }, log: () => {} },
    );
  });
});
