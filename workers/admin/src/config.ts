// The admin worker's settings: the database's (DbVars in lib/db/client.ts: the DATABASE_URL and
// DATABASE_REPLICA_URL secrets, DB_TIMEOUT_MS in wrangler.toml) and archival's (ArchiveVars), validated once per
// isolate by configOf; a bad or missing one is a ConfigError naming it. Stock and dead letters go to the checkout
// worker, which has its own.
import { z } from 'zod';
import { REFUND_WINDOW_DAYS } from '../../../lib/checkout/order';
import { configOf, intVar } from '../../../lib/config';
import { type DbEnv, DbVars, dbSettings } from '../../../lib/db/client';

/** Archival (archive.ts, docs/runbook.md#archival): what is old enough, and how much one run may do. */
export const ArchiveVars = z.object({
  // Settled orders created longer ago than this, and stock events made longer ago, leave the hot tables. Never
  // less than 30 days (a misread setting must not archive this month's orders), at most 10 years.
  ARCHIVE_AFTER_DAYS: intVar(365, { min: 30, max: 3650 }),
  // Days from an order's creation during which it may be refunded (OrdersDO refuses a refund or a new tracking
  // number after them: the checkout worker's var of the same name must be equal). Orders closed by it (fulfilled,
  // payment_failed, canceled, expired) are archived too, once past it and unchanged for ARCHIVE_AFTER_DAYS.
  ARCHIVE_REFUND_WINDOW_DAYS: intVar(REFUND_WINDOW_DAYS.default, {
    min: REFUND_WINDOW_DAYS.min,
    max: REFUND_WINDOW_DAYS.max,
  }),
  // Orders in one batch (one R2 object), and stock events beside them.
  // At most 1000: the commit takes an advisory lock per order and per SKU of the batch (migration 0017), and
  // Postgres's shared lock table holds about 6,400 at default settings.
  ARCHIVE_BATCH_SIZE: intVar(500, { min: 1, max: 1000 }),
  // A run starts no new batch after this long; the next run goes on where it stopped.
  ARCHIVE_TIME_BUDGET_MS: intVar(20_000, { min: 1000, max: 600_000 }),
});
export type ArchiveSettings = z.infer<typeof ArchiveVars>;

export const archiveSettings = (env: object): ArchiveSettings => configOf(env, ArchiveVars, 'storefront-admin');

export const AdminVars = DbVars.extend(ArchiveVars.shape);

export const adminConfig = (env: DbEnv) => ({ ...dbSettings(env), ...archiveSettings(env) });
