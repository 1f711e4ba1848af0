// Emails and outbound webhooks (docs/admin.md#emails, #outbound-webhooks): the email log (one row per email key,
// which makes a message delivered twice send one email), the merchants' webhook endpoints, each delivery of an
// event to an endpoint with every attempt of it (the delivery log), and the `notifications` Queue's dead letters.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });

export const emailStates = ['sending', 'sent'] as const;

export const notificationEmails = pgTable(
  'notification_emails',
  {
    // `<orderId>:<kind>[:<refund id or tracking>]`, or `account:<token hash>` for an account link: one email per key.
    key: text('key').primaryKey(),
    kind: text('kind').notNull(),
    // Null for account emails (password reset, email verification).
    orderId: text('order_id'),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    // `sending` is a claim with a lease (claimed_at): a second delivery of the message waits for it, a claim older
    // than the lease (its sender died) is taken over.
    state: text('state', { enum: emailStates }).notNull(),
    attempts: integer('attempts').notNull().default(1),
    claimedAt: ts('claimed_at').notNull().defaultNow(),
    sentAt: ts('sent_at'),
    messageId: text('message_id'),
  },
  (t) => [index('notification_emails_order_idx').on(t.orderId)],
);

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    url: text('url').notNull(),
    events: text('events').array().notNull(),
    description: text('description'),
    // The signing secret (HMAC-SHA256 needs it as is); shown once, on create and rotation.
    secret: text('secret').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [check('webhook_endpoints_events_present', sql`cardinality(${t.events}) > 0`)],
);

export const deliveryStates = ['pending', 'delivered', 'failing', 'dead'] as const;

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    // The exact body sent (the signature covers these bytes).
    body: text('body').notNull(),
    state: text('state', { enum: deliveryStates }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    // Set while an attempt is in hand (a lease: two copies of a message never both POST); cleared when it ends.
    claimedAt: ts('claimed_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // event_id first: the fan-out looks a new event's deliveries up by event_id alone (webhooks.deliver.ts).
    unique('webhook_deliveries_once').on(t.eventId, t.endpointId),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id),
  ],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: bigint('delivery_id', { mode: 'number' })
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    error: text('error'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.attempt)],
);

export const notificationDeadLetters = pgTable('notification_dead_letters', {
  // The Queue message's id.
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  // The email key, event id or delivery id the message is about.
  subject: text('subject').notNull(),
  body: jsonb('body').notNull(),
  attempts: integer('attempts').notNull(),
  firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
  lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
  replayedAt: ts('replayed_at'),
  replays: integer('replays').notNull().default(0),
});
