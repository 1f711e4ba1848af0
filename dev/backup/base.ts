// dev/backup/base.ts — base backups of the primary, with the server alone (the embedded binaries have no
// pg_basebackup): pg_backup_start, a file copy of the data directory (dev/backup/pack.ts) gzipped and cut into
// sealed parts, pg_backup_stop (which waits until the WAL the backup needs is archived), the shipper sends that
// WAL, and the manifest is written last: a backup without a manifest is unfinished and never restored from.
// Store layout, per cluster (PostgreSQL's system identifier, so a re-initialised cluster never mixes with an old
// one): <system id>/base/<backup id>/part-0001…, …/manifest.json; <system id>/wal/<segment>.
// Retention keeps the newest `keep` base backups, and any younger than `keepDays`, and the WAL from the oldest kept
// one's start on.
import { once } from 'node:events';
import zlib from 'node:zlib';
import pg from 'pg';
import { packDir } from './pack';
import { type BackupKey, type BackupStore, getSealed, putSealed } from './store';
import { segmentNumber, segmentsBetween, shipTimelineHistory, startWalShipper, WAL_FILE, walKey } from './wal';

/** Sealed parts of the gzipped file copy are at most this big. */
const PART_BYTES = 32 * 1024 * 1024;

export interface Manifest {
  format: 1;
  id: string;
  systemId: string;
  pgVersion: string;
  timeline: number;
  segmentBytes: number;
  startLsn: string;
  startWal: string;
  stopLsn: string;
  stopWal: string;
  /** Server clock: a restore target must be later than stoppedAt (the backup is consistent from there). */
  startedAt: string;
  stoppedAt: string;
  labelFile: string;
  tablespaceMap: string;
  files: number;
  bytes: number;
  parts: { key: string; sha256: string; size: number }[];
}

const manifestKey = (systemId: string, id: string) => `${systemId}/base/${id}/manifest.json`;

/** A connection to the primary for backup work (bounded: pg_backup_stop waits for the archiver). */
export async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, query_timeout: 120_000 });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** What the backups need to know of the primary; refuses a primary that does not archive its WAL. */
export async function describePrimary(c: pg.Client) {
  const one = async (q: string) => (await c.query(q)).rows[0] as Record<string, string>;
  const s = await one(`select current_setting('archive_mode') as mode, current_setting('archive_library') as lib,
      current_setting('basic_archive.archive_directory', true) as spool, current_setting('data_directory') as dir,
      current_setting('server_version') as version, current_setting('wal_segment_size') as seg,
      (select system_identifier::text from pg_control_system()) as sysid`);
  if (s.mode !== 'on' || s.lib !== 'basic_archive' || !s.spool)
    throw new Error(
      `backup: the primary does not archive its WAL (archive_mode=${s.mode}, archive_library=${s.lib || "''"}); ` +
        'start it with archiving on (npm run dev does)',
    );
  const seg = /^(\d+)MB$/.exec(s.seg ?? '');
  return {
    systemId: s.sysid!,
    dataDir: s.dir!,
    spoolDir: s.spool,
    pgVersion: s.version!,
    segmentBytes: seg ? Number(seg[1]) * 1024 * 1024 : 16 * 1024 * 1024,
  };
}

