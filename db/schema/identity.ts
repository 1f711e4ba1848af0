// Identity tables: customers (shoppers, merchants, admins), refresh tokens, saved addresses and the single-use
// tokens of emailed links (password reset, email verification). Refresh and link tokens are stored only as SHA-256
// hashes. Refresh tokens are grouped in families: each use rotates the token within its family, and a reused
// (already rotated) token revokes the whole family.
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { ShippingAddress } from '../../lib/checkout/order';

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
    // Set when the owner followed an emailed link (verification or password reset); a changed email clears it.
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true, mode: 'string' }),
    // Saved addresses held: the cap is checked by the update that bumps it, so two saves racing cannot pass it.
    addressCount: integer('address_count').notNull().default(0),
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

export const customerAddresses = pgTable(
  'customer_addresses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    address: jsonb('address').$type<ShippingAddress>().notNull(),
    // The default address is the one marked last (greatest default_at): marking one needs no second write, so two
    // marks racing leave exactly one default.
    defaultAt: timestamp('default_at', { withTimezone: true, mode: 'string' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [index('customer_addresses_customer_idx').on(t.customerId, t.createdAt)],
);

export const accountTokenPurposes = ['password_reset', 'verify_email'] as const;

export const accountTokens = pgTable(
  'account_tokens',
  {
    // SHA-256 (hex) of the 32 random bytes sent in the link; the token itself is never stored.
    tokenHash: text('token_hash').primaryKey(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: accountTokenPurposes }).notNull(),
    // The address the link went to: a verification link proves only that one (a changed email refuses it).
    email: text('email').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'string' }).notNull(),
    // Single use: the statement that uses a token sets this, only where it was null.
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'string' }),
  },
  (t) => [
    index('account_tokens_customer_idx').on(t.customerId, t.purpose),
    index('account_tokens_expires_idx').on(t.expiresAt),
    check('account_tokens_purpose', sql`${t.purpose} in ('password_reset', 'verify_email')`),
  ],
);
