// The search scenario (BENCH_ONLY=search): cache-miss searches through the gateway, by query class, at a catalog
// size of BENCH_SEARCH_PRODUCTS (1,200 by default; 100,000 or 1,000,000: the seed's SEED_PRODUCTS, in a data folder
// of its own, .data/bench/search-<N>, loaded once and kept). Query classes, picked from the loaded catalog:
//   common  the commonest title words (ts_stat over the A-weighted lexemes);
//   rare    the rarest title words (one title each at 100,000 products);
//   multi   two words of one product's title;
//   prefix  the first one to three letters of a common word, as a shopper types it: autocomplete,
//           GET /v1/products/suggest (each (prefix, variant) once: see `drive`);
//   typo    a common word with two neighbouring letters swapped (`shrit`).
// Every request is a cache miss: each (query, limit 24..100) pair is asked once, and the stack starts with an empty
// edge cache, warmed first by up to 40 requests outside the measured queries (`warmUp`). BENCH_SEARCH_CONCURRENCY
// requests in flight (4), at most BENCH_SEARCH_REQUESTS per class (200) and BENCH_SECONDS per class. Then the engine's own time: the catalog's SQL for 20 queries of each class under
// EXPLAIN ANALYZE on the replica (warm), its p50/p95/p99 Execution Time.
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { isPageStatement, useSearchSettings } from '../dev/explain-kit';
import { listProducts } from '../workers/catalog/src/products.repo';
import { suggest } from '../workers/catalog/src/suggest';
import { percentile } from './load';
import { log, type BenchStack as Stack, seconds } from './setup';

export const searchProducts = Number(process.env.BENCH_SEARCH_PRODUCTS ?? 1200);
const perClass = Number(process.env.BENCH_SEARCH_REQUESTS ?? 200);
const inFlight = Number(process.env.BENCH_SEARCH_CONCURRENCY ?? 4);
const classes = ['common', 'rare', 'multi', 'prefix', 'typo'] as const;
type QueryClass = (typeof classes)[number];

export interface SearchRow {
  cls: QueryClass;
  examples: string[];
  requests: number;
  misses: number;
  non200: number;
  /** Mean items per answer. */
  items: number;
  p50: number;
  p95: number;
  p99: number;
  engine: { p50: number; p95: number; p99: number };
}

/** One typo: the first two different neighbouring letters after the first swapped (`shirt` → `shrit`... `sihrt`). */
function swap(w: string): string {
  for (let i = 1; i + 1 < w.length; i++)
    if (w[i] !== w[i + 1]) return `${w.slice(0, i)}${w[i + 1]}${w[i]}${w.slice(i + 2)}`;
  return `${w}x`;
}

const distinct = (xs: string[]) => [...new Set(xs.filter(Boolean))];

/** Query words of each class, from the catalog as loaded (the replica). */
async function queriesOf(db: pg.Client): Promise<Record<QueryClass, string[]>> {
  // Plain (unstemmed) title words with the number of titles holding each, commonest first.
  const stats = await db.query<{ word: string; ndoc: number }>(
    `select word, ndoc from ts_stat($$select to_tsvector('simple', title) from products
       where status = 'published'$$) where length(word) >= 4 and word ~ '^[a-z]+$' order by ndoc desc, word`,
  );
  const words = stats.rows;
  const common = words.slice(0, 20).map((r) => r.word);
  // 20 of the 400 rarest words (one title each at 100,000 products; the classic 1,200 have no really rare word).
  const rare = words
    .slice(-400)
    .filter((_, i) => i % 20 === 0)
    .map((r) => r.word);
  const titles = await db.query<{ title: string }>(
    `select title from products where status = 'published' order by id limit 60`,
  );
  const multi = distinct(
    titles.rows.map((r) =>
      r.title
        .toLowerCase()
        .split(/[^a-z]+/)
        .filter((w) => w.length >= 3)
        .slice(-2)
        .join(' '),
    ),
  ).slice(0, 20);
  const prefix = distinct(
    words
      .slice(0, 60)
      .filter((_, i) => i % 3 === 0)
      .map((r, i) => r.word.slice(0, 1 + (i % 3))),
  );
  const typo = distinct(common.map(swap)).filter((t) => !common.includes(t));
  return { common, rare, multi, prefix, typo };
}

