// dev/backup/wal.ts — continuous WAL archiving, second half: the primary's `basic_archive` copies every finished
// WAL segment into a spool folder (dev/postgres.ts, `archive`); the shipper moves each one from there into the
// backup store (gzip, then sealed: dev/backup/store.ts) as `<system id>/wal/<segment name>`, and only then deletes
// it from the spool. The spool is durable: what the shipper has not sent yet (the stack was stopped, the store
// was full) is sent by the next one. Shipping twice is harmless (same key, same content), so `npm run backup`
// and `npm run dev` may both ship at once.
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { type BackupKey, type BackupStore, putSealed } from './store';

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

export const walKey = (systemId: string, name: string) => `${systemId}/wal/${name}`;

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
    let names: string[];
    try {
      names = (await fs.promises.readdir(opts.spoolDir)).filter((n) => WAL_FILE.test(n)).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    let shipped = 0;
    for (const name of names) {
      const file = path.join(opts.spoolDir, name);
      let content: Buffer;
      let archivedAt: Date;
      try {
        [content, archivedAt] = [await fs.promises.readFile(file), (await fs.promises.stat(file)).mtime];
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // another shipper took it
        throw e;
      }
      await putSealed(opts.store, opts.key, walKey(opts.systemId, name), await gzip(content, { level: 3 }), {
        archivedAt: archivedAt.toISOString(),
      });
      await fs.promises.rm(file, { force: true });
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
