// Identity tables: customers (shoppers, merchants, admins) and refresh tokens. Refresh tokens are stored
// only as SHA-256 hashes, grouped in families: each use rotates the token within its family, and a reused
// (already rotated) token revokes the whole family.
import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const roles = ['guest', 'customer', 'merchant', 'admin'] as const;
export type Role = (typeof roles)[number];

export const customers = pgTable(
  'customers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    name: text('name'),
    // "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>"
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['customer', 'merchant', 'admin'] })
      .notNull()
      .default('customer'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('customers_email_idx').on(sql`lower(${t.email})`),
    // The admin customer list: newest accounts first, keyset pages over (created_at, id).
    index('customers_newest_idx').on(t.createdAt.desc(), t.id.desc()),
  ],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    familyId: uuid('family_id').notNull(),
    // A customer id, or "guest:<uuid>" for guests (who have no customer row).
    subject: text('subject').notNull(),
    role: text('role', { enum: roles }).notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'string' }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'string' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'string' }),
  },
  (t) => [index('refresh_tokens_family_idx').on(t.familyId)],
);
