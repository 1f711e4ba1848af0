// The search engine's tail at a catalog size, in SQL: EXPLAIN ANALYZE's Execution Time of the catalog's relevance
// query (products.repo.ts) for many queries of each class, and its p50/p95/p99, the slowest of each class named.
// Classes: `common`, the TAIL_QUERIES (40) commonest title words, as bench/search.ts picks them (the bench times 20);
// `multi`, two words of one product's title, as the bench picks them; `pairs`, two of the 20 commonest title words
// (every fourth of their 190 pairs) (most never meet in a title: the planner's hard case); `rare`, the rarest title
// words; `cursor`, the page a cursor made by hand asks for straight into tier 2 or tier 1 of the commonest words
// (`word@tier`). TAIL_CLASSES=common,cursor runs only those.
// Each query runs twice and the second (warm) time counts. TAIL_WALK_FIRST, TAIL_BITMAP_MAX and TAIL_DEEP_WALK try
// other bounds.
// Run: PG_URL=postgres://storefront:storefront@127.0.0.1:PORT/storefront npx tsx dev/search-tail.ts
//      (a running, loaded Postgres, e.g. a bench data folder's primary), or SEED_PRODUCTS=100000 npx tsx
//      dev/search-tail.ts (a throwaway one, dev/explain-kit.ts; DATA_DIR to keep it).
import pg from 'pg';
import { percentile } from '../bench/load';
import { ProductListQuery } from '../lib/catalog/schemas';
import { encodeCursor } from '../workers/catalog/src/cursor';
import { filterFingerprint } from '../workers/catalog/src/filters';
import { listProducts, type SearchTuning } from '../workers/catalog/src/products.repo';
import { type RankTier, relevanceKey } from '../workers/catalog/src/relevance';
import {
  captured,
  type ExplainSetup,
  isPageStatement,
  planText,
  useSearchSettings,
  withSeededPostgres,
} from './explain-kit';

const n = Number(process.env.TAIL_QUERIES ?? 40);
// The relevance query's bounds (products.repo.ts SearchTuning), to compare others than the catalog's.
const tuning: SearchTuning = {
  ...(process.env.TAIL_WALK_FIRST ? { walkFirst: Number(process.env.TAIL_WALK_FIRST) } : {}),
  ...(process.env.TAIL_BITMAP_MAX ? { bitmapMax: Number(process.env.TAIL_BITMAP_MAX) } : {}),
  ...(process.env.TAIL_DEEP_WALK ? { deepWalk: Number(process.env.TAIL_DEEP_WALK) } : {}),
};

async function queries(client: pg.Client): Promise<Record<string, string[]>> {
  const words = (
    await client.query<{ word: string }>(
      `select word from ts_stat($$select to_tsvector('simple', title) from products where status = 'published'$$)
       where length(word) >= 4 and word ~ '^[a-z]+$' order by ndoc desc, word`,
    )
  ).rows.map((r) => r.word);
  const titles = await client.query<{ title: string }>(
    `select title from products where status = 'published' order by id limit ${n * 3}`,
  );
  const multi = [
    ...new Set(
      titles.rows.map((r) =>
        r.title
          .toLowerCase()
          .split(/[^a-z]+/)
          .filter((w) => w.length >= 3)
          .slice(-2)
          .join(' '),
      ),
    ),
  ].slice(0, n);
  const top = words.slice(0, 20);
  const combos = top.flatMap((a, i) => top.slice(i + 1).map((b) => `${a} ${b}`));
  const pairs = combos.filter((_, i) => i % Math.max(1, Math.floor(combos.length / n)) === 0).slice(0, n);
  const rare = words.slice(-n * 10).filter((_, i) => i % 10 === 0);
  // A cursor made by hand straight into tier 2 and tier 1 (below any rank) of the commonest words: `word@tier`.
  const cursor = words.slice(0, n / 2).flatMap((w) => [`${w}@2`, `${w}@1`]);
  const all = { common: words.slice(0, n), multi, pairs, rare, cursor };
  const only = process.env.TAIL_CLASSES?.split(',');
  return only ? Object.fromEntries(Object.entries(all).filter(([c]) => only.includes(c))) : all;
}

/** The first page of `q`, or for `word@tier` the page a cursor made by hand into that tier asks for. */
function pageQuery(q: string): ProductListQuery {
  const [word, tier] = q.split('@');
  const query = ProductListQuery.parse({ q: word, limit: 24 });
  if (!tier) return query;
  const key = relevanceKey(Number(tier) as RankTier, 2 ** 31 - 1);
  const filter = filterFingerprint(query);
  const cursor = encodeCursor({ sort: 'relevance', filter, key: [key, 'ffffffff-ffff-4fff-bfff-ffffffffffff'] });
  return { ...query, cursor };
}

async function tail({ client }: Pick<ExplainSetup, 'client'>) {
  const classes = await queries(client);
  await useSearchSettings(client);
  console.log('\n| class | queries | p50 ms | p95 ms | p99 ms | slowest |\n|---|---|---|---|---|---|');
  let worst: { q: string; ms: number } | undefined;
  for (const [cls, list] of Object.entries(classes)) {
    const times: { q: string; ms: number }[] = [];
    for (const q of list) {
      const { sent } = await captured(client, (db) => listProducts(db, pageQuery(q), tuning));
      // The page's statements: its first tier's, and the lower tiers' when that did not fill it.
      let ms = 0;
      for (const s of sent.filter(isPageStatement))
        for (let i = 0; i < 2; i++) {
          const plan = await client.query(`explain (analyze, format json) ${s.sql}`, s.params);
          if (i === 1) ms += plan.rows[0]['QUERY PLAN'][0]['Execution Time'] as number;
        }
      times.push({ q, ms });
    }
    times.sort((a, b) => a.ms - b.ms);
    const xs = times.map((t) => t.ms);
    const slowest = times.slice(-3).reverse();
    if (!worst || slowest[0]!.ms > worst.ms) worst = slowest[0];
    console.log(
      `| ${cls} | ${xs.length} | ${percentile(xs, 50).toFixed(1)} | ${percentile(xs, 95).toFixed(1)} | ` +
        `${percentile(xs, 99).toFixed(1)} | ${slowest.map((t) => `\`${t.q}\` ${t.ms.toFixed(1)}`).join(', ')} |`,
    );
  }
  if (worst && process.env.TAIL_PLAN) {
    const { sent } = await captured(client, (db) => listProducts(db, pageQuery(worst.q), tuning));
    const statement = sent.find(isPageStatement)!;
    console.log(`\nplan of the slowest, \`${worst.q}\`:\n${await planText(client, statement.sql, statement.params)}`);
  }
}

if (process.env.PG_URL) {
  const client = new pg.Client({ connectionString: process.env.PG_URL, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await tail({ client });
  } finally {
    await client.end();
  }
} else await withSeededPostgres('search-tail', tail);