export async function takeBaseBackup(opts: {
  primaryUrl: string;
  store: BackupStore;
  key: BackupKey;
  /** Base backups to keep (retention); older ones and the WAL only they needed are deleted. */
  keep: number;
  /** Also kept: every base backup younger than this many days (BACKUP_RETENTION_DAYS; 0: by count only). */
  keepDays?: number;
  log?: (line: string) => void;
}): Promise<Manifest> {
  const log = opts.log ?? (() => {});
  const c = await connect(opts.primaryUrl);
  try {
    const p = await describePrimary(c);
    const history = await shipTimelineHistory({ ...p, store: opts.store, key: opts.key });
    if (history.length) log(`backup: shipped the timeline history ${history.join(', ')} missing from the store`);
    const id = new Date().toISOString().replace(/[-:.]/g, '');
    const start = (
      await c.query(
        `select lsn::text, pg_walfile_name(lsn) as wal, clock_timestamp() as at,
          (select timeline_id from pg_control_checkpoint()) as tli from pg_backup_start($1, true) as lsn`,
        [`storefront ${id}`],
      )
    ).rows[0];
    log(`backup ${id}: started at ${start.lsn} (${start.wal}); copying ${p.dataDir}`);

    const stats = { files: 0, bytes: 0 };
    const parts: Manifest['parts'] = [];
    const gz = zlib.createGzip({ level: 3 });
    const producer = (async () => {
      for await (const chunk of packDir(p.dataDir, stats)) if (!gz.write(chunk)) await once(gz, 'drain');
      gz.end();
    })().catch((e) => gz.destroy(e));
    let pending: Buffer[] = [];
    let size = 0;
    const flush = async () => {
      const key = `${p.systemId}/base/${id}/part-${String(parts.length + 1).padStart(4, '0')}`;
      parts.push({ key, ...(await putSealed(opts.store, opts.key, key, Buffer.concat(pending))) });
      pending = [];
      size = 0;
    };
    for await (const out of gz as AsyncIterable<Buffer>) {
      pending.push(out);
      size += out.length;
      if (size >= PART_BYTES) await flush();
    }
    await producer;
    if (size || !parts.length) await flush();

    const stop = (
      await c.query(`select lsn::text, labelfile, spcmapfile, pg_walfile_name(lsn) as wal, clock_timestamp() as at
          from pg_backup_stop(true)`)
    ).rows[0];
    // pg_backup_stop waited until the archiver had the WAL up to the stop point in the spool: ship it now.
    const shipper = startWalShipper({ ...p, store: opts.store, key: opts.key, intervalMs: 0 });
    await shipper.drain();
    await shipper.stop();
    await waitForWal(opts.store, p.systemId, segmentsBetween(start.wal, stop.wal, p.segmentBytes));

    const manifest: Manifest = {
      format: 1,
      id,
      systemId: p.systemId,
      pgVersion: p.pgVersion,
      timeline: Number(start.tli),
      segmentBytes: p.segmentBytes,
      startLsn: start.lsn,
      startWal: start.wal,
      stopLsn: stop.lsn,
      stopWal: stop.wal,
      startedAt: new Date(start.at).toISOString(),
      stoppedAt: new Date(stop.at).toISOString(),
      labelFile: stop.labelfile,
      tablespaceMap: stop.spcmapfile ?? '',
      files: stats.files,
      bytes: stats.bytes,
      parts,
    };
    await putSealed(opts.store, opts.key, manifestKey(p.systemId, id), Buffer.from(JSON.stringify(manifest)));
    const stored = parts.reduce((n, x) => n + x.size, 0);
    log(
      `backup ${id}: ${stats.files} files, ${(stats.bytes / 1e6).toFixed(1)} MB copied, ${(stored / 1e6).toFixed(1)} MB ` +
        `stored in ${parts.length} part(s); consistent from ${manifest.stoppedAt} (${stop.wal})`,
    );
    const pruned = await applyRetention(opts.store, opts.key, p.systemId, opts.keep, opts.keepDays);
    if (pruned.length) log(`backup: retention (keep ${opts.keep}) deleted ${pruned.length} object(s)`);
    return manifest;
  } finally {
    await c.end().catch(() => {}); // a backup left started ends with its session
  }
}

/** Another shipper (the dev stack's) may be sending a segment right now: wait until the store has them all. */
async function waitForWal(store: BackupStore, systemId: string, names: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const have = new Set((await store.list(`${systemId}/wal/`)).map((o) => o.key));
    const missing = names.filter((n) => !have.has(walKey(systemId, n)));
    if (!missing.length) return;
    if (Date.now() > deadline)
      throw new Error(`backup: WAL ${missing.join(', ')} did not reach the store within 30s; the backup is not usable`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Finished base backups of one cluster, oldest first (each manifest read, checked and opened). */
export async function listBackups(store: BackupStore, key: BackupKey, systemId: string): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const o of await store.list(`${systemId}/base/`)) {
    if (!o.key.endsWith('/manifest.json')) continue;
    const got = await getSealed(store, key, o.key);
    if (got) out.push(JSON.parse(got.plain.toString('utf8')) as Manifest);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The clusters (system ids) that have finished base backups in the store. */
export async function listClusters(store: BackupStore): Promise<string[]> {
  const ids = new Set<string>();
  for (const o of await store.list('')) {
    const m = /^(\d+)\/base\/[^/]+\/manifest\.json$/.exec(o.key);
    if (m) ids.add(m[1]!);
  }
  return [...ids];
}

/**
 * What retention deletes, given the finished backups (oldest first) and every key in the cluster's prefix: the
 * backups older than the newest `keep` (and than `keepDays` days, when set), parts of unfinished backups older than the oldest kept one (a newer one
 * may be in progress), and WAL segments before the oldest kept backup's start. Timeline history files stay.
 */
export function planRetention(
  backups: Manifest[],
  keys: string[],
  keep: number,
  keepDays = 0,
  now = Date.now(),
): string[] {
  if (keep < 1) throw new Error('backup: retention must keep at least one base backup');
  const young = backups.findIndex((b) => Date.parse(b.stoppedAt) > now - keepDays * 86_400_000);
  const firstKept = Math.min(backups.length - keep, keepDays > 0 && young >= 0 ? young : backups.length);
  if (firstKept <= 0) return [];
  const kept = backups.slice(firstKept);
  const oldest = kept[0]!;
  const keptIds = new Set(kept.map((b) => b.id));
  const firstSegment = segmentNumber(oldest.startWal, oldest.segmentBytes);
  return keys.filter((k) => {
    const base = /\/base\/([^/]+)\//.exec(k);
    if (base) return !keptIds.has(base[1]!) && base[1]! < oldest.id;
    const wal = /\/wal\/([^/]+)$/.exec(k);
    if (!wal || !WAL_FILE.test(wal[1]!)) return false;
    const n = segmentNumber(wal[1]!, oldest.segmentBytes);
    return n >= 0 && n < firstSegment;
  });
}

export async function applyRetention(
  store: BackupStore,
  key: BackupKey,
  systemId: string,
  keep: number,
  keepDays = 0,
): Promise<string[]> {
  const doomed = planRetention(
    await listBackups(store, key, systemId),
    (await store.list(`${systemId}/`)).map((o) => o.key),
    keep,
    keepDays,
  );
  await store.delete(doomed);
  return doomed;
}
