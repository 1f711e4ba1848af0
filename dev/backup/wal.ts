// dev/backup/wal.ts — continuous WAL archiving, second half: the primary's `basic_archive` copies every finished
// WAL segment into a spool folder (dev/postgres.ts, `archive`); the shipper moves each one from there into the
// backup store (gzip, then sealed: dev/backup/store.ts) as `<system id>/wal/<segment name>`, and only then deletes
// it from the spool. The spool is durable: what the shipper has not sent yet (the stack was stopped, the store
// was full) is sent by the next one. Several shippers may run at once (`npm run dev`'s, a base backup's, a
// drill's, in one process or several): each spool file is first claimed by renaming it to
// `<name>.shipping.<pid>.<random>`, so only one of them sends it (a claim whose process is gone is taken over;
// one that fails is given back), and an object already complete in the store is never overwritten (each put
// seals with a fresh IV, so a second put would be other bytes under the same key).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { type BackupKey, type BackupStore, putSealed, sha256 } from './store';

const gzip = promisify(zlib.gzip);

/** WAL segments, their `.partial` and `.backup` companions, and timeline history files; not basic_archive's temps. */
export const WAL_FILE = /^([0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$/;

/** A segment's number (log * segments-per-log + seg) from its name, for ordering and retention; history: -1. */
export function segmentNumber(name: string, segmentBytes = 16 * 1024 * 1024): number {
  if (!/^[0-9A-F]{24}/.test(name)) return -1;
  const perLog = 0x1_0000_0000 / segmentBytes;
  return Number.parseInt(name.slice(8, 16), 16) * perLog + Number.parseInt(name.slice(16, 24), 16);
}

/** Segment names from `from` to `to` inclusive, on from's timeline. */
export function segmentsBetween(from: string, to: string, segmentBytes = 16 * 1024 * 1024): string[] {
  const perLog = 0x1_0000_0000 / segmentBytes;
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  const out: string[] = [];
  for (let n = segmentNumber(from, segmentBytes); n <= segmentNumber(to, segmentBytes); n++)
    out.push(`${from.slice(0, 8)}${hex(Math.floor(n / perLog))}${hex(n % perLog)}`);
  return out;
}

/**
 * The first WAL segment recovery would need but the store lacks, or null: the segments from the base backup's start
 * must run without a gap (on its timeline or a later one) up to the backup's stop and on to the first segment
 * archived at or after the target (all of them without a target). Without this check a missing segment is, to
 * PostgreSQL, the end of the archive: the recovery would stop there and report success.
 */
export function firstMissingSegment(
  files: { name: string; archivedAt?: string }[],
  backup: { startWal: string; stopWal: string; segmentBytes: number },
  targetMs?: number,
): string | null {
  const tl0 = Number.parseInt(backup.startWal.slice(0, 8), 16);
  const start = segmentNumber(backup.startWal, backup.segmentBytes);
  const have = new Map<number, { tl: string; at: number }>();
  for (const f of files) {
    if (!/^[0-9A-F]{24}$/.test(f.name) || Number.parseInt(f.name.slice(0, 8), 16) < tl0) continue;
    const n = segmentNumber(f.name, backup.segmentBytes);
    const at = f.archivedAt ? Date.parse(f.archivedAt) : Number.NaN;
    if (n >= start && !have.has(n)) have.set(n, { tl: f.name.slice(0, 8), at });
    else if (n >= start && at < (have.get(n)?.at ?? Number.POSITIVE_INFINITY)) have.get(n)!.at = at;
  }
  let end = Math.max(segmentNumber(backup.stopWal, backup.segmentBytes), ...have.keys());
  if (targetMs !== undefined) {
    const reaching = [...have].filter(([, v]) => v.at >= targetMs).map(([n]) => n);
    if (reaching.length) end = Math.max(segmentNumber(backup.stopWal, backup.segmentBytes), Math.min(...reaching));
  }
  const perLog = 0x1_0000_0000 / backup.segmentBytes;
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  let tl = backup.startWal.slice(0, 8);
  for (let n = start; n <= end; n++) {
    const got = have.get(n);
    if (!got) return `${tl}${hex(Math.floor(n / perLog))}${hex(n % perLog)}`;
    tl = got.tl;
  }
  return null;
}

export const walKey = (systemId: string, name: string) => `${systemId}/wal/${name}`;

const CLAIM = /^(.+)\.shipping\.(\d+)\.[0-9a-f]+$/;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The store already holds this object whole (its bytes match its checksum): it is not put again. */
async function complete(store: BackupStore, key: string): Promise<boolean> {
  const got = await store.get(key).catch(() => null);
  return !!got && sha256(got.body) === got.meta.sha256;
}

/**
 * Ships the timeline history files in the primary's pg_wal that the store lacks. A cluster restored and promoted
 * with archiving off (dev/backup/restore.ts), then made the primary (docs/runbook.md "Primary lost"), wrote its new
 * timeline's history without queueing it for the archiver; a later restore from an older base backup needs it to
 * follow that timeline (recovery_target_timeline=latest) instead of replaying the old one to its end. Returns the
 * names shipped.
 */
export async function shipTimelineHistory(opts: {
  dataDir: string;
  store: BackupStore;
  key: BackupKey;
  systemId: string;
}): Promise<string[]> {
  const dir = path.join(opts.dataDir, 'pg_wal');
  const names = (await fs.promises.readdir(dir)).filter((n) => /^[0-9A-F]{8}\.history$/.test(n)).sort();
  const shipped: string[] = [];
  for (const name of names) {
    const key = walKey(opts.systemId, name);
    if (await complete(opts.store, key)) continue;
    const file = path.join(dir, name);
    const [content, at] = [await fs.promises.readFile(file), (await fs.promises.stat(file)).mtime];
    await putSealed(opts.store, opts.key, key, await gzip(content, { level: 3 }), { archivedAt: at.toISOString() });
    shipped.push(name);
  }
  return shipped;
}

export interface WalShipper {
  /** Ships everything in the spool now; resolves with how many files it shipped. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export function startWalShipper(opts: {
  spoolDir: string;
  store: BackupStore;
  key: BackupKey;
  systemId: string;
  /** How often the spool is looked at (default 1 s); 0: only when drain() is called. */
  intervalMs?: number;
  log?: (line: string) => void;
}): WalShipper {
  const log = opts.log ?? (() => {});
  let lastError = '';
  const shipAll = async (): Promise<number> => {
    let entries: string[];
    try {
      entries = await fs.promises.readdir(opts.spoolDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    // Unclaimed files, and the claims of processes that are gone (they died while shipping).
    const todo = entries
      .map((n) => {
        if (WAL_FILE.test(n)) return { name: n, from: n };
        const m = CLAIM.exec(n);
        return m && WAL_FILE.test(m[1]!) && !alive(Number(m[2])) ? { name: m[1]!, from: n } : null;
      })
      .filter((x) => x !== null)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let shipped = 0;
    for (const { name, from } of todo) {
      const file = path.join(opts.spoolDir, name);
      const claim = `${file}.shipping.${process.pid}.${randomBytes(4).toString('hex')}`;
      try {
        await fs.promises.rename(path.join(opts.spoolDir, from), claim);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // another shipper took it
        throw e;
      }
      try {
        const key = walKey(opts.systemId, name);
        const [content, archivedAt] = [await fs.promises.readFile(claim), (await fs.promises.stat(claim)).mtime];
        if (!(await complete(opts.store, key)))
          await putSealed(opts.store, opts.key, key, await gzip(content, { level: 3 }), {
            archivedAt: archivedAt.toISOString(),
          });
      } catch (e) {
        await fs.promises.rename(claim, file).catch(() => {}); // given back: the next drain retries it
        throw e;
      }
      await fs.promises.rm(claim, { force: true });
      shipped++;
    }
    return shipped;
  };
  let queue: Promise<unknown> = Promise.resolve();
  const drain = () => {
    const run = queue.then(shipAll);
    queue = run.catch(() => {});
    return run;
  };
  const timer =
    opts.intervalMs === 0
      ? undefined
      : setInterval(() => {
          drain().then(
            () => {
              lastError = '';
            },
            (e) => {
              const msg = `backup: shipping WAL from ${opts.spoolDir} failed (kept there, retried): ${String(e)}`;
              if (msg !== lastError) log(msg);
              lastError = msg;
            },
          );
        }, opts.intervalMs ?? 1000);
  timer?.unref();
  return {
    drain,
    async stop() {
      if (timer) clearInterval(timer);
      await queue;
    },
  };
}
