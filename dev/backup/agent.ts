// dev/backup/agent.ts — the backups of the local stack's primary, as `npm run dev` runs them and the backup and
// restore commands find them: the settings (from the environment), the store (a folder under the data root:
// R2's stand-in, dev/backup/store.ts), and the agent that ships the archived WAL every second and takes a base
// backup every BACKUP_INTERVAL_HOURS while the stack runs: the first one shortly after start-up unless the newest
// base backup is younger than that (so restarting `npm run dev` does not take backups that retention, keeping
// BACKUP_KEEP of them, would pay for with the older ones and the restore window they give).
import path from 'node:path';
import { connect, describePrimary, listBackups, takeBaseBackup } from './base';
import { type BackupKey, FolderStore, resolveKey } from './store';
import { shipTimelineHistory, startWalShipper, type WalShipper } from './wal';

export interface BackupSettings {
  store: FolderStore;
  key: BackupKey;
  /** The primary's basic_archive folder (dev/postgres.ts `archive`). */
  spoolDir: string;
  /** Base backups kept (BACKUP_KEEP, default 3); older ones and the WAL only they need are deleted. */
  keep: number;
  /** Base backups younger than this many days are kept too, however many (BACKUP_RETENTION_DAYS, default 0: none). */
  keepDays: number;
  /** Hours between scheduled base backups while `npm run dev` runs (BACKUP_INTERVAL_HOURS, default 24; 0: none). */
  intervalHours: number;
  /** archive_timeout: a segment with writes is archived after at most this long (ARCHIVE_TIMEOUT_S, default 60). */
  archiveTimeoutS: number;
}

const intVar = (env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number => {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name}=${raw} must be a whole number ≥ ${min}`);
  return Number(raw);
};

/** Settings for the stack whose data is in dataRoot; the dev key is allowed (the store is a local folder). */
export function backupSettings(dataRoot: string, env: NodeJS.ProcessEnv = process.env): BackupSettings {
  return {
    store: new FolderStore(env.BACKUP_DIR?.trim() || path.join(dataRoot, 'backups')),
    key: resolveKey(env, true),
    spoolDir: path.join(dataRoot, 'postgres', 'wal-spool'),
    keep: intVar(env, 'BACKUP_KEEP', 3, 1),
    keepDays: intVar(env, 'BACKUP_RETENTION_DAYS', 0, 0),
    intervalHours: intVar(env, 'BACKUP_INTERVAL_HOURS', 24, 0),
    archiveTimeoutS: intVar(env, 'ARCHIVE_TIMEOUT_S', 60, 1),
  };
}

export interface BackupAgent {
  shipper: WalShipper;
  /**
   * Starts the schedule: a base backup after `firstAfterMs` (or, when the newest is younger than intervalHours,
   * when it is that old), then every intervalHours. Resolves with the delay chosen for the first one, in ms.
   */
  schedule(firstAfterMs: number): Promise<number>;
  stop(): Promise<void>;
}

export function startBackupAgent(opts: {
  settings: BackupSettings;
  primaryUrl: string;
  systemId: string;
  log: (line: string) => void;
}): BackupAgent {
  const { settings: s, log } = opts;
  const shipper = startWalShipper({ spoolDir: s.spoolDir, store: s.store, key: s.key, systemId: opts.systemId, log });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const backupNow = () => {
    running = takeBaseBackup({
      primaryUrl: opts.primaryUrl,
      store: s.store,
      key: s.key,
      keep: s.keep,
      keepDays: s.keepDays,
      log,
    }).catch((e) => log(`backup: the scheduled base backup failed: ${e instanceof Error ? e.message : String(e)}`));
    return running;
  };
  return {
    shipper,
    async schedule(firstAfterMs) {
      const next = (ms: number) => {
        if (stopped) return;
        timer = setTimeout(
          () => {
            backupNow().then(() => {
              if (s.intervalHours > 0) next(s.intervalHours * 3_600_000);
            });
          },
          Math.min(ms, 2 ** 31 - 1),
        );
        timer.unref();
      };
      // A primary restored and switched to (docs/runbook.md) has a timeline history no archiver queued: ship it.
      await (async () => {
        const c = await connect(opts.primaryUrl);
        try {
          const p = await describePrimary(c);
          const history = await shipTimelineHistory({ ...p, store: s.store, key: s.key });
          if (history.length) log(`backup: shipped the timeline history ${history.join(', ')} missing from the store`);
        } finally {
          await c.end().catch(() => {});
        }
      })().catch((e) => log(`backup: timeline history not shipped: ${e instanceof Error ? e.message : String(e)}`));
      let first = firstAfterMs;
      if (s.intervalHours > 0) {
        const newest = (
          await listBackups(s.store, s.key, opts.systemId).catch((e) => {
            log(`backup: cannot list the base backups (${e instanceof Error ? e.message : String(e)}); taking one`);
            return [];
          })
        ).at(-1);
        const due = newest ? Date.parse(newest.stoppedAt) + s.intervalHours * 3_600_000 - Date.now() : 0;
        if (newest && due > firstAfterMs) {
          first = due;
          log(
            `backup: the newest base backup (${newest.id}) is younger than ${s.intervalHours}h; next one in ${(due / 3_600_000).toFixed(1)}h`,
          );
        }
      }
      next(first);
      return first;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await shipper.stop();
    },
  };
}
