// Archival (docs/runbook.md#archival): settled orders (SETTLED_STATUSES, lib/checkout/order.ts) created more than
// ARCHIVE_AFTER_DAYS ago, and orders closed by the refund window (CLOSED_AFTER_WINDOW_STATUSES created more than
// ARCHIVE_REFUND_WINDOW_DAYS ago, unchanged for ARCHIVE_AFTER_DAYS: `archivePolicy`), with their lines, payment
// and events, and the stock events made before the cutoff, leave the hot tables for gzip NDJSON objects in R2 (the
// ARCHIVE bucket), one object and one manifest per batch.
//
// The protocol, crash-safe and idempotent at every step:
//  1. A pending batch left by an interrupted run is finished first. Otherwise a new one is recorded in Postgres
//     (archive_batches, `pending`), listing exactly the rows it takes: order ids at their versions, stock events by
//     (sku, seq). One pending batch at a time (a unique index): a second run at once finishes the same batch.
//  2. Those rows are read (one repeatable-read snapshot) and written to archive/batches/<id>/rows.ndjson.gz: the key
//     is the batch's id, so a repeated write replaces the same object, never adds one.
//  3. The object is read back, unzipped, and its SHA-256 and row counts compared with what was written; then the
//     manifest is written beside it.
//  4. archive_batch_commit (migration 0016) deletes exactly the listed rows, files each order under the batch and
//     marks the batch `archived`, in one transaction; if the hot rows are not the ones written (a count differs) it
//     deletes nothing, and the batch is dropped (its objects too) and its rows taken again by the next batch.
// Stopped anywhere, the next run either finds the batch pending (and does 2-4 again under the same key) or
// archived (nothing left to do): no row is lost, none is archived twice. Each run is bounded: at most
// MAX_BATCHES_PER_RUN batches of ARCHIVE_BATCH_SIZE orders (and as many stock events), and no new batch after
// ARCHIVE_TIME_BUDGET_MS.
import type { ArchiveCounts, ArchiveManifest, ArchiveRun } from '../../../lib/admin/archive.schemas';
import { CLOSED_AFTER_WINDOW_STATUSES, SETTLED_STATUSES } from '../../../lib/checkout/order';
import { log } from '../../../lib/log';
import type { ArchiveSettings } from './config';

export const ARCHIVE_PREFIX = 'archive/batches/';
/** A run's hard bound on batches, whatever its time budget. */
export const MAX_BATCHES_PER_RUN = 50;
const DAY_MS = 86_400_000;

export const TABLES = ['orders', 'order_lines', 'payments', 'order_events', 'inventory_events'] as const;
export type ArchiveTable = (typeof TABLES)[number];
const COUNT_OF: Record<ArchiveTable, keyof ArchiveCounts> = {
  orders: 'orders',
  order_lines: 'orderLines',
  payments: 'payments',
  order_events: 'orderEvents',
  inventory_events: 'stockEvents',
};

/** A batch as Postgres records it: the rows it takes. */
export interface PendingBatch {
  id: number;
  cutoff: string;
  orders: [string, number][];
  stockEvents: [string, number][];
}

/** Each table's rows of a batch, as JSON text (Postgres' row_to_json), in a fixed order. */
export type BatchRows = Record<ArchiveTable, string[]>;

/** Archival's side of Postgres (archive.store.ts; a model of it in the unit test). */
export interface ArchiveDb {
  /** The pending batch, if a run left one. */
  pending(): Promise<PendingBatch | null>;
  /** Records a new pending batch of the oldest due rows; null when nothing is due; 'busy' when one is pending. */
  create(policy: ArchivePolicy, limit: number): Promise<PendingBatch | null | 'busy'>;
  /** The listed rows, in one snapshot (an order at another version than listed is left out). */
  rows(batch: PendingBatch): Promise<BatchRows>;
  /** archive_batch_commit: 'changed' when the hot rows are not the ones counted (nothing was deleted). */
  commit(
    batchId: number,
    expected: ArchiveCounts,
    manifest: ArchiveManifest,
  ): Promise<'archived' | 'already' | 'changed'>;
  /** Forgets a pending batch that could not be committed (its rows stay hot). */
  drop(batchId: number): Promise<void>;
}

