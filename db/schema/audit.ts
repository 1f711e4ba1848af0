// The audit log: one row per merchant or admin write (who, role, action, target, before and after, request id,
// client address, time). Append-only, enforced in the database: a trigger (migration 0003) refuses DELETE, TRUNCATE
// and every UPDATE but one, the single move of a `pending` row (a write sent to a Durable Object) to its outcome.
import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { roles } from './identity';

export const auditOutcomes = ['succeeded', 'pending', 'failed'] as const;

export const auditLog = pgTable(
  'audit_log',
  {
    // Keyset pages walk it newest first.
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    actorSub: text('actor_sub').notNull(),
    // Looked up from `customers` when the row is written: tokens carry no email.
    actorEmail: text('actor_email'),
    actorRole: text('actor_role', { enum: roles }).notNull(),
    // "<thing>.<verb>", e.g. "product.update", "stock.set", "dead_letters.replay".
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    outcome: text('outcome', { enum: auditOutcomes }).notNull().default('succeeded'),
    error: text('error'),
    requestId: text('request_id').notNull(),
    clientAddress: text('client_address'),
  },
  (t) => [
    index('audit_log_actor_idx').on(t.actorSub, t.id),
    // The audit search by actor email, case-insensitive, in id order.
    index('audit_log_actor_email_idx').on(sql`lower(${t.actorEmail})`, t.id),
    index('audit_log_action_idx').on(t.action, t.id),
    index('audit_log_target_idx').on(t.targetType, t.targetId, t.id),
    index('audit_log_at_idx').on(t.at),
    check('audit_log_action_format', sql`${t.action} ~ '^[a-z][a-z_]*(\\.[a-z_]+)+$'`),
    check('audit_log_target_present', sql`length(${t.targetType}) > 0 and length(${t.targetId}) > 0`),
  ],
);
