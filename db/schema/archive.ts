// Archival (workers/admin/src/archive.ts, docs/runbook.md#archival): settled orders (and those closed by the refund
// window) and old stock events move from
// the hot tables to gzip NDJSON objects in R2 (the ARCHIVE bucket). A batch is recorded here as `pending`, with
// exactly the rows it takes (order ids at their versions, stock events by (sku, seq)), before its object is
// written; the object is written, read back and checked; then one call of archive_batch_commit (migration 0014)
// deletes exactly those rows, files each order under its batch and marks the batch `archived`, in one
// transaction. An interrupted run leaves a pending batch, which the next run finishes under the same object key.
import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });

export const archiveBatches = pgTable(
  'archive_batches',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    state: text('state', { enum: ['pending', 'archived'] }).notNull(),
    // Rows created before this were taken.
    cutoff: ts('cutoff').notNull(),
    // [[order id, version], ...] and [[sku, seq], ...]: the rows the batch takes, and the only ones it deletes.
    orders: jsonb('orders').$type<[string, number][]>().notNull(),
    stockEvents: jsonb('stock_events').$type<[string, number][]>().notNull(),
    // Set when archived: the object's key, row counts, SHA-256 of the uncompressed body, time range.
    manifest: jsonb('manifest'),
    createdAt: ts('created_at').notNull().defaultNow(),
    archivedAt: ts('archived_at'),
  },
  (t) => [
    // One pending batch at a time: two runs at once finish the same batch instead of taking the same rows twice.
    uniqueIndex('archive_batches_one_pending').on(t.state).where(sql`${t.state} = 'pending'`),
    check('archive_batches_state', sql`${t.state} in ('pending', 'archived')`),
  ],
);

/**
 * Per SKU, what archival took (kept by archive_batch_commit): the units sold by archived orders (ever paid) less their
 * restocks, which the InventoryDO rebuild (durable-objects/inventory/rebuild.ts) counts as sold since their order
 * lines left Postgres; and the highest seq of its archived stock events, below which a copy of an event is not taken
 * back into the hot table (trigger inventory_events_archived) and above which a rebuild continues the ledger.
 */
export const inventoryArchive = pgTable('inventory_archive', {
  sku: text('sku').primaryKey(),
  soldUnits: bigint('sold_units', { mode: 'number' }).notNull().default(0),
  maxSeq: bigint('max_seq', { mode: 'number' }).notNull().default(0),
});

/** What the merchant's order list shows of an archived order (kept by archive_batch_commit, migration 0018). */
export interface ArchivedOrderSummary {
  status: string;
  email: string;
  owner_sub: string;
  owner_role: string;
  currency: string;
  total: number;
  refunded: number;
  lines: number;
  skus: string[];
  updated_at: string;
}

/**
 * Where each archived order is: the admin's order read finds its batch here (one small row per order), and the
 * order list with `include=archived` its summary, newest first (orders archived before migration 0018 have none and
 * are not listed).
 */
export const orderArchive = pgTable(
  'order_archive',
  {
    orderId: text('order_id').primaryKey(),
    batchId: bigint('batch_id', { mode: 'number' })
      .notNull()
      .references(() => archiveBatches.id),
    createdAt: ts('created_at'),
    summary: jsonb('summary').$type<ArchivedOrderSummary>(),
  },
  (t) => [
    index('order_archive_batch_idx').on(t.batchId),
    index('order_archive_newest_idx').on(t.createdAt.desc(), t.orderId.desc()),
  ],
);

/**
 * Which archive batches hold a SKU's archived stock events, and their seq range (kept by archive_batch_commit,
 * migration 0019): the stock ledger with `include=archived` reads the batches below its cursor from R2.
 */
export const inventoryEventArchive = pgTable(
  'inventory_event_archive',
  {
    sku: text('sku').notNull(),
    batchId: bigint('batch_id', { mode: 'number' })
      .notNull()
      .references(() => archiveBatches.id),
    minSeq: bigint('min_seq', { mode: 'number' }).notNull(),
    maxSeq: bigint('max_seq', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sku, t.batchId] }), index('inventory_event_archive_seq_idx').on(t.sku, t.maxSeq)],
);
