// `npm run backup`: a base backup of the local stack's primary now (the one `npm run dev` runs on PG_PORT; when it
// is not running, this starts the cluster from STOREFRONT_DATA itself, backs it up and stops it again).
// `npm run backup -- --list`: the finished base backups in the store.
import fs from 'node:fs';
import path from 'node:path';
import { startPostgres } from '../postgres';
import { DB, PASSWORD, USER } from '../postgres/process';
import { defaultPorts, projectRoot } from '../stack';
import { backupSettings } from './agent';
import { listBackups, listClusters, takeBaseBackup } from './base';

const say = (line: string) => console.log(`[backup] ${line}`);
const args = process.argv.slice(2);
if (args.some((a) => a !== '--list')) {
  console.error('usage: npm run backup [-- --list]');
  process.exit(2);
}

try {
  const dataRoot = process.env.STOREFRONT_DATA ?? path.join(projectRoot, '.data');
  const settings = backupSettings(dataRoot);
  if (settings.key.dev) say('encrypting with the DEV key (set BACKUP_ENCRYPTION_KEY for anything but npm run dev)');
  if (args.includes('--list')) {
    for (const c of await listClusters(settings.store))
      for (const b of await listBackups(settings.store, settings.key, c))
        console.log(`${c}  ${b.id}  consistent from ${b.stoppedAt}  ${b.files} files  ${b.parts.length} part(s)`);
    process.exit(0);
  }
  const port = Number(process.env.PG_PORT || defaultPorts.pgPrimary);
  let primaryUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DB}`;
  let stop = async () => {};
  const running = await fetchOk(primaryUrl);
  if (!running) {
    if (!fs.existsSync(path.join(dataRoot, 'postgres', '.initialized')))
      throw new Error(`no local database in ${dataRoot}/postgres: run npm run dev once first`);
    say(`no primary on 127.0.0.1:${port}: starting the local cluster from ${dataRoot}/postgres for the backup`);
    const pg = await startPostgres({
      dataDir: path.join(dataRoot, 'postgres'),
      primaryPort: port,
      replicaPort: Number(process.env.PG_REPLICA_PORT || defaultPorts.pgReplica),
      moreReplicas: [{ name: 'eu', port: Number(process.env.PG_REPLICA2_PORT || defaultPorts.pgReplica2) }],
      archive: { spoolDir: settings.spoolDir, timeoutS: settings.archiveTimeoutS },
    });
    primaryUrl = pg.primaryUrl;
    stop = () => pg.stop();
  }
  try {
    const m = await takeBaseBackup({
      primaryUrl,
      store: settings.store,
      key: settings.key,
      keep: settings.keep,
      keepDays: settings.keepDays,
      log: say,
    });
    say(
      `done: ${m.id} in ${settings.store.where} (keeping the newest ${settings.keep}${settings.keepDays ? ` and any younger than ${settings.keepDays} days` : ''})`,
    );
  } finally {
    await stop();
  }
} catch (err) {
  console.error(`[backup] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

async function fetchOk(url: string): Promise<boolean> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}
