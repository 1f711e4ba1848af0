// The stock check: each SKU's InventoryDO levels against Postgres' copy (`inventory_levels`, written by the `orders`
// consumer from the object's versioned sends, newest version wins). Used by GET /v1/admin/inventory-verify (a page
// of SKUs) and by every inventory page of an export (docs/runbook.md#a-corrupted-durable-object). The comparison is pure
// (`stockDifference`); the rest reads the copies and asks the objects through CheckoutOps.
import type { StockVerifyQuery } from '../../../lib/admin/durable.schemas';
import { type Figures, figuresOfRow, objectLevels, stockDifference } from '../../../lib/admin/stock-difference';
import { pgBreaker } from '../../../lib/db/breaker';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { isDbUnavailable, mapDbError } from '../../../lib/db/errors';
import { AppError } from '../../../lib/errors';
import { withTimeout } from '../../../lib/resilience';
import { unwrap } from '../../../lib/rpc';
import { checkoutOps } from './checkout-ops';

/** Postgres' copies of `skus`, from the primary (the consumer's writes land there first). */
export async function stockCopies(env: DbEnv, skus: string[]): Promise<Map<string, Figures>> {
  if (!skus.length) return new Map();
  const settings = dbSettings(env);
  let rows: Record<string, unknown>[];
  try {
    rows = (await pgBreaker.run(
      () =>
        withTimeout(
          sqlClient(settings.DATABASE_URL, settings).query(
            `select sku, on_hand, held, sold, max_per_customer, version from inventory_levels where sku = any($1)`,
            [skus],
          ),
          settings.DB_TIMEOUT_MS + 1000,
          'stock copies',
        ),
      isDbUnavailable,
    )) as Record<string, unknown>[];
  } catch (err) {
    mapDbError(err);
  }
  return new Map(rows.map((r) => [String(r.sku), figuresOfRow(r)]));
}

/** A page of SKUs (every variant's, or the ones named) in SKU order, after `after`. */
export async function skuPage(env: DbEnv, after: string | null, limit: number, only?: string[]): Promise<string[]> {
  const settings = dbSettings(env);
  try {
    const rows = (await pgBreaker.run(
      () =>
        withTimeout(
          sqlClient(settings.DATABASE_URL, settings).query(
            `select sku from product_variants where sku > $1 and ($3::text[] is null or sku = any($3))
             order by sku limit $2`,
            [after ?? '', limit, only ?? null],
          ),
          settings.DB_TIMEOUT_MS + 1000,
          'sku page',
        ),
      isDbUnavailable,
    )) as { sku: string }[];
    return rows.map((r) => r.sku);
  } catch (err) {
    mapDbError(err);
  }
}

type Env = AdminEnv & DbEnv;

/** GET /v1/admin/inventory-verify: one page of SKUs, each object's levels against its copy. */
export async function verifyStock(env: Env, q: StockVerifyQuery) {
  const only = q.skus
    ?.split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  if (only && (only.length === 0 || only.length > 200))
    throw new AppError('VALIDATION_FAILED', 'skus: 1..200 comma-separated SKUs.');
  const skus = await skuPage(env, q.cursor ?? null, q.limit, only);
  const { differences, failed, objects } = await checkSkus(env, skus);
  return {
    checked: skus.length,
    differences,
    failed,
    nextCursor: skus.length === q.limit ? skus.at(-1)! : null,
    // The objects' own levels (the restore drill compares them with a restored cluster's copies).
    ...(q.include === 'levels' ? { levels: objects } : {}),
  };
}

/**
 * The differences of `skus` (asked of their objects, levels only), the objects that did not answer, and the levels of
 * those that did (null: no state).
 */
export async function checkSkus(env: Env, skus: string[]) {
  if (!skus.length) return { differences: [], failed: [], objects: [] };
  const [answer, copies] = await Promise.all([
    checkoutOps(env).exportObjects('inventory', skus, true),
    stockCopies(env, skus),
  ]);
  const { records, failed } = unwrap(answer);
  const now = Date.now();
  const differences = records.flatMap((r) => {
    const d = stockDifference(r.id, objectLevels(r.state), copies.get(r.id) ?? null, now);
    return d ? [d] : [];
  });
  return {
    differences,
    failed: failed.map((f) => ({ sku: f.id, error: f.error })),
    objects: records.map((r) => ({ sku: r.id, object: objectLevels(r.state) })),
  };
}
