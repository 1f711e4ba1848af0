// Loads a sized seed (SEED_PRODUCTS, default 100,000) into a throwaway embedded Postgres (primary + streaming
// replica, as the stack runs it) on free ports under the OS temp dir, prints the load time and what it built, and
// removes everything. For 1,000,000, estimate from 100,000 first (the load is linear: batches of 5,000).
// Run: SEED_PRODUCTS=100000 npx tsx dev/seed-measure.ts   (KEEP=1 keeps the data dir and prints it)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runMigrations } from '../db/migrate';
import { progressLine, seed, seedSize } from '../db/seed';
import { freePorts } from './ports';
import { startPostgres } from './postgres';

const count = seedSize(process.env.SEED_PRODUCTS ?? '100000');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-measure-'));
const [primaryPort, replicaPort] = await freePorts(2);
const cluster = await startPostgres({ dataDir: dir, primaryPort: primaryPort!, replicaPort: replicaPort! });
try {
  await runMigrations(cluster.primaryUrl);
  const started = Date.now();
  let last = 0;
  const counts = await seed(cluster.primaryUrl, {
    products: count,
    progress: (done, total, ms) => {
      if (done === total || ms - last >= 5000) {
        last = ms;
        console.log(progressLine(done, total, ms));
      }
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const c = new pg.Client({ connectionString: cluster.primaryUrl });
  await c.connect();
  const sizes = await c.query<{ name: string; size: string }>(
    `select relname as name, pg_size_pretty(pg_total_relation_size(oid)) as size from pg_class
     where relname in ('products', 'product_variants', 'products_search_idx', 'inventory_levels') order by relname`,
  );
  await c.end();
  console.log(
    `loaded ${JSON.stringify(counts)} in ${seconds.toFixed(1)} s (${Math.round(count / seconds)} products/s)`,
  );
  for (const r of sizes.rows) console.log(`  ${r.name}: ${r.size}`);
  console.log(`1,000,000 products at this rate: ~${Math.ceil((1_000_000 / count) * seconds)} s`);
} finally {
  await cluster.stop();
  if (process.env.KEEP) console.log(`data kept in ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
