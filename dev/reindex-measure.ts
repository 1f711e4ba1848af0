// Times `npm run search:reindex` (db/reindex.ts) over the sized seed: a throwaway embedded Postgres, or DATA_DIR
// (kept and reused, e.g. a copy of the bench's loaded cluster), with SEED_PRODUCTS products (default 100,000). Prints
// the reindex's own progress lines and summary. REINDEX_ARGS passes the CLI's arguments (`--dry-run`, `--batch=N`,
// `--skip-indexes`).
// Run: DATA_DIR=.data/reindex-100k SEED_PRODUCTS=100000 npx tsx dev/reindex-measure.ts
import { parseReindexArgs, reindex } from '../db/reindex';
import { withSeededPostgres } from './explain-kit';

const options = parseReindexArgs((process.env.REINDEX_ARGS ?? '').split(/\s+/).filter(Boolean));
await withSeededPostgres('reindex-measure', async ({ url, count }) => {
  console.log(`reindex-measure: ${count.toLocaleString('en-US')} products`);
  const summary = await reindex(url, options);
  console.log(JSON.stringify(summary));
});
