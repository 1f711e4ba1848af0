// `npm run restore -- --to <time>`: restores the local stack's backups into a NEW cluster (a new folder under
// STOREFRONT_DATA/restores, a free port) at that time, checking every object it reads, reports, and serves it until
// Ctrl-C (the folder stays: start it again with the command it prints). `--latest`: to the end of the archive.
// `npm run restore -- --drill`: the restore drill against the running primary (dev/backup/drill.ts); exits 1 when
// a check fails. Options: --cluster <system id>, --port <n>, --primary <url>, --keep (drill: keep the folder).
// Before --to / --latest, a primary answering on PG_PORT (or --primary) is asked to archive its current WAL, so the
// archive holds everything committed until now.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DB, PASSWORD, USER } from '../postgres/process';
import { defaultPorts, projectRoot } from '../stack';
import { backupSettings } from './agent';
import { localArchiveReader } from './archive-check';
import { connect, describePrimary } from './base';
import { flushArchive, runDrill } from './drill';
import { loginObjectReader, type ObjectLevelsReader } from './object-check';
import { pgTime, restore } from './restore';

const usage = `usage: npm run restore -- --to <ISO time with zone> | --latest | --drill
         [--cluster <system id>] [--port <n>] [--primary <url>] [--keep]`;
let opts: ReturnType<typeof parse>;
const parse = () =>
  parseArgs({
    options: {
      to: { type: 'string' },
      latest: { type: 'boolean' },
      drill: { type: 'boolean' },
      cluster: { type: 'string' },
      port: { type: 'string' },
      primary: { type: 'string' },
      keep: { type: 'boolean' },
    },
    strict: true,
  }).values;
try {
  opts = parse();
  const modes = [opts.to !== undefined, opts.latest, opts.drill].filter(Boolean).length;
  if (modes !== 1) throw new Error('choose one of --to, --latest, --drill');
  if (opts.to !== undefined && !pgTime(opts.to))
    throw new Error(
      `--to ${opts.to} is not a time with its zone (e.g. 2026-11-30T14:05:00Z or 2026-11-30 15:05:00+01)`,
    );
  if (opts.port !== undefined && !/^\d+$/.test(opts.port)) throw new Error(`--port ${opts.port} is not a port`);
  if (opts.cluster !== undefined && !/^\d+$/.test(opts.cluster)) throw new Error('--cluster takes a system id');
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
  process.exit(2);
}

const say = (line: string) => console.log(`[restore] ${line}`);
const ms = (n: number) => `${(n / 1000).toFixed(2)} s`;
const dataRoot = process.env.STOREFRONT_DATA ?? path.join(projectRoot, '.data');
try {
  const s = backupSettings(dataRoot);
  const restoreRoot = path.join(dataRoot, 'restores');
  const primaryUrl =
    opts.primary ?? `postgres://${USER}:${PASSWORD}@127.0.0.1:${process.env.PG_PORT || defaultPorts.pgPrimary}/${DB}`;
  if (opts.drill) {
    // Archival's objects: the local ARCHIVE bucket that `npm run dev`'s wrangler keeps (dev/stack/wrangler.ts).
    const archive = await localArchiveReader(path.join(dataRoot, 'wrangler'));
    // The live InventoryDOs, through the running stack's admin API (the dev admin unless DRILL_ADMIN_* say otherwise).
    const url = process.env.STOREFRONT_URL ?? `http://127.0.0.1:${process.env.PORT || defaultPorts.gateway}`;
    const objects: ObjectLevelsReader = await loginObjectReader({
      url,
      email: process.env.DRILL_ADMIN_EMAIL ?? 'admin@storefront.local',
      password: process.env.DRILL_ADMIN_PASSWORD ?? 'dev-admin-password',
    }).catch((e) => ({
      levels: () => Promise.reject(e instanceof Error ? e : new Error(String(e))),
    }));
    const r = await runDrill({
      primaryUrl,
      store: s.store,
      key: s.key,
      restoreRoot,
      keep: opts.keep,
      log: say,
      archive,
      objects,
    }).finally(() => archive.close());
    console.log(`\n  Restore drill ${r.ok ? 'PASSED' : 'FAILED'} (target ${r.target}, base backup ${r.backupId})`);
    for (const c of r.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(20)} ${c.detail}`);
    console.log(`  RPO  ${r.rpoMs === null ? 'n/a (no transaction recovered)' : ms(r.rpoMs)}: target minus the last transaction recovered (${r.lastTransactionAt})
  RTO  ${ms(r.rtoMs)}: from the start of the restore to a promoted cluster answering queries
  At risk when the drill began: ${r.atRisk.bytes} bytes of WAL not yet archived, ${r.atRisk.sinceLastArchiveS === null ? 'nothing archived yet' : `last archived ${r.atRisk.sinceLastArchiveS.toFixed(0)} s before`} (bounded by ARCHIVE_TIMEOUT_S=${s.archiveTimeoutS})
  ${opts.keep ? `Restored data kept in ${r.restoredDir}` : 'The restored cluster was stopped and its folder deleted (--keep keeps it).'}
`);
    process.exit(r.ok ? 0 : 1);
  }
  // With the dev primary running, everything it committed so far goes into the archive first.
  const c = await connect(primaryUrl).catch(() => undefined);
  if (c) {
    try {
      await flushArchive(c, await describePrimary(c), s.store, s.key);
      say('the running primary archived and shipped its current WAL');
    } catch (e) {
      say(
        `could not flush the running primary's WAL (${e instanceof Error ? e.message : String(e)}); restoring from what the archive has`,
      );
    } finally {
      await c.end().catch(() => {});
    }
  } else say(`no primary answers on ${new URL(primaryUrl).host}: restoring from what the archive has`);
  const r = await restore({
    store: s.store,
    key: s.key,
    restoreRoot,
    target: opts.to,
    systemId: opts.cluster,
    port: opts.port ? Number(opts.port) : undefined,
    log: say,
  });
  const last = r.lastTransactionAt;
  console.log(`
  Restored ${r.target ? `to ${r.target}${r.reachedTarget ? '' : " (no commit after it in the archive: recovered to the archive's end, which is the state at the target as far as the archive goes)"}` : 'to the end of the archive'}
  Base backup   ${r.backup.id} (consistent from ${r.backup.stoppedAt}), ${r.partsVerified} part(s) verified (SHA-256 + GCM)
  Last commit   ${last ?? 'none recovered'}${r.target && last ? ` (${ms(pgTime(r.target)!.ms - Date.parse(last))} before the target)` : ''}
  Timings       fetch+verify+unpack ${ms(r.timings.fetchMs)}, recovery ${ms(r.timings.recoveryMs)}, usable after ${ms(r.timings.totalMs)}
  Cluster       ${r.url}  (data: ${r.dataDir}, log: ${path.join(r.dir, 'restored.log')})
  Ctrl-C stops it; the folder stays.
`);
  const onSignal = async () => {
    await r.stop();
    process.exit(0);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  setInterval(() => {}, 1 << 30);
} catch (err) {
  console.error(`[restore] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
