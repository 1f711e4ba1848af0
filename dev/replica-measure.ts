// Measures the regional replicas as the local stack runs them, on a throwaway embedded Postgres (primary and two
// streaming replicas) and the local Neon proxy, on free ports under the OS temp dir; removes everything after.
// Prints (1) replication lag: a commit on the primary until each replica shows it, and (2) what routing adds to a
// read: a plain query on a replica vs the same query through `routed` (lib/db/replicas.ts) when it measures the
// lag on every read (REPLICA_LAG_CHECK_MS=0) and when it trusts a measurement for a second (the default).
// Bounded: ROUNDS (default 100) of each, one at a time. Run: npx tsx dev/replica-measure.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { dbSettings, routed, sqlClient } from '../lib/db/client';
import { startNeonProxy } from './neon-proxy';
import { freePorts } from './ports';
import { startPostgres } from './postgres';

const rounds = Math.min(1000, Math.max(10, Number(process.env.ROUNDS ?? 100)));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replica-measure-'));
fs.chmodSync(dir, 0o755);
const [primaryPort, usPort, euPort, proxyPort] = await freePorts(4);
const cluster = await startPostgres({
  dataDir: dir,
  primaryPort: primaryPort!,
  replicaPort: usPort!,
  moreReplicas: [{ name: 'eu', port: euPort! }],
});
const proxy = await startNeonProxy({ port: proxyPort! });
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 0.5).toFixed(2)} ms, p95 ${pct(xs, 0.95).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`;
try {
  const primary = new pg.Client({ connectionString: cluster.primaryUrl });
  const replicas = cluster.replicaUrls.map((u) => new pg.Client({ connectionString: u }));
  for (const c of [primary, ...replicas]) await c.connect();
  await primary.query('create table if not exists probe (id int primary key, at timestamptz default now())');
  const lag: number[][] = replicas.map(() => []);
  for (let i = 0; i < rounds; i++) {
    await primary.query('insert into probe (id) values ($1)', [i]);
    const t0 = performance.now();
    await Promise.all(
      replicas.map(async (r, k) => {
        const deadline = Date.now() + 5000;
        while ((await r.query('select 1 from probe where id = $1', [i])).rowCount === 0) {
          if (Date.now() > deadline) throw new Error(`replica ${k} did not show row ${i} within 5 s`);
        }
        lag[k]!.push(performance.now() - t0);
      }),
    );
  }
  for (const c of [primary, ...replicas]) await c.end();
  for (const [k, name] of ['us', 'eu'].entries()) {
    console.log(`replication lag, ${name}: ${fmt(lag[k]!)} (${rounds} commits)`);
  }

  const env = (checkMs: string) => ({
    DATABASE_URL: cluster.primaryUrl,
    DATABASE_REPLICAS: `us=${cluster.replicaUrls[0]},eu=${cluster.replicaUrls[1]}`,
    NEON_LOCAL_PROXY: `127.0.0.1:${proxyPort}`,
    REPLICA_LAG_CHECK_MS: checkMs,
  });
  const time = async (fn: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      await fn();
      xs.push(performance.now() - t);
    }
    return xs;
  };
  const q = 'select count(*) from probe';
  const every = env('0');
  const cached = env('1000');
  const settings = dbSettings(cached); // also points the driver at the local proxy
  await time(() => sqlClient(cluster.replicaUrls[1]!, settings).query(q)); // warm-up
  const direct = await time(() => sqlClient(cluster.replicaUrls[1]!, settings).query(q));
  const checked = await time(() => routed(every, (url, s) => sqlClient(url, s).query(q)));
  const trusted = await time(() => routed(cached, (url, s) => sqlClient(url, s).query(q)));
  console.log(`a read on a replica, directly (HTTP /sql through the proxy): ${fmt(direct)}`);
  console.log(`through routed, measuring the lag on every read:              ${fmt(checked)}`);
  console.log(`through routed, trusting a measurement for 1 s (default):    ${fmt(trusted)}`);
} finally {
  // A lag check cut by its 500 ms deadline leaves its query running in the proxy; stopping the servers then ends that
  // connection (57P01), which is expected here and nothing else is.
  process.on('uncaughtException', (err) => {
    if ((err as { code?: string }).code !== '57P01') throw err;
  });
  await proxy.close();
  await cluster.stop();
  if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true });
}
