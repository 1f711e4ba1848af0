// dev/backup/drill.ts — the restore drill: restore the primary's backups to "now" into a new cluster and prove the
// copy is whole. The target is taken while every table is locked against writes (SHARE mode), together with an
// exported snapshot (pg_export_snapshot); the locks are released at once, and each table's row count and a
// fingerprint of its rows (the sum of a 64-bit hash of each row's text: no order, no giant string) are read on a
// second connection in that snapshot, while the shop writes on. So the primary's state at the target is known
// exactly, whatever the shop is doing, and writes wait only for the lock and two statements. A marker transaction
// commits just before the target (so the RPO measures the archive, not how quiet the shop was) and one after it,
// then the WAL is switched, archived and shipped, and the restore runs. The restored cluster must then have the
// same counts and fingerprints, every order a payment of its total, every stock copy adding up (on hand =
// available + held + sold), every stock copy equal to its live InventoryDO's levels as of the target (object-check.ts,
// through the admin API), every archived batch's object whole and as its manifest says (archive-check.ts; the row
// counts reported as hot + archived), and answer queries and writes. RPO: the target minus the last transaction recovered.
// RTO: from the start of the restore to the first answer of the promoted cluster.
import fs from 'node:fs';
import type pg from 'pg';
import { type ArchiveReader, archiveChecks } from './archive-check';
import { connect, describePrimary } from './base';
import { type ObjectLevelsReader, objectChecks } from './object-check';
import { restore } from './restore';
import type { BackupKey, FolderStore } from './store';
import { startWalShipper, walKey } from './wal';

export interface DrillCheck {
  name: string;
  ok: boolean;
  detail: string;
}
export interface DrillReport {
  ok: boolean;
  target: string;
  backupId: string;
  checks: DrillCheck[];
  rpoMs: number | null;
  rtoMs: number;
  lastTransactionAt: string | null;
  /** WAL written on the primary since its last archived segment when the drill began (lost with the primary). */
  atRisk: { bytes: number; sinceLastArchiveS: number | null };
  restoredDir: string;
}

type Counts = Map<string, { rows: number; hash: string }>;

const TABLES = `select quote_ident(table_schema) || '.' || quote_ident(table_name) as t from information_schema.tables
  where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1`;

/** Per table: the row count and the sum of each row's hash (64 bits of md5 of its text; a numeric, never overflows). */
async function tableFacts(c: pg.Client, tables: string[]): Promise<Counts> {
  const out: Counts = new Map();
  for (const t of tables) {
    const r = (
      await c.query(
        `select count(*)::int as n, coalesce(sum(('x' || left(md5(x::text), 16))::bit(64)::bigint), 0)::text as h from ${t} x`,
      )
    ).rows[0];
    out.set(t, { rows: r.n, hash: r.h });
  }
  return out;
}

const exists = async (c: pg.Client, table: string) =>
  (await c.query('select to_regclass($1) is not null as e', [table])).rows[0].e as boolean;

/**
 * Commits a marker transaction (so there is something to switch: a switch with nothing written since the last one
 * does nothing), closes the primary's current WAL segment and waits until it is archived and in the store (shipped by us, or by
 * the dev stack's shipper, whichever comes first): after it, the archive holds every commit made before the call.
 */