/** The ARCHIVE bucket, as much of R2 as archival uses. */
export interface ArchiveBucket {
  put(key: string, body: Uint8Array, meta: Record<string, string>): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  delete(keys: string[]): Promise<void>;
}

export const batchKey = (id: number) => `${ARCHIVE_PREFIX}${String(id).padStart(12, '0')}/rows.ndjson.gz`;
export const manifestKey = (id: number) => `${ARCHIVE_PREFIX}${String(id).padStart(12, '0')}/manifest.json`;

export const cutoffOf = (now: number, s: Pick<ArchiveSettings, 'ARCHIVE_AFTER_DAYS'>) =>
  new Date(now - s.ARCHIVE_AFTER_DAYS * DAY_MS).toISOString();

/**
 * Which orders are due (ISO times): a settled one created before `cutoff`; a closed one (its refund window passed,
 * so nothing but a refund could move it and the window refuses that) created before `closedCutoff`, the earlier
 * of the cutoff and the window's start, and unchanged since before `cutoff`. Stock events made before `cutoff`.
 */
export interface ArchivePolicy {
  cutoff: string;
  closedCutoff: string;
  settled: readonly string[];
  closed: readonly string[];
}

export const archivePolicy = (
  now: number,
  s: Pick<ArchiveSettings, 'ARCHIVE_AFTER_DAYS' | 'ARCHIVE_REFUND_WINDOW_DAYS'>,
): ArchivePolicy => {
  const cutoff = cutoffOf(now, s);
  return {
    cutoff,
    closedCutoff: new Date(now - Math.max(s.ARCHIVE_AFTER_DAYS, s.ARCHIVE_REFUND_WINDOW_DAYS) * DAY_MS).toISOString(),
    settled: SETTLED_STATUSES,
    closed: CLOSED_AFTER_WINDOW_STATUSES,
  };
};

/** The policy's rule for one order (the SQL of archive.store.ts says the same; the unit test's model uses this). */
export const orderDue = (o: { status: string; created_at: string; updated_at: string }, p: ArchivePolicy) =>
  (p.settled.includes(o.status) && o.created_at < p.cutoff) ||
  (p.closed.includes(o.status) && o.created_at < p.closedCutoff && o.updated_at < p.cutoff);

const emptyCounts = (): ArchiveCounts => ({ orders: 0, orderLines: 0, payments: 0, orderEvents: 0, stockEvents: 0 });

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function through(data: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}
export const gzip = (data: Uint8Array) => through(data, new CompressionStream('gzip'));
export const gunzip = (data: Uint8Array) => through(data, new DecompressionStream('gzip'));

