// POST /v1/admin/products/import: a CSV file of products and variants, read (bulk.read.ts), decided row by row
// against the catalog (bulk.plan.ts), written in one transaction with one audit entry (bulk.apply.ts), then the
// stock the file changes set live in each SKU's InventoryDO. The modes (docs/admin.md#bulk-import-and-export):
//  - apply (default): all or nothing. Any rejected row and nothing is written: 422 IMPORT_REJECTED, the report in
//    `details`.
//  - partial: the valid rows are written; the report names the rejected ones (and why).
//  - validate: the report only; nothing is written.
// A file that changes nothing writes nothing (no audit entry, no generation) and says so: every row `unchanged`.
import type { ImportMode, ImportReport, ImportRowReport } from '../../../lib/admin/bulk.schemas';
import type { Actor } from '../../../lib/contracts/admin';
import { AppError } from '../../../lib/errors';
import { log } from '../../../lib/log';
import { applyPlan } from './bulk.apply';
import { loadCatalog, type Plan, planImport, type RowPlan } from './bulk.plan';
import { readImport } from './bulk.read';
import type { ProductRef } from './notify.events';
import type { CatalogWriteEnv } from './products';

/** InventoryDO calls in flight at once (as for a product's initial stock). */
const STOCK_CONCURRENCY = 8;

/** The stock side, given by the caller (index.ts): live on hand of a SKU, and the audited stock.set. */
export interface StockPort {
  onHand(sku: string): Promise<number>;
  set(sku: string, onHand: number): Promise<void>;
}

const ok = (r: RowPlan) => r.errors.length === 0;

async function eachLimited<T>(items: T[], fn: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += STOCK_CONCURRENCY)
    await Promise.all(items.slice(i, i + STOCK_CONCURRENCY).map(fn));
}

const errorText = (err: unknown) =>
  err instanceof AppError ? `${err.code}: ${err.message}` : 'the stock service did not answer';

/** At most this many SKUs' stock set by one import (each is a few subrequests: see above). */
export const MAX_IMPORT_STOCK_CHANGES = 200;

export async function importProducts(
  env: CatalogWriteEnv,
  actor: Actor,
  body: ReadableStream<Uint8Array>,
  mode: ImportMode,
  stock: StockPort,
  /** Told the products the import changed, once they are committed (index.ts: product.updated events). */
  changed: (products: ProductRef[]) => Promise<void>,
): Promise<ImportReport> {
  // Phase times for the log (in Workers the clock moves across I/O only, so these are mostly waiting times).
  const started = Date.now();
  const phases: Record<string, number> = {};
  const phase = (name: string) => {
    phases[name] = Date.now() - started - Object.values(phases).reduce((a, b) => a + b, 0);
  };
  const { rows: checked, sha256 } = await readImport(body);
  phase('readMs');
  const plan = planImport(checked, await loadCatalog(env, checked));
  phase('planMs');

  // The file's stock differs from Postgres' copy: ask the object (the copy trails it by about a second).
  const stockSets: RowPlan[] = plan.rows.filter((r) => ok(r) && r.stockLive);
  // Each stock change costs calls to its SKU's object (and its audit entry): a Worker invocation has a bounded
  // number of subrequests, so one import changes the stock of at most MAX_IMPORT_STOCK_CHANGES SKUs.
  const stockRows = stockSets.length + plan.rows.filter((r) => ok(r) && r.stockCheck).length;
  if (stockRows > MAX_IMPORT_STOCK_CHANGES)
    throw new AppError(
      'IMPORT_REJECTED',
      `The file changes the stock of ${stockRows} SKUs; one import changes at most ${MAX_IMPORT_STOCK_CHANGES}. ` +
        'Leave the stock column empty for the others (or unchanged), split the file, or use the stock API.',
      { details: { stockChanges: stockRows, maxStockChanges: MAX_IMPORT_STOCK_CHANGES } },
    );
  await eachLimited(
    plan.rows.filter((r) => ok(r) && r.stockCheck),
    async (r) => {
      const live = await stock.onHand(r.stockCheck!.sku);
      if (live === r.stockCheck!.onHand) return;
      r.changed.push('stock');
      stockSets.push(r);
    },
  );

  const report = reportOf(mode, sha256, plan.rows, plan);
  if (report.counts.rejected > 0 && mode === 'apply')
    throw new AppError(
      'IMPORT_REJECTED',
      `${report.counts.rejected} of ${report.counts.rows} rows are rejected (see details.rows); nothing was written. ` +
        'Fix them, or send ?mode=partial to write the others.',
      { details: report },
    );
  const catalogChanges = plan.products.length + plan.variants.length > 0 || plan.touched.size > 0;
  if (mode === 'validate' || (!catalogChanges && stockSets.length === 0)) return report;

  if (catalogChanges) {
    const applied = await applyPlan(env, actor, plan, {
      file: { sha256 },
      mode,
      counts: report.counts,
      created: plan.rows.filter((r) => ok(r) && r.created).map((r) => r.sku!),
      updated: plan.rows.filter((r) => ok(r) && !r.created && r.changed.some((c) => c !== 'stock')).map((r) => r.sku!),
    });
    report.generation = applied.generation;
    await changed(applied.products);
  }
  phase('applyMs');
  report.applied = true;
  // After the commit: each SKU's stock through CheckoutOps.setStock, audited per SKU (stock.set) like the stock API.
  const byRow = new Map(report.rows.map((r) => [r.row, r]));
  await eachLimited(stockSets, async (r) => {
    const target = (r.stockLive ?? r.stockCheck)!;
    try {
      await stock.set(target.sku, target.onHand);
      report.stock.set++;
    } catch (err) {
      log.warn('import: stock not set live', { sku: target.sku, error: String(err) });
      report.stock.failed++;
      byRow.get(r.row)!.stockError = errorText(err);
    }
  });
  phase('stockMs');
  log.info('bulk import', { sha256, mode, ...report.counts, ...phases });
  return report;
}

function reportOf(mode: ImportMode, sha256: string, rows: RowPlan[], plan: Plan) {
  const counts = { rows: rows.length, created: 0, updated: 0, unchanged: 0, rejected: 0 };
  const created = new Set(plan.products.filter((p) => p.isNew).map((p) => p.slug));
  const reported = rows.map((r): ImportRowReport => {
    const base = { row: r.row, handle: r.handle, sku: r.sku };
    if (!ok(r)) {
      counts.rejected++;
      return { ...base, status: 'rejected', errors: r.errors };
    }
    if (r.created) {
      counts.created++;
      return { ...base, status: 'created' };
    }
    if (r.changed.length) {
      counts.updated++;
      return { ...base, status: 'updated', changed: r.changed };
    }
    counts.unchanged++;
    return { ...base, status: 'unchanged' };
  });
  const report: ImportReport = {
    mode,
    applied: false,
    sha256,
    counts,
    products: { created: created.size, updated: [...plan.touched].filter((h) => !created.has(h)).length },
    stock: { set: 0, failed: 0 },
    generation: null,
    rows: reported,
  };
  return report;
}