/**
 * Warm-up requests, none of them measured nor sharing a cache key or a word with a measured one: searches for 20
 * common title words past the measured 20 and completions of three-letter prefixes of the next 20 (each kept only
 * when no measured query holds the word and no measured prefix starts it), so that the first measured class does
 * not pay for the stack's first requests (isolates starting, code compiling, connections opening), which the classes
 * after it never do. It warms what every query shares (the rank index's first pages, the lexicon's), not a measured
 * word's own matches.
 */
async function warmUp(url: string, db: pg.Client, measured: Record<QueryClass, string[]>) {
  const queries = Object.values(measured).flat();
  const used = new Set(queries.flatMap((q) => q.split(/\s+/)));
  const prefixes = measured.prefix;
  const stats = await db.query<{ word: string }>(
    `select word from ts_stat($$select to_tsvector('simple', title) from products
       where status = 'published'$$) where length(word) >= 4 and word ~ '^[a-z]+$' order by ndoc desc, word
     offset 20 limit 400`,
  );
  const words = stats.rows.map((r) => r.word).filter((w) => !used.has(w) && !prefixes.some((p) => w.startsWith(p)));
  const paths = [
    ...words.slice(0, 20).map((w) => `/v1/products?q=${encodeURIComponent(w)}&limit=23`),
    ...words.slice(20, 40).map((w) => `/v1/products/suggest?q=${encodeURIComponent(`warm ${w.slice(0, 3)}`)}`),
  ];
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      for (let n = next++; n < paths.length; n = next++) {
        const res = await fetch(`${url}${paths[n]}`, {
          headers: { 'cf-connecting-ip': `2001:db8:6::${w.toString(16)}` },
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.status !== 200) failed++;
      }
    }),
  );
  log(`search: warmed the stack with ${paths.length} requests outside the measured queries (${failed} not 200)`);
}

/**
 * The URL of request `n` for `q`, a cache miss: a search asks a page of 24 to 100 (each (query, limit) pair is a key
 * of its own); autocomplete has no limit, so the words typed before the prefix vary instead (`a` … `z` then `q`).
 */
function requestPath(cls: QueryClass, q: string, round: number): string {
  if (cls === 'prefix') {
    const head =
      round === 0 ? '' : `${String.fromCharCode(97 + ((round - 1) % 26))}${Math.floor((round - 1) / 26) || ''} `;
    return `/v1/products/suggest?q=${encodeURIComponent(head + q)}`;
  }
  return `/v1/products?q=${encodeURIComponent(q)}&limit=${24 + (round % 77)}`;
}