export async function flushArchive(
  c: pg.Client,
  p: { systemId: string; spoolDir: string },
  store: FolderStore,
  key: BackupKey,
): Promise<void> {
  await c.query('select pg_current_xact_id()');
  const wal = (await c.query('select pg_walfile_name(pg_switch_wal()) as w')).rows[0].w as string;
  const shipper = startWalShipper({ ...p, store, key, intervalMs: 0 });
  try {
    const deadline = Date.now() + 30_000;
    while (!(await store.get(walKey(p.systemId, wal)))) {
      if (Date.now() > deadline) throw new Error(`WAL ${wal} was not archived and shipped within 30s`);
      await shipper.drain();
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await shipper.stop();
  }
}

/** The cross-checks that need no primary: every order has a payment of its total; every stock copy adds up. */
export async function integrityChecks(rc: pg.Client): Promise<DrillCheck[]> {
  const checks: DrillCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  if ((await exists(rc, 'public.orders')) && (await exists(rc, 'public.payments'))) {
    const bad = (
      await rc.query(`select o.id, o.total, p.amount from orders o left join payments p on p.order_id = o.id
        where p.order_id is null or p.amount <> o.total order by o.id limit 5`)
    ).rows;
    const n = (await rc.query('select count(*)::int as n from orders')).rows[0].n;
    check(
      'orders vs payments',
      !bad.length,
      bad.length
        ? bad.map((b) => `${b.id}: total ${b.total}, payment ${b.amount ?? 'missing'}`).join('; ')
        : `${n} orders, each with a payment of its total`,
    );
  } else check('orders vs payments', true, 'n/a (no orders/payments tables)');
  if (await exists(rc, 'public.inventory_levels')) {
    const bad = (
      await rc.query(`select sku, on_hand, available, held, sold from inventory_levels
        where on_hand <> available + held + sold and version > 0 order by sku limit 5`)
    ).rows;
    const n = (await rc.query('select count(*)::int as n from inventory_levels where version > 0')).rows[0].n;
    check(
      'stock copies',
      !bad.length,
      bad.length
        ? bad.map((b) => `${b.sku}: on hand ${b.on_hand} ≠ ${b.available}+${b.held}+${b.sold}`).join('; ')
        : `${n} SKU copies add up (on hand = available + held + sold)`,
    );
  } else check('stock copies', true, 'n/a (no inventory_levels table)');
  return checks;
}

export async function runDrill(opts: {
  primaryUrl: string;
  store: FolderStore;
  key: BackupKey;
  restoreRoot: string;
  /** Keep the restored cluster's data dir (it is always stopped). */
  keep?: boolean;
  log?: (line: string) => void;
  /** Called once the tables are unlocked, before the fingerprints are read (tests write there). */
  onUnlocked?: () => Promise<void>;
  /** The archive's bucket (archival's objects), checked against the restored cluster's archive_batches. */
  archive?: ArchiveReader;
  /** The live InventoryDOs (through a running stack's admin API), compared with the restored stock copies. */
  objects?: ObjectLevelsReader;
}): Promise<DrillReport> {
  const log = opts.log ?? (() => {});
  const c = await connect(opts.primaryUrl);
  let target: string;
  let before: Counts;
  let atRisk: DrillReport['atRisk'];
  let p: Awaited<ReturnType<typeof describePrimary>>;
  try {
    p = await describePrimary(c);
    const risk = (
      await c.query(`select (pg_walfile_name_offset(pg_current_wal_lsn())).file_offset::int as bytes,
        extract(epoch from now() - last_archived_time)::float as s from pg_stat_archiver`)
    ).rows[0];
    atRisk = { bytes: risk.bytes, sinceLastArchiveS: risk.s };
    await c.query('select pg_current_xact_id()'); // marker: a commit just before the target
    const tables = (await c.query(TABLES)).rows.map((r) => r.t as string);
    // Under the locks only the target and a snapshot (taken after the locks: no write is in flight on any table).
    await c.query('begin isolation level repeatable read');
    await c.query("set local lock_timeout = '5s'");
    if (tables.length) await c.query(`lock table ${tables.join(', ')} in share mode`);
    const at = (
      await c.query(`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t,
        pg_export_snapshot() as snapshot`)
    ).rows[0];
    target = at.t;
    const fc = await connect(opts.primaryUrl);
    try {
      await fc.query('begin isolation level repeatable read read only');
      await fc.query(`set transaction snapshot '${String(at.snapshot).replace(/'/g, "''")}'`);
      await c.query('commit'); // the locks go: the shop writes on while the fingerprints are read
      await opts.onUnlocked?.();
      before = await tableFacts(fc, tables);
      await fc.query('commit');
    } finally {
      await fc.end().catch(() => {});
    }
    await flushArchive(c, p, opts.store, opts.key); // its marker is a commit after the target: recovery stops there
  } finally {
    await c.end().catch(() => {});
  }
  log(`drill: target ${target} (${before.size} tables counted in the snapshot taken under lock); restoring`);

  const r = await restore({
    store: opts.store,
    key: opts.key,
    restoreRoot: opts.restoreRoot,
    target,
    systemId: p.systemId,
    log,
  });
  const checks: DrillCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  try {
    const rc = await connect(r.url);
    try {
      const after = await tableFacts(rc, [...before.keys()]).catch((e) => {
        check('tables', false, String(e));
        return new Map() as Counts;
      });
      const wrongCounts = [...before].filter(([t, b]) => after.get(t)?.rows !== b.rows);
      check(
        'row counts',
        !wrongCounts.length,
        wrongCounts.length
          ? wrongCounts
              .map(([t, b]) => `${t}: primary ${b.rows}, restored ${after.get(t)?.rows ?? 'missing'}`)
              .join('; ')
          : `${before.size} tables, ${[...before.values()].reduce((n, b) => n + b.rows, 0)} rows, all equal`,
      );
      const wrongRows = [...before].filter(([t, b]) => after.get(t) && after.get(t)?.hash !== b.hash);
      check(
        'row contents',
        !wrongRows.length,
        wrongRows.length ? `differ: ${wrongRows.map(([t]) => t).join(', ')}` : 'every table fingerprint equal',
      );
      checks.push(...(await integrityChecks(rc)));
      checks.push(...(await objectChecks(rc, opts.objects, { targetMs: Date.parse(target) })));
      checks.push(...(await archiveChecks(rc, opts.archive)));
      await rc.query('begin');
      await rc.query('create temp table drill_probe (x int)');
      await rc.query('insert into drill_probe values (1)');
      await rc.query('rollback');
      check('answers queries', true, 'reads and writes (rolled back) on the promoted cluster');
    } finally {
      await rc.end().catch(() => {});
    }
  } catch (e) {
    check('answers queries', false, String(e));
  } finally {
    await r.stop().catch(() => {});
    if (!opts.keep) fs.rmSync(r.dir, { recursive: true, force: true });
  }
  const rpoMs = r.lastTransactionAt ? Date.parse(target) - Date.parse(r.lastTransactionAt) : null;
  return {
    ok: checks.every((x) => x.ok) && r.reachedTarget,
    target,
    backupId: r.backup.id,
    checks: r.reachedTarget ? checks : [...checks, { name: 'target', ok: false, detail: 'not reached' }],
    rpoMs,
    rtoMs: r.timings.totalMs,
    lastTransactionAt: r.lastTransactionAt,
    atRisk,
    restoredDir: r.dir,
  };
}
