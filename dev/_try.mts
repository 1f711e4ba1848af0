import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { listProducts } from '../workers/catalog/src/products.repo.ts';
import { freePorts } from './ports.ts';
import { startPostgres } from './postgres.ts';
const [a, b] = await freePorts(2);
const cluster = await startPostgres({ dataDir: '/tmp/rank-meas/d100k', primaryPort: a!, replicaPort: b! });
const client = new pg.Client({ connectionString: cluster.primaryUrl });
await client.connect();
try {
  for (const s of (process.env.PRE ?? '').split(';').filter((x) => x.trim())) { const t = Date.now(); await client.query(s); console.log(`${s}: ${Date.now() - t} ms`); }
  for (const q of (process.env.QS ?? 'essential').split(',')) {
    let last: any;
    const db = drizzle({ client, logger: { logQuery: (sql, params) => void (last = { sql, params }) } });
    await listProducts(db as never, { q, limit: 24 } as never);
    const times = [];
    for (let i = 0; i < 3; i++) times.push((await client.query(`explain (analyze, format json) ${last.sql}`, last.params)).rows[0]['QUERY PLAN'][0]['Execution Time']);
    console.log(q, times.map((x: number) => x.toFixed(1)).join(' '));
    if (process.env.PLAN) console.log((await client.query(`explain (analyze, costs off, buffers off) ${last.sql}`, last.params)).rows.map((r) => r['QUERY PLAN']).join('\n'));
  }
} finally { await client.end(); await cluster.stop(); }
