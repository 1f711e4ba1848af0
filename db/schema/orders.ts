// Orders, their lines, payments and status history, written by the checkout worker's queue consumer; and a
// copy of stock levels for reporting. The Durable Objects are the truth (OrdersDO for an order's status,
// InventoryDO for stock); these tables follow them through versioned snapshots on the `orders` Queue, so a
// redelivered or older message never overwrites newer data.
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { ShippingAddress } from '../../lib/checkout/order';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    version: integer('version').notNull(),
    // The verified subject: a customer id, or "guest:<uuid>".
    ownerSub: text('owner_sub').notNull(),
    ownerRole: text('owner_role').notNull(),
    email: text('email').notNull(),
    status: text('status').notNull(),
    currency: text('currency').notNull(),
    subtotal: integer('subtotal').notNull(),
    shipping: integer('shipping').notNull(),
    tax: integer('tax').notNull(),
    total: integer('total').notNull(),
    taxRateBps: integer('tax_rate_bps').notNull(),
    shippingMethod: text('shipping_method').notNull(),
    shippingAddress: jsonb('shipping_address').$type<ShippingAddress>().notNull(),
    holdExpiresAt: ts('hold_expires_at').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    index('orders_owner_idx').on(t.ownerSub, t.createdAt),
    index('orders_status_idx').on(t.status, t.createdAt),
    // The admin order list: newest first, keyset pages over (created_at, id).
    index('orders_newest_idx').on(t.createdAt.desc(), t.id.desc()),
    check('orders_total_nonnegative', sql`${t.total} >= 0`),
  ],
);

export const orderLines = pgTable(
  'order_lines',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    sku: text('sku').notNull(),
    title: text('title').notNull(),
    quantity: integer('quantity').notNull(),
    unitAmount: integer('unit_amount').notNull(),
    lineTotal: integer('line_total').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.sku] }),
    index('order_lines_sku_idx').on(t.sku),
    check('order_lines_quantity_positive', sql`${t.quantity} > 0`),
  ],
);

export const payments = pgTable('payments', {
  orderId: text('order_id')
    .primaryKey()
    .references(() => orders.id, { onDelete: 'cascade' }),
  provider: text('provider').notNull(),
  intentId: text('intent_id').unique(),
  status: text('status').notNull(),
  amount: integer('amount').notNull(),
  refundedAmount: integer('refunded_amount').notNull().default(0),
  updatedAt: ts('updated_at').notNull(),
});

/** Every status change of an order, with the Stripe event that caused it (when one did). */
export const orderEvents = pgTable(
  'order_events',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    fromStatus: text('from_status').notNull(),
    toStatus: text('to_status').notNull(),
    reason: text('reason').notNull(),
    stripeEventId: text('stripe_event_id'),
    at: ts('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.seq] })],
);

/**
 * Stock levels for reporting. `initial_on_hand` seeds an InventoryDO the first time it is used (the seed and
 * imports write it); the other columns are a copy of what the InventoryDO reports, newest version wins.
 */
export const inventoryLevels = pgTable(
  'inventory_levels',
  {
    sku: text('sku').primaryKey(),
    initialOnHand: integer('initial_on_hand').notNull().default(0),
    onHand: integer('on_hand').notNull().default(0),
    held: integer('held').notNull().default(0),
    sold: integer('sold').notNull().default(0),
    available: integer('available').notNull().default(0),
    maxPerCustomer: integer('max_per_customer'),
    version: bigint('version', { mode: 'number' }).notNull().default(0),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check(
      'inventory_levels_nonnegative',
      sql`${t.onHand} >= 0 and ${t.held} >= 0 and ${t.sold} >= 0 and ${t.available} >= 0`,
    ),
  ],
);
