// Self-test for dev/postgres.ts against real servers (no mocks). Exits non-zero on failure.
// Run: PATH=/work/main/node_modules/.bin:$PATH tsx dev/postgres.selftest.ts
// Uses a temp dir under /tmp and ports 55410-55413; stops everything it started.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPostgres, type PgCluster } from './postgres.js';

const [P, R, P2, R2] = [55410, 55411, 55412, 55413];
const log = (l: string) => console.log(`    ${l}`);

async function sql(url: string, text: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, query_timeout: 5000 });
  c.on('error', () => {});
  try { await c.connect(); return (await c.query(text, params)).rows; } finally { await c.end().catch(() => {}); }
}

async function eventually(what: string, fn: () => Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await fn().catch(() => false)) return; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error(`not within ${ms}ms: ${what}`);
}

const seen = (url: string, name: string) => async () => (await sql(url, 'SELECT 1 FROM items WHERE name = $1', [name])).length === 1;

async function step(name: string, fn: () => Promise<void>) {
  const t = Date.now();
  console.log(`- ${name}`);
  await fn();
  console.log(`  ok (${Date.now() - t} ms)`);
}

/** PIDs of processes whose cwd is inside dir: postgres servers chdir into their data dir. */
function processesIn(dir: string): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return fs.readlinkSync(`/proc/${d}/cwd`).startsWith(dir + '/'); } catch { return false; }
  }).map(Number);
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-selftest-'));
  const dataDir = path.join(tmp, 'data');
  fs.chmodSync(tmp, 0o755); // mkdtemp makes it 0700, which the non-root "postgres" user could not traverse
  const clusters: PgCluster[] = [];
  let failed = false;
  try {
    let c!: PgCluster;
    await step('first start initialises primary + replica', async () => {
      c = await startPostgres({ dataDir, primaryPort: P, replicaPort: R, log });
      clusters.push(c);
      assert.equal(c.primaryUrl, `postgres://storefront:storefront@127.0.0.1:${P}/storefront`);
      assert.equal(c.replicaUrl, `postgres://storefront:storefront@127.0.0.1:${R}/storefront`);
      const [st] = await sql(c.replicaUrl, 'SELECT status, sender_port FROM pg_stat_wal_receiver');
      assert.deepEqual(st, { status: 'streaming', sender_port: P });
      assert.deepEqual(await sql(c.replicaUrl, 'SELECT pg_is_in_recovery() AS r'), [{ r: true }]);
      assert.deepEqual(await sql(c.primaryUrl, 'SELECT pg_is_in_recovery() AS r'), [{ r: false }]);
    });

    await step('a write on the primary appears on the replica', async () => {
      await sql(c.primaryUrl, 'CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)');
      await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('first')");
      await eventually('row on replica', seen(c.replicaUrl, 'first'));
    });

    await step('the replica refuses writes', async () => {
      await assert.rejects(sql(c.replicaUrl, "INSERT INTO items (name) VALUES ('nope')"),
        (e: { code?: string }) => e.code === '25006'); // read_only_sql_transaction
    });

    await step('busy ports give a clear error naming the port, before any init', async () => {
      const other = path.join(tmp, 'other');
      await assert.rejects(startPostgres({ dataDir: other, primaryPort: P, replicaPort: R2 }), /port 55410 is busy/);
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(R2, '127.0.0.1', () => r()));
      try {
        await assert.rejects(startPostgres({ dataDir: other, primaryPort: P2, replicaPort: R2 }), /port 55413 is busy/);
      } finally { blocker.close(); }
      assert.equal(fs.existsSync(path.join(other, 'primary')), false);
      assert.deepEqual(processesIn(other), []);
    });

    await step('stopPrimary: primary connections fail fast, replica keeps serving reads', async () => {
      await c.stopPrimary();
      const t = Date.now();
      await assert.rejects(sql(c.primaryUrl, 'SELECT 1'), (e: { code?: string }) => e.code === 'ECONNREFUSED');
      assert.ok(Date.now() - t < 1000, 'refused quickly');
      assert.ok(await seen(c.replicaUrl, 'first')());
      await c.stopPrimary(); // idempotent
    });

    await step('startPrimary: primary is back and replication resumes', async () => {
      await c.startPrimary();
      await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('after-restart')");
      await eventually('row on replica after primary restart', seen(c.replicaUrl, 'after-restart'));
    });

    await step('stop twice, then restart on the same dataDir keeps the data', async () => {
      await c.stop();
      await c.stop();
      await assert.rejects(sql(c.primaryUrl, 'SELECT 1'));
      await assert.rejects(sql(c.replicaUrl, 'SELECT 1'));
      assert.deepEqual(processesIn(tmp), []);
      const t = Date.now();
      c = await startPostgres({ dataDir, primaryPort: P, replicaPort: R, log });
      clusters.push(c);
      console.log(`  warm start: ${Date.now() - t} ms`);
      for (const url of [c.primaryUrl, c.replicaUrl]) {
        assert.deepEqual((await sql(url, 'SELECT name FROM items ORDER BY id')).map((r) => r.name), ['first', 'after-restart']);
      }
    });

    await step('a missing replica dir is rebuilt from the primary', async () => {
      await c.stop();
      fs.rmSync(path.join(dataDir, 'replica'), { recursive: true });
      c = await startPostgres({ dataDir, primaryPort: P, replicaPort: R, log });
      clusters.push(c);
      await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('after-rebuild')");
      await eventually('row on rebuilt replica', seen(c.replicaUrl, 'after-rebuild'));
      assert.equal((await sql(c.replicaUrl, 'SELECT count(*)::int AS n FROM items'))[0]!.n, 3);
      const slots = await sql(c.primaryUrl, 'SELECT slot_name, active FROM pg_replication_slots');
      assert.deepEqual(slots, [{ slot_name: 'replica', active: true }]);
    });

    await step('a stale postmaster.pid whose PID now belongs to another process does not block start', async () => {
      await c.stop();
      // PID 1 is alive but is not a postgres on this dir, like a PID reused after a container restart.
      fs.writeFileSync(path.join(dataDir, 'primary', 'postmaster.pid'), `1\n${path.join(dataDir, 'primary')}\n`);
      c = await startPostgres({ dataDir, primaryPort: P, replicaPort: R });
      clusters.push(c);
      assert.ok(await seen(c.primaryUrl, 'after-rebuild')());
      await c.stop();
    });

    await step('a SIGKILLed run (orphaned servers) does not block the next start', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', dataDir],
        { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.dirname(new URL(import.meta.url).pathname) });
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('child did not start within 30s')), 30_000);
          child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(timer); resolve(); } });
          child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`child exited ${code}`)); });
        });
      } finally { child.kill('SIGKILL'); }
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(processesIn(tmp).length > 0, 'orphaned postgres servers are still running');
      c = await startPostgres({ dataDir, primaryPort: P, replicaPort: R, log });
      clusters.push(c);
      await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('after-orphan')");
      await eventually('row on replica after orphan cleanup', seen(c.replicaUrl, 'after-orphan'));
      await c.stop();
      assert.deepEqual(processesIn(tmp), []);
    });
  } catch (e) {
    failed = true;
    console.error('\nFAILED:', e);
  } finally {
    for (const c of clusters) await c.stop().catch((e) => console.error('cleanup:', e));
    const left = processesIn(tmp);
    if (left.length) { console.error(`left-over processes ${left.join(', ')}; killing`); failed = true; for (const p of left) process.kill(p, 'SIGKILL'); }
    if (!failed) fs.rmSync(tmp, { recursive: true, force: true });
    else console.error(`data and logs kept in ${tmp}`);
  }
  console.log(failed ? '\nselftest FAILED' : '\nselftest passed');
  process.exit(failed ? 1 : 0);
}

// Last, so every top-level const above is initialised before main() runs.
if (process.argv[2] === '--child') {
  // Simulates a dev process that gets SIGKILLed while its cluster is running.
  await startPostgres({ dataDir: process.argv[3]!, primaryPort: P, replicaPort: R });
  console.log('ready');
  setInterval(() => {}, 1000);
} else {
  await main();
}
