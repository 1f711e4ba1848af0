// The stock ledger's Postgres copy: every change of every SKU's stock as its InventoryDO recorded it (who, why, how
// much, the levels it left). The objects are the truth and write here from their alarm (durable-objects/inventory/
// copies.ts), keyed by (sku, seq), so a repeated copy adds nothing. Older events than an object keeps (the last
// INVENTORY_EVENTS_KEPT) are read from here by GET /v1/admin/inventory/:sku/events.
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { INVENTORY_ACTOR_TYPES, INVENTORY_EVENT_KINDS } from '../../lib/contracts/inventory';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });

export const inventoryEvents = pgTable(
  'inventory_events',
  {
    sku: text('sku').notNull(),
    // 1, 2, 3 ... per SKU, as the object numbered its changes.
    seq: bigint('seq', { mode: 'number' }).notNull(),
    kind: text('kind', { enum: INVENTORY_EVENT_KINDS }).notNull(),
    delta: integer('delta').notNull(),
    actorType: text('actor_type', { enum: INVENTORY_ACTOR_TYPES }).notNull(),
    actorId: text('actor_id').notNull(),
    reason: text('reason'),
    onHand: integer('on_hand').notNull(),
    held: integer('held').notNull(),
    sold: integer('sold').notNull(),
    available: integer('available').notNull(),
    // When the object made the change.
    at: ts('at').notNull(),
    copiedAt: ts('copied_at').notNull().defaultNow(),
  },
  (t) => [
    // Pages walk a SKU's events newest first by seq; the kind filter has its own index.
    primaryKey({ columns: [t.sku, t.seq] }),
    index('inventory_events_kind_idx').on(t.sku, t.kind, t.seq),
    // Archival takes the oldest events first (workers/admin/src/archive.ts).
    index('inventory_events_at_idx').on(t.at),
    check(
      'inventory_events_levels',
      sql`${t.held} >= 0 and ${t.sold} >= 0 and ${t.available} >= 0 and ${t.onHand} = ${t.available} + ${t.held} + ${t.sold}`,
    ),
  ],
);
