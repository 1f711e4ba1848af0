// The search engine's own time at a catalog size, in SQL: EXPLAIN ANALYZE's Execution Time of the catalog's queries
// (products.repo.ts: relevance by tier and static rank, walked with an early stop; suggest.ts: autocomplete) beside
// the ranking it replaced (ts_rank_cd over every match), for the commonest title words, words common in descriptions
// but not titles, two-word and rare queries, and 1- to 3-letter prefixes. Each query runs 3 times warm; the median.
// Loads SEED_PRODUCTS (default 100,000) into a throwaway embedded Postgres, or reuses DATA_DIR (dev/explain-kit.ts).
// Run: SEED_PRODUCTS=100000 npx tsx dev/search-explain.ts    (DATA_DIR=/tmp/x to keep and reuse the data)
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { listProducts } from '../workers/catalog/src/products.repo';
import { suggest } from '../workers/catalog/src/suggest';
import { captured as capturedAll, isPageStatement, medianMs as ms, planText, withSeededPostgres } from './explain-kit';

/** The page's statement of one call: a search's first relevance statement, else the last one sent (autocomplete). */
async function captured(client: pg.Client, run: (db: never) => Promise<unknown>) {
  const { sent } = await capturedAll(client, run);
  return sent.find(isPageStatement) ?? sent.at(-1)!;
}

// The ranking before migration 0012 (products.repo.ts then): ts_rank_cd over every match, top page.
const OLD = `select p.id, p.slug, p.title, p.brand, p.price_amount, ts_rank_cd(p.search, q)::text
  from products p join categories c on c.id = p.category_id, websearch_to_tsquery('english', $1) q
  where p.status = 'published' and p.search @@ q order by ts_rank_cd(p.search, q) desc, p.id limit 25`;

await withSeededPostgres('search-explain', async ({ count, client }) => {
  const top = await client.query<{ word: string; ndoc: number }>(
    `select word, ndoc from search_words where length(word) >= 4 and word ~ '^[a-z]+$' order by ndoc desc limit 5`,
  );
  // Words common in descriptions (a sample's) but in few titles or brands: the relevance walk's hard case.
  const descriptive = await client.query<{ word: string; ndoc: number }>(
    `select s.word, s.ndoc from ts_stat($$select to_tsvector('simple', description) from products
         order by id limit 3000$$) s left join search_words w on w.word = s.word
       where length(s.word) >= 5 and s.word ~ '^[a-z]+$' and coalesce(w.ndoc, 0) < ${Math.max(5, count / 2000)}
       order by s.ndoc desc limit 3`,
  );
  const rare = await client.query<{ word: string }>(
    `select word from search_words where ndoc = 1 and word ~ '^[a-z]{5,}$' order by word limit 2`,
  );
  const queries = [
    ...top.rows.map((r) => ({ cls: 'common', q: r.word })),
    ...descriptive.rows.map((r) => ({ cls: 'descriptive', q: r.word })),
    { cls: 'multi', q: `${top.rows[0]!.word} ${top.rows[3]!.word}` },
    ...rare.rows.map((r) => ({ cls: 'rare', q: r.word })),
  ];
  const matches = async (q: string) =>
    (
      await client.query<{ n: number }>(
        `select count(*)::int n from products where search @@ websearch_to_tsquery('english', $1)`,
        [q],
      )
    ).rows[0]!.n;
  console.log(
    `\n| query (${count.toLocaleString('en-US')} products) | class | matches | ts_rank_cd ms | tiers+rank walk ms |`,
  );
  console.log('|---|---|---|---|---|');
  for (const { cls, q } of queries) {
    const now = await captured(client, (db) => listProducts(db, { q, limit: 24 } as never));
    console.log(
      `| \`${q}\` | ${cls} | ${(await matches(q)).toLocaleString('en-US')} | ${(await ms(client, OLD, [q])).toFixed(1)} | ${(await ms(client, now.sql, now.params)).toFixed(1)} |`,
    );
  }
  console.log(`\n| prefix (${count.toLocaleString('en-US')} products) | suggest ms | first suggestions |`);
  console.log('|---|---|---|');
  for (const w of top.rows.slice(0, 3))
    for (const n of [1, 2, 3]) {
      const q = w.word.slice(0, n);
      const call = await captured(client, (db) => suggest(db, q));
      const got = await suggest(drizzle({ client }) as never, q);
      console.log(
        `| \`${q}\` | ${(await ms(client, call.sql, call.params)).toFixed(2)} | ${got
          .slice(0, 3)
          .map((s) => s.text)
          .join(', ')} |`,
      );
    }
  const plan = await captured(client, (db) => listProducts(db, { q: top.rows[0]!.word, limit: 24 } as never));
  console.log(`\nplan for \`${top.rows[0]!.word}\`:\n${await planText(client, plan.sql, plan.params)}`);
});
