// Times `npm run search:reindex` (db/reindex.ts) over the sized seed: a throwaway embedded Postgres, or DATA_DIR
// (kept and reused, e.g. a copy of the bench's loaded cluster), with SEED_PRODUCTS products (default 100,000). Prints
// the reindex's own progress lines and summary. REINDEX_ARGS passes the CLI's arguments (`--dry-run`, `--batch=N`,
// `--skip-indexes`). With REINDEX_READS=1, one connection sends catalog reads (`q` and facets, as the catalog's code
// sends them; 2 s statement and 200 ms lock timeouts) one after another for 10 s before the reindex and throughout
// it, and prints their latency in each window (p50, p99, max) and any that failed.
// Run: DATA_DIR=.data/reindex-100k SEED_PRODUCTS=100000 [REINDEX_READS=1] npx tsx dev/reindex-measure.ts
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { parseReindexArgs, reindex } from '../db/reindex';
import { ProductListQuery } from '../lib/catalog/schemas';
import { listProducts } from '../workers/catalog/src/products.repo';
import { withSeededPostgres } from './explain-kit';

const options = parseReindexArgs((process.env.REINDEX_ARGS ?? '').split(/\s+/).filter(Boolean));
const queries = [
  { q: 'classic', facets: 'all' },
  { facets: 'all' },
  { q: 'cotton shirt', size: 'm' },
  { category: 'apparel', facets: 'all' },
  { q: 'linen' },
].map((q) => ProductListQuery.parse(q));

/** Reads one after another until `until()` says stop: each one's milliseconds, and the errors. */
async function reads(url: string, until: () => boolean) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('set statement_timeout = 2000');
  await c.query('set lock_timeout = 200');
  const db = drizzle({ client: c }) as never;
  const ms: number[] = [];
  const errors: string[] = [];
  try {
    for (let i = 0; !until(); i++) {
      const t0 = performance.now();
      try {
        await listProducts(db, queries[i % queries.length]!);
        ms.push(performance.now() - t0);
      } catch (error) {
        errors.push(String((error as { cause?: unknown }).cause ?? error));
      }
    }
  } finally {
    await c.end();
  }
  return { ms, errors };
}

const summary = (what: string, r: { ms: number[]; errors: string[] }) => {
  const s = [...r.ms].sort((a, b) => a - b);
  const at = (p: number) => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0).toFixed(1);
  return `reads ${what}: ${s.length} ok, ${r.errors.length} failed, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms${r.errors.length ? ` (${[...new Set(r.errors)].slice(0, 3).join('; ')})` : ''}`;
};

await withSeededPostgres('reindex-measure', async ({ primaryUrl: url, count }) => {
  console.log(`reindex-measure: ${count.toLocaleString('en-US')} products`);
  const withReads = process.env.REINDEX_READS === '1';
  if (withReads) {
    const end = Date.now() + 10_000;
    console.log(summary('before', await reads(url, () => Date.now() > end)));
  }
  let done = false;
  const beside = withReads ? reads(url, () => done) : undefined;
  try {
    console.log(JSON.stringify(await reindex(url, options)));
  } finally {
    done = true;
    if (beside) console.log(summary('during the reindex', await beside));
  }
});