/** The NDJSON body of a batch: one `{"table": …, "row": …}` line per row, tables in a fixed order. */
export function ndjson(rows: BatchRows): string {
  const lines: string[] = [];
  for (const t of TABLES) for (const r of rows[t]) lines.push(`{"table":"${t}","row":${r}}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The rows of an NDJSON body, per table (the archive read and the read-back check). */
export function parseNdjson(text: string): { table: ArchiveTable; row: Record<string, unknown> }[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { table: ArchiveTable; row: Record<string, unknown> });
}

export function countsOf(rows: { table: ArchiveTable }[]): ArchiveCounts {
  const c = emptyCounts();
  for (const r of rows) c[COUNT_OF[r.table]]++;
  return c;
}

function rangeOf(rows: Record<string, unknown>[], field: string): { from: string; to: string } | null {
  let from = Infinity;
  let to = -Infinity;
  for (const r of rows) {
    const t = Date.parse(String(r[field]));
    if (t < from) from = t;
    if (t > to) to = t;
  }
  return rows.length ? { from: new Date(from).toISOString(), to: new Date(to).toISOString() } : null;
}

const sameCounts = (a: ArchiveCounts, b: ArchiveCounts) =>
  (Object.keys(a) as (keyof ArchiveCounts)[]).every((k) => a[k] === b[k]);

/** Steps 2-4 for one batch: its manifest once archived, or null when its rows changed and it was dropped. */
export async function archiveBatch(
  db: ArchiveDb,
  bucket: ArchiveBucket,
  batch: PendingBatch,
  now: () => number = Date.now,
): Promise<ArchiveManifest | null> {
  const rows = await db.rows(batch);
  const key = batchKey(batch.id);
  const drop = async (why: string) => {
    await bucket.delete([key, manifestKey(batch.id)]);
    await db.drop(batch.id);
    log.warn('archive batch dropped; its rows stay hot', { batch: batch.id, why });
    return null;
  };
  // An order listed at a version it no longer has (or gone): take the batch again.
  if (rows.orders.length !== batch.orders.length || rows.inventory_events.length !== batch.stockEvents.length)
    return drop('listed rows changed before they were read');
  const text = ndjson(rows);
  const body = new TextEncoder().encode(text);
  const sha256 = await sha256Hex(body);
  const counts = countsOf(TABLES.flatMap((t) => rows[t].map(() => ({ table: t }))));
  const compressed = await gzip(body);
  await bucket.put(key, compressed, {
    sha256,
    ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, String(v)])),
  });

  // Read back: what R2 holds unzips to the same bytes, the same rows.
  const stored = await bucket.get(key);
  if (!stored) throw new Error(`archive batch ${batch.id}: ${key} is missing right after it was written`);
  const back = await gunzip(stored);
  const backSha = await sha256Hex(back);
  const backCounts = countsOf(parseNdjson(new TextDecoder().decode(back)));
  if (backSha !== sha256 || !sameCounts(backCounts, counts))
    throw new Error(`archive batch ${batch.id}: ${key} read back differs (sha256 ${backSha}, expected ${sha256})`);

  const parsed = (t: ArchiveTable) => rows[t].map((r) => JSON.parse(r) as Record<string, unknown>);
  const manifest: ArchiveManifest = {
    batchId: batch.id,
    key,
    format: 'ndjson+gzip',
    cutoff: batch.cutoff,
    writtenAt: new Date(now()).toISOString(),
    counts,
    sha256,
    bytes: body.byteLength,
    compressedBytes: compressed.byteLength,
    range: {
      orders: rangeOf(parsed('orders'), 'created_at'),
      orderEvents: rangeOf(parsed('order_events'), 'at'),
      stockEvents: rangeOf(parsed('inventory_events'), 'at'),
    },
  };
  await bucket.put(manifestKey(batch.id), new TextEncoder().encode(JSON.stringify(manifest, null, 2)), { sha256 });
  const done = await db.commit(batch.id, counts, manifest);
  if (done === 'changed') return drop('hot rows changed between the write and the delete');
  return manifest;
}

/** One run: pending batch first, then new ones, within the run's bounds. */
export async function runArchival(
  db: ArchiveDb,
  bucket: ArchiveBucket,
  settings: ArchiveSettings,
  now: () => number = Date.now,
): Promise<ArchiveRun> {
  const started = now();
  const policy = archivePolicy(started, settings);
  const cutoff = policy.cutoff;
  const batches: ArchiveManifest[] = [];
  const moved = emptyCounts();
  let more = true;
  for (let n = 0; n < MAX_BATCHES_PER_RUN && now() - started < settings.ARCHIVE_TIME_BUDGET_MS; n++) {
    let batch = await db.pending();
    if (!batch) {
      const created = await db.create(policy, settings.ARCHIVE_BATCH_SIZE);
      batch = created === 'busy' ? await db.pending() : created;
      if (created === null) {
        more = false;
        break;
      }
      if (!batch) continue; // the other run finished it meanwhile
    }
    const manifest = await archiveBatch(db, bucket, batch, now);
    if (!manifest) continue;
    batches.push(manifest);
    for (const k of Object.keys(moved) as (keyof ArchiveCounts)[]) moved[k] += manifest.counts[k];
  }
  return { cutoff, closedCutoff: policy.closedCutoff, batches, moved, more };
}
