// dev/postgres/process.ts — one PostgreSQL server process of dev/postgres.ts: start it (as the `postgres` OS user
// when we are root), wait until it answers, stop it (fast shutdown, escalating), clear a stale postmaster.pid left
// by a killed run, and the bounded helpers around it (waits, log tails, a short-lived client, initdb/cp runs).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { assertPortFree, PortBusyError } from '../ports';

export const USER = 'storefront',
  PASSWORD = 'storefront',
  DB = 'storefront';
export const TIMEOUT_MS = 30_000;
export const ENV = { ...process.env, LC_ALL: 'C' }; // a host locale missing from the bundled ICU/libc must not break initdb

export type Ids = { uid: number; gid: number } | undefined;
export const stopping = new WeakSet<ChildProcess>(); // children we asked to exit, vs. ones that died on their own
export interface Server {
  /** 'primary', 'replica' (the first replica), 'replica-<name>' (another one), 'restored'. */
  name: string;
  dir: string;
  logFile: string;
  port: number;
  args: string[];
}
export interface Bins {
  postgres: string;
  initdb: string;
}

/** Root cannot run postgres: use (or create) the `postgres` OS user and make sure it can reach everything. */
export function prepareOsUser(dataDir: string, bins: Bins, log: (l: string) => void): Ids {
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

export async function startServer(s: Server, bins: Bins, ids: Ids, log: (l: string) => void): Promise<ChildProcess> {
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

export async function stopServer(s: Server, child: ChildProcess, log: (l: string) => void): Promise<void> {
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

/** `pid` and every process below it (a postmaster and its backends), parents first; from /proc (Linux). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/**
 * Sends `signal` to a server's postmaster and then to each of its backends (chaos experiments): SIGSTOP hangs the
 * server as a frozen host would (connections open, nothing answered), SIGCONT resumes it, SIGKILL crashes it.
 * The postmaster goes first, so a stopped one forks no new backend while its children are reached.
 */
export function signalServer(child: ChildProcess, signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const send = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  // A stopped postmaster forks no backend, so the tree read next is the whole of it (SIGCONT: order is moot).
  if (signal !== 'SIGCONT') send(child.pid, 'SIGSTOP');
  for (const pid of processTree(child.pid)) send(pid, signal);
}

/** A killed run can leave postmaster.pid behind; make sure it never blocks the next start. */
export async function clearStalePid(s: Server, log: (l: string) => void): Promise<void> {
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
    // A run that died while the server was hung (the chaos suite's SIGSTOP) left it stopped: continue it first.
    for (const p of processTree(pid)) {
      try {
        process.kill(p, 'SIGCONT');
      } catch {}
    }
    process.kill(pid, 'SIGINT');
    await waitFor(`leftover ${s.name} (pid ${pid}) to exit`, s, 0, async () => state() !== 'running');
  }
  // If the lock is still there, its PID is a zombie (containers whose PID 1 never reaps) or was reused by an
  // unrelated process (common after container restarts); postgres would take it for live and refuse to start.
  fs.rmSync(pidFile, { force: true });
}

export async function waitFor(
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

export function tail(s: Server, fromOffset: number): string {
  let text = '';
  try {
    text = fs.readFileSync(s.logFile).subarray(fromOffset).toString('utf8');
  } catch {
    /* no log yet */
  }
  const lines = text.trimEnd().split('\n').slice(-15).join('\n');
  return lines ? `\nLast lines of ${s.logFile}:\n${lines}` : ` (${s.logFile} is empty)`;
}

export async function withClient<T>(port: number, database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
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
export function run(cmd: string, args: string[], ids: Ids, timeoutMs = 60_000): Promise<void> {
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
