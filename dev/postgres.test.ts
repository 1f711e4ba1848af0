// dev/postgres.test.ts — tests dev/postgres.ts against real servers (no mocks): a PostgreSQL primary plus a
// streaming replica in a temp dir under /tmp, on free ports (dev/ports.ts). The steps build on each other (one
// cluster, one data dir, the same two ports), so they run in order and a failure skips the rest; afterAll stops
// everything that was started.
// Run: npx vitest run --project tools dev/postgres.test.ts

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, it, vi } from 'vitest';
import { freePorts, withFreePorts } from './ports';
import { type PgCluster, startPostgres } from './postgres.js';
import { sql } from './sql';

// Also set here so a plain `vitest run dev/postgres.test.ts` gets the long timeouts (first start runs initdb).
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

/** The cluster's ports, taken from the free ones on the first start and kept for every restart. */
let P = 0;
let R = 0;
const ORPHAN_CHILD = fileURLToPath(new URL('./postgres.orphan-child.ts', import.meta.url));
const log = (l: string) => console.log(`    ${l}`);

async function eventually(what: string, fn: () => Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${ms}ms: ${what}`);
}

const busy = (port: number) => new RegExp(`port ${port} \\(postgres (primary|replica)\\) is busy`);

const seen = (url: string, name: string) => async () =>
  (await sql(url, 'SELECT 1 FROM items WHERE name = $1', [name])).length === 1;

/** PIDs of processes whose cwd is inside dir: postgres servers chdir into their data dir. */
function processesIn(dir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readlinkSync(`/proc/${d}/cwd`).startsWith(`${dir}/`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.sequential('dev/postgres.ts: local primary + streaming replica', () => {
  let tmp!: string;
  let dataDir!: string;
  const clusters: PgCluster[] = []; // every cluster ever started, all stopped in afterAll
  let c!: PgCluster; // the current one
  let firstFailure: string | undefined;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'postgres-test-'));
    dataDir = path.join(tmp, 'data');
    fs.chmodSync(tmp, 0o755); // mkdtemp makes it 0700, which the non-root "postgres" user could not traverse
  });

  // Each step relies on the state the previous ones left behind: after a failure, the rest would only add noise.
  beforeEach((ctx) => {
    if (firstFailure) ctx.skip(`an earlier step failed: ${firstFailure}`);
    ctx.onTestFailed(() => {
      firstFailure ??= ctx.task.name;
    });
  });

  afterAll(async () => {
    if (!tmp) return;
    const errors: string[] = [];
    for (const cl of clusters) await cl.stop().catch((e) => errors.push(`cleanup: stop() failed: ${e}`));
    const left = processesIn(tmp);
    if (left.length) {
      for (const p of left) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      errors.push(`left-over processes in ${tmp} after stopping every cluster: ${left.join(', ')} (SIGKILLed)`);
    }
    // On failure keep data and logs (primary.log, replica.log) for a look; otherwise leave nothing behind.
    if (errors.length || firstFailure) console.error(`data and logs kept in ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
    if (errors.length) throw new Error(errors.join('\n'));
  });

  it('first start initialises primary + replica', async () => {
    c = await withFreePorts(2, ([p, r]) => {
      [P, R] = [p!, r!];
      return startPostgres({ dataDir, primaryPort: P, replicaPort: R, log });
    });
    clusters.push(c);
    assert.equal(c.primaryUrl, `postgres://storefront:storefront@127.0.0.1:${P}/storefront`);
    assert.equal(c.replicaUrl, `postgres://storefront:storefront@127.0.0.1:${R}/storefront`);
    const [st] = await sql(c.replicaUrl, 'SELECT status, sender_port FROM pg_stat_wal_receiver');
    assert.deepEqual(st, { status: 'streaming', sender_port: P });
    assert.deepEqual(await sql(c.replicaUrl, 'SELECT pg_is_in_recovery() AS r'), [{ r: true }]);
    assert.deepEqual(await sql(c.primaryUrl, 'SELECT pg_is_in_recovery() AS r'), [{ r: false }]);
  });

  it('a write on the primary appears on the replica', async () => {
    await sql(c.primaryUrl, 'CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)');
    await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('first')");
    await eventually('row on replica', seen(c.replicaUrl, 'first'));
  });

  it('the replica refuses writes', async () => {
    await assert.rejects(
      sql(c.replicaUrl, "INSERT INTO items (name) VALUES ('nope')"),
      (e: { code?: string }) => e.code === '25006',
    ); // read_only_sql_transaction
  });

  it('busy ports give a clear error naming the port, before any init', async () => {
    const other = path.join(tmp, 'other');
    const [P2, R2] = (await freePorts(2)) as [number, number];
    await assert.rejects(startPostgres({ dataDir: other, primaryPort: P, replicaPort: R2 }), busy(P));
    // A port someone else holds: the blocker takes one from the OS, so it can never find it taken.
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const held = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startPostgres({ dataDir: other, primaryPort: P2, replicaPort: held }), busy(held));
    } finally {
      blocker.close();
    }
    assert.equal(fs.existsSync(path.join(other, 'primary')), false);
    assert.deepEqual(processesIn(other), []);
  });

  it('stopPrimary: primary connections fail fast, replica keeps serving reads', async () => {
    await c.stopPrimary();
    const t = Date.now();
    await assert.rejects(sql(c.primaryUrl, 'SELECT 1'), (e: { code?: string }) => e.code === 'ECONNREFUSED');
    assert.ok(Date.now() - t < 1000, 'refused quickly');
    assert.ok(await seen(c.replicaUrl, 'first')());
    await c.stopPrimary(); // idempotent
  });

  it('startPrimary: primary is back and replication resumes', async () => {
    await c.startPrimary();
    await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('after-restart')");
    await eventually('row on replica after primary restart', seen(c.replicaUrl, 'after-restart'));
  });

  it('stop twice, then restart on the same dataDir keeps the data', async () => {
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
      assert.deepEqual(
        (await sql(url, 'SELECT name FROM items ORDER BY id')).map((r) => r.name),
        ['first', 'after-restart'],
      );
    }
  });

  it('a missing replica dir is rebuilt from the primary', async () => {
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

  it('stopAll: both servers refuse connections fast; startAll: both are back, streaming, replicating', async () => {
    await c.stopAll();
    for (const url of [c.primaryUrl, c.replicaUrl]) {
      const t = Date.now();
      await assert.rejects(sql(url, 'SELECT 1'), (e: { code?: string }) => e.code === 'ECONNREFUSED');
      assert.ok(Date.now() - t < 1000, `${url} refused quickly`);
    }
    assert.deepEqual(processesIn(dataDir), []);

    await c.startAll();
    for (const url of [c.primaryUrl, c.replicaUrl]) assert.deepEqual(await sql(url, 'SELECT 1 AS ok'), [{ ok: 1 }]);
    const [st] = await sql(c.replicaUrl, 'SELECT status, sender_port FROM pg_stat_wal_receiver');
    assert.deepEqual(st, { status: 'streaming', sender_port: P });
    assert.deepEqual(await sql(c.replicaUrl, 'SELECT pg_is_in_recovery() AS r'), [{ r: true }]);
    await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('after-start-all')");
    await eventually('row on replica after startAll', seen(c.replicaUrl, 'after-start-all'));
  });

  it('a stale postmaster.pid whose PID now belongs to another process does not block start', async () => {
    await c.stop();
    // PID 1 is alive but is not a postgres on this dir, like a PID reused after a container restart.
    fs.writeFileSync(path.join(dataDir, 'primary', 'postmaster.pid'), `1\n${path.join(dataDir, 'primary')}\n`);
    c = await startPostgres({ dataDir, primaryPort: P, replicaPort: R });
    clusters.push(c);
    assert.ok(await seen(c.primaryUrl, 'after-rebuild')());
    await c.stop();
  });

  it('a SIGKILLed run (orphaned servers) does not block the next start', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', ORPHAN_CHILD, dataDir, String(P), String(R)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: path.dirname(ORPHAN_CHILD),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('child did not start within 30s')), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`child exited ${code}`));
        });
      });
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(processesIn(tmp).length > 0, 'orphaned postgres servers are still running');
    c = await startPostgres({ dataDir, primaryPort: P, replicaPort: R, log });
    clusters.push(c);
    await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('after-orphan')");
    await eventually('row on replica after orphan cleanup', seen(c.replicaUrl, 'after-orphan'));
    await c.stop();
    assert.deepEqual(processesIn(tmp), []);
  });

  it('adds a second replica to an existing cluster beside the first; each streams, and one stops and starts alone', async () => {
    const [E] = await freePorts(1);
    c = await startPostgres({ dataDir, primaryPort: P, replicaPort: R, moreReplicas: [{ name: 'eu', port: E! }], log });
    clusters.push(c);
    assert.equal(c.replicaUrls.length, 2);
    assert.equal(c.replicaUrls[0], c.replicaUrl);
    await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('two-replicas')");
    for (const url of c.replicaUrls) await eventually('row on each replica', seen(url, 'two-replicas'));
    assert.deepEqual(await sql(c.primaryUrl, 'SELECT slot_name, active FROM pg_replication_slots ORDER BY 1'), [
      { slot_name: 'replica', active: true },
      { slot_name: 'replica_eu', active: true },
    ]);
    await c.stopReplica(1);
    await assert.rejects(sql(c.replicaUrls[1]!, 'SELECT 1'));
    await sql(c.primaryUrl, "INSERT INTO items (name) VALUES ('eu-down')");
    await eventually('row on the first replica while eu is down', seen(c.replicaUrl, 'eu-down'));
    await c.startReplica(1);
    await eventually('eu catches up once started', seen(c.replicaUrls[1]!, 'eu-down'));
    await c.stop();
    assert.deepEqual(processesIn(tmp), []);
  });
});
