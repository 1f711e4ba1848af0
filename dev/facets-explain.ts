// The cost of filters and facets at a catalog size, in SQL: EXPLAIN ANALYZE's Execution Time of the statements the
// catalog sends for GET /v1/products with filters and `facets=all` (products.repo.ts, facets.ts): the page's and the
// counts', for a plain list, a category, a common word, and each with filters selected. Each runs 3 times warm; the
// median. Loads SEED_PRODUCTS (default 100,000) into a throwaway embedded Postgres, or reuses DATA_DIR (kept; the
// sized seed is recognised and not loaded again).
// Run: SEED_PRODUCTS=100000 npx tsx dev/facets-explain.ts    (DATA_DIR=/tmp/x to keep and reuse the data)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { runMigrations } from '../db/migrate';
import { progressLine, seed, seedSize } from '../db/seed';
import { ProductListQuery } from '../lib/catalog/schemas';
import { FACET_SCAN_LIMIT } from '../workers/catalog/src/facets';
import { listProducts } from '../workers/catalog/src/products.repo';
import { freePorts } from './ports';
import { startPostgres } from './postgres';

const count = seedSize(process.env.SEED_PRODUCTS ?? '100000');
const dir = process.env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'facets-explain-'));
const [primaryPort, replicaPort] = await freePorts(2);
const cluster = await startPostgres({ dataDir: dir, primaryPort: primaryPort!, replicaPort: replicaPort! });

/** Every statement the catalog's code sends for one call, captured through drizzle's logger. */
async function captured(client: pg.Client, run: (db: never) => Promise<unknown>) {
  const sent: { sql: string; params: unknown[] }[] = [];
  const db = drizzle({ client, logger: { logQuery: (sql, params) => sent.push({ sql, params }) } });
  const answer = await run(db as never);
  return { sent, answer: answer as { items: unknown[]; facetsExhaustive?: boolean } };
}

async function ms(client: pg.Client, sql: string, params: unknown[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const plan = await client.query(`explain (analyze, format json) ${sql}`, params);
    times.push(plan.rows[0]['QUERY PLAN'][0]['Execution Time'] as number);
  }
  return times.sort((a, b) => a - b)[1]!;
}

try {
  await runMigrations(cluster.primaryUrl);
  const started = Date.now();
  const counts = await seed(cluster.primaryUrl, {
    products: count,
    progress: (done, total, took) => done % 50_000 === 0 && console.log(progressLine(done, total, took)),
  });
  console.log(`seed ${JSON.stringify(counts)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const client = new pg.Client({ connectionString: cluster.primaryUrl });
  await client.connect();
  try {
    await client.query('vacuum analyze');
    const word = (
      await client.query<{ word: string }>(
        `select word from search_words where length(word) >= 4 and word ~ '^[a-z]+$' order by ndoc desc limit 1`,
      )
    ).rows[0]!.word;
    const brand = (
      await client.query<{ b: string }>(
        `select lower(brand) b from products p join categories c on c.id = p.category_id
         where c.slug = 'mens-shirts' group by 1 order by count(*) desc limit 1`,
      )
    ).rows[0]!.b;
    const cases: [string, Record<string, string>][] = [
      ['plain list', {}],
      ['plain list, size=m', { size: 'm' }],
      ['category=apparel', { category: 'apparel' }],
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
    console.log(`\n| ${count.toLocaleString('en-US')} products | page ms | facets=all ms | exhaustive |`);
    console.log('|---|---|---|---|');
    for (const [name, input] of cases) {
      const query = ProductListQuery.parse({ ...input, facets: 'all' });
      const { sent, answer } = await captured(client, (db) => listProducts(db, query));
      const facetSql = sent.find((s) => s.sql.includes('materialized'))!;
      const page = sent.find((s) => s !== facetSql)!;
      console.log(
        `| ${name} | ${(await ms(client, page.sql, page.params)).toFixed(1)} | ${(await ms(client, facetSql.sql, facetSql.params)).toFixed(1)} | ${answer.facetsExhaustive} |`,
      );
    }
    console.log(`\n(FACET_SCAN_LIMIT = ${FACET_SCAN_LIMIT})`);
    const heavy = ProductListQuery.parse({ q: word, size: 'm', colour: 'navy', facets: 'all' });
    const { sent } = await captured(client, (db) => listProducts(db, heavy));
    const facetSql = sent.find((s) => s.sql.includes('materialized'))!;
    const text = await client.query(`explain (analyze, costs off) ${facetSql.sql}`, facetSql.params);
    console.log(
      `\nfacet plan for q=${word}, size=m, colour=navy:\n${text.rows.map((r) => r['QUERY PLAN']).join('\n')}`,
    );
  } finally {
    await client.end();
  }
} finally {
  await cluster.stop();
  if (!process.env.DATA_DIR) fs.rmSync(dir, { recursive: true, force: true });
}