/** Cache-miss requests of one class: each (query, limit) once, `inFlight` at a time, bounded in count and time. */
async function drive(url: string, cls: QueryClass, queries: string[]) {
  const latencies: number[] = [];
  let misses = 0;
  let non200 = 0;
  let items = 0;
  let next = 0;
  const errors = new Set<string>();
  const deadline = Date.now() + seconds * 1000;
  const worker = async (w: number) => {
    for (;;) {
      const n = next++;
      if (n >= perClass || Date.now() > deadline) return;
      const q = queries[n % queries.length]!;
      const started = performance.now();
      const res = await fetch(`${url}${requestPath(cls, q, Math.floor(n / queries.length))}`, {
        headers: { 'cf-connecting-ip': `2001:db8:5::${w.toString(16)}` },
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { items?: unknown[]; suggestions?: unknown[]; error?: { code?: string } };
      if (res.status !== 200 && errors.size < 3) errors.add(`${res.status} ${body.error?.code} (q=${q})`);
      latencies.push(performance.now() - started);
      if (res.status !== 200) non200++;
      if (res.headers.get('x-cache') === 'MISS') misses++;
      items += (body.items ?? body.suggestions)?.length ?? 0;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  for (const e of errors) log(`  not 200: ${e}`);
  latencies.sort((a, b) => a - b);
  return { latencies, misses, non200, items };
}

/**
 * The catalog's own SQL for `q` (products.repo.ts, suggest.ts), timed by Postgres: EXPLAIN ANALYZE's Execution Time.
 * A search's page is its last relevance statements (one, or two when its first tier did not fill the page; a typo's
 * are the corrected query's), not the transaction around them; the session has the catalog's planner settings for
 * them (`useSearchSettings`).
 */
async function engineMs(client: pg.Client, cls: QueryClass, q: string): Promise<number> {
  const sent: { sql: string; params: unknown[] }[] = [];
  const capture = drizzle({ client, logger: { logQuery: (sql, params) => sent.push({ sql, params }) } });
  if (cls === 'prefix') await suggest(capture as never, q);
  else await listProducts(capture as never, { q, limit: 24 } as never);
  let timed = [sent.at(-1)!];
  if (cls !== 'prefix') {
    const other = (s: (typeof sent)[number]) =>
      !isPageStatement(s) && !/^(begin|commit|rollback)\b/i.test(s.sql) && !/set_config/.test(s.sql);
    const lastOther = sent.findLastIndex(other);
    timed = sent.slice(lastOther + 1).filter(isPageStatement);
  }
  let ms = 0;
  for (const { sql, params } of timed) {
    const plan = await client.query<{ 'QUERY PLAN': [{ 'Execution Time': number }] }>(
      `explain (analyze, format json) ${sql}`,
      params,
    );
    ms += plan.rows[0]!['QUERY PLAN'][0]['Execution Time'];
  }
  return ms;
}

export async function searchScenario(s: Stack): Promise<SearchRow[]> {
  const replica = new pg.Client({ connectionString: s.pg.replicaUrl, connectionTimeoutMillis: 10_000 });
  await replica.connect();
  try {
    const [{ n }] = (
      await replica.query<{ n: number }>("select count(*)::int n from products where status = 'published'")
    ).rows as [{ n: number }];
    log(`search: ${n} published products; picking queries (ts_stat over the titles)`);
    const queries = await queriesOf(replica);
    await warmUp(s.url, replica, queries);
    await useSearchSettings(replica);
    const rows: SearchRow[] = [];
    for (const cls of classes) {
      const list = queries[cls];
      log(`search ${cls}: ${list.slice(0, 4).join(', ')}, ... (${list.length} queries)`);
      const d = await drive(s.url, cls, list);
      const engine: number[] = [];
      for (const q of list.slice(0, 20)) engine.push(await engineMs(replica, cls, q));
      engine.sort((a, b) => a - b);
      const count = d.latencies.length;
      rows.push({
        cls,
        examples: list.slice(0, 3),
        requests: count,
        misses: d.misses,
        non200: d.non200,
        items: count ? d.items / count : 0,
        p50: Math.round(percentile(d.latencies, 50)),
        p95: Math.round(percentile(d.latencies, 95)),
        p99: Math.round(percentile(d.latencies, 99)),
        engine: {
          p50: Number(percentile(engine, 50).toFixed(1)),
          p95: Number(percentile(engine, 95).toFixed(1)),
          p99: Number(percentile(engine, 99).toFixed(1)),
        },
      });
    }
    return rows;
  } finally {
    await replica.end();
  }
}

/** The search rows as a table: gateway p50/p95/p99 (cache misses) and the engine's own. */
export function printSearch(rows: SearchRow[]) {
  const pad = (v: string | number, n: number) => String(v).padEnd(n);
  console.log(
    `\nsearch at ${searchProducts.toLocaleString('en-US')} products (cache misses, ${inFlight} in flight):\n` +
      `${pad('class', 8)}${pad('requests', 10)}${pad('misses', 8)}${pad('items', 7)}${pad('p50 ms', 8)}` +
      `${pad('p95 ms', 8)}${pad('p99 ms', 8)}${pad('non-200', 9)}${pad('engine p50/p95/p99 ms', 24)}examples`,
  );
  for (const r of rows)
    console.log(
      `${pad(r.cls, 8)}${pad(r.requests, 10)}${pad(r.misses, 8)}${pad(r.items.toFixed(1), 7)}${pad(r.p50, 8)}` +
        `${pad(r.p95, 8)}${pad(r.p99, 8)}${pad(r.non200, 9)}${pad(`${r.engine.p50} / ${r.engine.p95} / ${r.engine.p99}`, 24)}` +
        r.examples.join(', '),
    );
  console.log(
    `\n| class (${searchProducts.toLocaleString('en-US')} products) | p50 ms | p95 ms | p99 ms | engine p50 / p99 ms |\n|---|---|---|---|---|`,
  );
  for (const r of rows)
    console.log(`| ${r.cls} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.engine.p50} / ${r.engine.p99} |`);
  if (rows.some((r) => r.non200 > 0)) process.exitCode = 1;
}
