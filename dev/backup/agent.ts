// dev/backup/agent.ts — the backups of the local stack's primary, as `npm run dev` runs them and the backup and
// restore commands find them: the settings (from the environment), the store (a folder under the data root:
// R2's stand-in, dev/backup/store.ts), and the agent that ships the archived WAL every second and takes a base
// backup shortly after start-up and then every BACKUP_INTERVAL_HOURS while the stack runs.
import path from 'node:path';
import { takeBaseBackup } from './base';
import { type BackupKey, FolderStore, resolveKey } from './store';
import { startWalShipper, type WalShipper } from './wal';

export interface BackupSettings {
  store: FolderStore;
  key: BackupKey;
  /** The primary's basic_archive folder (dev/postgres.ts `archive`). */
  spoolDir: string;
  /** Base backups kept (BACKUP_KEEP, default 3); older ones and the WAL only they need are deleted. */
  keep: number;
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
    intervalHours: intVar(env, 'BACKUP_INTERVAL_HOURS', 24, 0),
    archiveTimeoutS: intVar(env, 'ARCHIVE_TIMEOUT_S', 60, 1),
  };
}

export interface BackupAgent {
  shipper: WalShipper;
  /** Starts the schedule: a base backup after `firstAfterMs`, then every intervalHours. */
  schedule(firstAfterMs: number): void;
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
    running = takeBaseBackup({ primaryUrl: opts.primaryUrl, store: s.store, key: s.key, keep: s.keep, log }).catch(
      (e) => log(`backup: the scheduled base backup failed: ${e instanceof Error ? e.message : String(e)}`),
    );
    return running;
  };
  return {
    shipper,
    schedule(firstAfterMs) {
      const next = (ms: number) => {
        if (stopped) return;
        timer = setTimeout(() => {
          backupNow().then(() => {
            if (s.intervalHours > 0) next(s.intervalHours * 3_600_000);
          });
        }, ms);
        timer.unref();
      };
      next(firstAfterMs);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await shipper.stop();
    },
  };
}
