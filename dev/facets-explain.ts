// The cost of filters and facets at a catalog size, in SQL: EXPLAIN ANALYZE's Execution Time of the statements the
// catalog sends for GET /v1/products with filters and `facets=all` (products.repo.ts, facets.ts): the page's and the
// counts', for a plain list, a category, a common word, and each with filters selected; the counts both as the
// catalog sends them (the kept per-category counts where a set allows, facet_counts, migration 0015) and counted
// over the products alone (`kept: false`, as before that migration). Each runs 3 times warm; the median. Loads
// SEED_PRODUCTS (default 100,000) into a throwaway embedded Postgres, or reuses DATA_DIR (dev/explain-kit.ts).
// Run: SEED_PRODUCTS=100000 npx tsx dev/facets-explain.ts    (DATA_DIR=/tmp/x to keep and reuse the data)
import { ProductListQuery } from '../lib/catalog/schemas';
import { FACET_SCAN_LIMIT, facetCounts } from '../workers/catalog/src/facets';
import { listProducts } from '../workers/catalog/src/products.repo';
import { captured, isFacetStatement, isPageStatement, medianMs, planText, withSeededPostgres } from './explain-kit';

await withSeededPostgres('facets-explain', async ({ count, client }) => {
  const word = (
    await client.query<{ word: string }>(
      `select word from search_words where length(word) >= 4 and word ~ '^[a-z]+$' order by ndoc desc limit 1`,
    )
  ).rows[0]!.word;
  const brand = (
    await client.query<{ b: string }>(
      `select brand_key b from products p join categories c on c.id = p.category_id
       where c.slug = 'mens-shirts' group by 1 order by count(*) desc limit 1`,
    )
  ).rows[0]!.b;
  const cases: [string, Record<string, string>][] = [
    ['plain list', {}],
    ['plain list, size=m', { size: 'm' }],
    ['category=apparel', { category: 'apparel' }],
    ['category=apparel, size=m', { category: 'apparel', size: 'm' }],
    [
      'category=mens-shirts, brand, size=m,l, price ≤ 99.99',
      { category: 'mens-shirts', brand, size: 'm,l', price_max: '9999' },
    ],
    [`q=${word}`, { q: word }],
    [
      `q=${word}, size=m, colour=navy, price 25–99.99`,
      { q: word, size: 'm', colour: 'navy', price_min: '2500', price_max: '9999' },
    ],
    [`q=${word}, brand=${brand}`, { q: word, brand }],
  ];
  console.log(
    `\n| ${count.toLocaleString('en-US')} products | page ms | facets=all ms | counted over the products ms | exhaustive |`,
  );
  console.log('|---|---|---|---|---|');
  for (const [name, input] of cases) {
    const query = ProductListQuery.parse({ ...input, facets: 'all' });
    const { sent, answer } = await captured(client, (db) => listProducts(db, query));
    const facetSql = sent.find(isFacetStatement)!;
    const page =
      sent.find((s) => isPageStatement(s)) ?? sent.find((s) => s !== facetSql && !/^(begin|commit)/i.test(s.sql))!;
    const counted = await captured(client, (db) => facetCounts(db, query, query.facets!, query.q, { kept: false }));
    const countedSql = counted.sent.find(isFacetStatement)!;
    console.log(
      `| ${name} | ${(await medianMs(client, page.sql, page.params)).toFixed(1)} | ${(await medianMs(client, facetSql.sql, facetSql.params)).toFixed(1)} | ${(await medianMs(client, countedSql.sql, countedSql.params)).toFixed(1)} | ${answer.facetsExhaustive} |`,
    );
  }
  console.log(`\n(FACET_SCAN_LIMIT = ${FACET_SCAN_LIMIT})`);
  for (const input of [{ category: 'apparel' }, { q: word, size: 'm', colour: 'navy' }]) {
    const query = ProductListQuery.parse({ ...input, facets: 'all' });
    const { sent } = await captured(client, (db) => listProducts(db, query));
    const facetSql = sent.find(isFacetStatement)!;
    console.log(`\nfacet plan for ${JSON.stringify(input)}:\n${await planText(client, facetSql.sql, facetSql.params)}`);
  }
});
