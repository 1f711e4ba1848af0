// The admin worker: merchant and ops operations over typed RPC (AdminService). Not public: the gateway
// authorizes the caller and calls it over a service binding. Every answer is an RpcResult: a refusal is an
// AppError carried as `{ok:false}` (403 at the gateway), never a thrown Error (which would be a 500).

import { WorkerEntrypoint } from 'cloudflare:workers';
import { type AdminOrderRead, ArchiveBatchQuery, type ArchiveRun } from '../../../lib/admin/archive.schemas';
import { AuditQuery } from '../../../lib/admin/audit.schemas';
import { ExportQuery, ImportQuery } from '../../../lib/admin/bulk.schemas';
import {
  AdminProductQuery,
  CategoryCreate,
  CategoryPatch,
  ProductCreate,
  ProductPatch,
  SkuParam,
  StatusAction,
  VariantCreate,
  VariantPatch,
} from '../../../lib/admin/catalog.schemas';
import {
  DoExportContinue,
  DoExportFile,
  DoExportId,
  DoExportStart,
  RebuildOrdersBody,
  RebuildStockBody,
  ShopperSubject,
  StockVerifyQuery,
} from '../../../lib/admin/durable.schemas';
import type { Identity } from '../../../lib/auth/tokens';
import { GENERATION_KEY } from '../../../lib/catalog/generation';
import { SlugParam } from '../../../lib/catalog/schemas';
import { type AdminOrder, AdminOrderQuery, CustomerId, CustomerQuery } from '../../../lib/checkout/admin-schemas';
import { AdjustStockBody, InventoryEventsQuery, InventorySku, SetStockBody } from '../../../lib/checkout/schemas';
import type { Actor, AuditPage } from '../../../lib/contracts/admin';
import type { OrderActor } from '../../../lib/contracts/admin-orders';
import type { BusinessFigures } from '../../../lib/contracts/figures';
import type { NotificationMessage } from '../../../lib/contracts/notifications';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { createDb, type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { AppError } from '../../../lib/errors';
import { workerHealth } from '../../../lib/health';
import { log } from '../../../lib/log';
import { startSlowQueryReports } from '../../../lib/metrics/breaker-reports.worker';
import { recordCalls } from '../../../lib/metrics/events';
import { withTimeout } from '../../../lib/resilience';
import { type RpcResult, rpc, unwrap } from '../../../lib/rpc';
import { acceptTraces, traced } from '../../../lib/trace';
import { archiveBatches, archivedOrder, archivedStockEvents, archiveRun } from './archive.store';
import { auditedCall } from './audit';
import { auditPage } from './audit.query';
import { exportProducts } from './bulk.export';
import { importProducts } from './bulk.import';
import { createCategory, updateCategory } from './categories';
import { checkoutOps } from './checkout-ops';
import { adminConfig } from './config';
import { continueExport, exportFile, exportManifest, startExport } from './do-export';
import { uploadImage } from './images';
import { consumeNotificationDeadLetters, consumeNotifications } from './notify.consumer';
import { productsUpdated, productUpdated } from './notify.events';
import { BusinessQuerySchema, businessFigures } from './ops.figures';
import { customerWithOrders, listCustomers, listOrders } from './orders';
import * as orderWrites from './orders.writes';
import { parseInput } from './orders.writes';
import { adminProduct, createProduct, deleteProduct, productIdOf, setProductStatus, updateProduct } from './products';
import { listProducts } from './products.list';
import { verifyStock } from './stock-verify';
import { addVariant, updateVariant } from './variants';
import * as webhooks from './webhooks';

// Its slow Postgres queries are counted in the catalog's MetricsDO `breakers`, like every other worker's.
startSlowQueryReports('admin', 'BREAKERS');

/** InventoryDO calls in flight at once for one product's SKUs. */
const STOCK_CONCURRENCY = 8;

// The gateway checks roles first; these are the cheap second lock.
function requireMerchant(actor: Identity | undefined) {
  if (actor?.role !== 'merchant' && actor?.role !== 'admin') {
    throw new AppError('FORBIDDEN', 'Admin operations need the merchant role or above.');
  }
}

/** Who a stock change is recorded under in the SKU's ledger (the audit log keeps the rest of the request). */
const whoOf = (actor: Actor): OrderActor => ({ sub: actor.sub, role: actor.role });

function requireAdmin(actor: Identity | undefined) {
  if (actor?.role !== 'admin') throw new AppError('FORBIDDEN', 'Ops operations are for the admin role.');
}

/**
 * Every method takes the caller as an `Actor` (lib/contracts/admin.ts): the identity the gateway verified, its
 * request id and the client address, which the audit log records with every write (audit.ts).
 */
export class AdminService extends WorkerEntrypoint<AdminEnv & DbEnv> {
  /** POST /v1/admin/products: the product in Postgres (audited), then each SKU's stock in its InventoryDO. */
  async createProduct(actor: Actor, input: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const body = ProductCreate.parse(input);
      const created = await createProduct(this.env, actor, body);
      const answer = { ...created, stock: await this.initialStock(actor, body.variants) };
      await productUpdated(this.env, 'product.create', created.product);
      return answer;
    });
  }

  /** GET /v1/admin/products: every status, newest first, `q` over title, slug and SKUs (products.list.ts). */
  async listProducts(actor: Actor, query: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return listProducts(this.env, parseInput(AdminProductQuery, 'query', query));
    });
  }

  async getProduct(actor: Actor, slugInput: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const db = createDb(this.env).$primary;
      return { product: await adminProduct(db, (await productIdOf(db, SlugParam.parse({ slug: slugInput }).slug)).id) };
    });
  }

  async updateProduct(actor: Actor, slugInput: unknown, patchInput: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const slug = SlugParam.parse({ slug: slugInput }).slug;
      const updated = await updateProduct(this.env, actor, slug, ProductPatch.parse(patchInput));
      await productUpdated(this.env, 'product.update', updated.product);
      return updated;
    });
  }

  async productStatus(actor: Actor, slugInput: unknown, action: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const p = StatusAction.parse({ slug: slugInput, action });
      const changed = await setProductStatus(this.env, actor, p.slug, p.action);
      await productUpdated(this.env, `product.${p.action}`, changed.product);
      return changed;
    });
  }

  async deleteProduct(actor: Actor, slugInput: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const slug = SlugParam.parse({ slug: slugInput }).slug;
      const deleted = await deleteProduct(this.env, actor, slug, (skus) => this.committedSkus(skus));
      await productUpdated(this.env, 'product.delete', { ...deleted.deleted, status: 'deleted' });
      return deleted;
    });
  }

  async addVariant(actor: Actor, slugInput: unknown, input: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const slug = SlugParam.parse({ slug: slugInput }).slug;
      const body = VariantCreate.parse(input);
      const added = await addVariant(this.env, actor, slug, body);
      const answer = { ...added, stock: await this.initialStock(actor, [body]) };
      await productUpdated(this.env, 'variant.add', added.product);
      return answer;
    });
  }

  async updateVariant(actor: Actor, slugInput: unknown, skuInput: unknown, input: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const { slug, sku } = SkuParam.parse({ slug: slugInput, sku: skuInput });
      const updated = await updateVariant(this.env, actor, slug, sku, VariantPatch.parse(input));
      await productUpdated(this.env, 'variant.update', updated.product);
      return updated;
    });
  }

  /** GET /v1/admin/products/export.csv: the CSV as a byte stream, read page by page as it is sent. */
  async exportProducts(actor: Actor, query: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return { csv: exportProducts(this.env, ExportQuery.parse(query).category) };
    });
  }

  /** POST /v1/admin/products/import: the CSV body as a byte stream, read as it arrives; the per-row report. */
  async importProducts(actor: Actor, body: ReadableStream<Uint8Array>, query: unknown) {
    return rpc(async () => {
      // Refused before reading: the body is cancelled, so the gateway's request ends at once.
      const refuse = (err: unknown) =>
        body.cancel().then(
          () => Promise.reject(err),
          () => Promise.reject(err),
        );
      try {
        requireMerchant(actor);
      } catch (err) {
        return refuse(err);
      }
      const parsed = ImportQuery.safeParse(query);
      if (!parsed.success) return refuse(parsed.error);
      const { mode } = parsed.data;
      // Stock through the stock API's own path: each set audited as stock.set (stockWrite).
      return importProducts(
        this.env,
        actor,
        body,
        mode,
        {
          onHand: async (sku) => unwrap(await checkoutOps(this.env).inventory(sku)).inventory.onHand,
          set: async (sku, onHand) => {
            // Recorded in the stock ledger with reason `import` (and the merchant as who).
            const body = { onHand, reason: 'import' };
            await this.stockWrite(actor, 'stock.set', sku, body, async () =>
              unwrap(await checkoutOps(this.env).setStock(sku, body, whoOf(actor))),
            );
          },
        },
        (products) => productsUpdated(this.env, 'product.import', products),
      );
    });
  }

  async createCategory(actor: Actor, input: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return createCategory(this.env, actor, CategoryCreate.parse(input));
    });
  }

  async updateCategory(actor: Actor, slugInput: unknown, input: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const slug = SlugParam.parse({ slug: slugInput }).slug;
      return updateCategory(this.env, actor, slug, CategoryPatch.parse(input));
    });
  }

  /** POST /v1/admin/images: the bytes, at most IMAGE_MAX_BYTES (the gateway stops larger bodies first). */
  async uploadImage(actor: Actor, bytes: Uint8Array) {
    return rpc(async () => {
      requireMerchant(actor);
      if (!(bytes instanceof Uint8Array)) throw new AppError('VALIDATION_FAILED', 'Send the image bytes.');
      return uploadImage(this.env, () => createDb(this.env).$primary, actor, bytes);
    });
  }

  /**
   * The starting stock of new SKUs, set live in their InventoryDOs (audited as stock.set), a few at a time. Postgres
   * already holds it as their starting stock, so a SKU whose call fails (onHand: null) still starts right when its
   * object is first used; only an object left from an earlier product with the same SKU would keep its old figures.
   */
  private async initialStock(actor: Actor, variants: { sku: string; initialStock: number }[]) {
    const stock: { sku: string; onHand: number | null }[] = [];
    for (let i = 0; i < variants.length; i += STOCK_CONCURRENCY) {
      const batch = variants.slice(i, i + STOCK_CONCURRENCY);
      const results = await Promise.allSettled(
        batch.map((v) => {
          const body = { onHand: v.initialStock, reason: 'initial stock' };
          return this.stockWrite(actor, 'stock.set', v.sku, body, async () =>
            unwrap(await checkoutOps(this.env).setStock(v.sku, body, whoOf(actor))),
          );
        }),
      );
      for (const [j, r] of results.entries()) {
        if (r.status === 'rejected')
          log.warn('initial stock not set live', { sku: batch[j]!.sku, error: String(r.reason) });
        stock.push({ sku: batch[j]!.sku, onHand: r.status === 'fulfilled' ? r.value.inventory.onHand : null });
      }
    }
    return stock;
  }

  /** The SKUs with units held or sold in their InventoryDOs (live: Postgres' copy trails the objects). */
  private async committedSkus(skus: string[]): Promise<string[]> {
    const committed: string[] = [];
    for (let i = 0; i < skus.length; i += STOCK_CONCURRENCY) {
      const levels = await Promise.all(
        skus
          .slice(i, i + STOCK_CONCURRENCY)
          .map(async (sku) => unwrap(await checkoutOps(this.env).inventory(sku)).inventory),
      );
      committed.push(...levels.filter((l) => l.held + l.sold > 0).map((l) => l.sku));
    }
    return committed;
  }

  /** PUT /v1/admin/inventory/:sku: on hand (never below held + sold) and optionally the per-customer cap. */
  async setStock(actor: Actor, skuInput: unknown, bodyInput: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const { sku } = InventorySku.parse({ sku: skuInput });
      const body = SetStockBody.parse(bodyInput);
      return this.stockWrite(actor, 'stock.set', sku, body, async () =>
        unwrap(await checkoutOps(this.env).setStock(sku, body, whoOf(actor))),
      );
    });
  }

  /** POST /v1/admin/inventory/:sku/adjustments: on hand changed by a delta. */
  async adjustStock(actor: Actor, skuInput: unknown, bodyInput: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const { sku } = InventorySku.parse({ sku: skuInput });
      const body = AdjustStockBody.parse(bodyInput);
      return this.stockWrite(actor, 'stock.adjust', sku, body, async () =>
        unwrap(await checkoutOps(this.env).adjustStock(sku, body, whoOf(actor))),
      );
    });
  }

  /**
   * GET /v1/admin/inventory/:sku/events: the SKU's stock ledger, newest first (a read: not audited). With
   * `include=archived`, a page the hot ledger cannot fill goes on with the archived events below it, from R2
   * (archive.store.ts `archivedStockEvents`); a cursor is a seq either way.
   */
  async inventoryEvents(actor: Actor, skuInput: unknown, query: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const { sku } = InventorySku.parse({ sku: skuInput });
      const { include, ...q } = parseInput(InventoryEventsQuery, 'query', query);
      const page = unwrap(await checkoutOps(this.env).inventoryEvents(sku, q));
      if (include !== 'archived' || page.nextCursor !== null) return page;
      const archived = await archivedStockEvents(this.env, sku, {
        before: page.events.at(-1)?.seq ?? (q.cursor ? Number(q.cursor) : Number.MAX_SAFE_INTEGER),
        kinds: q.kind?.split(','),
        from: q.from,
        to: q.to,
        limit: q.limit - page.events.length,
      });
      const events = [...page.events, ...archived.events];
      return {
        ...page,
        events,
        nextCursor: archived.more ? String(events.at(-1)?.seq ?? archived.lowest) : null,
      };
    });
  }

  // ---- the Durable Objects' ops (admin role): exports to R2, the stock check, a rebuild from Postgres
  // (do-export.ts, stock-verify.ts; docs/runbook.md#a-corrupted-durable-object) ----

  /**
   * POST /v1/admin/inventory/:sku/rebuild: a dry run (the default) answers the plan and its diff and is not
   * audited (a read); a rebuild is audited before the call, with the plan and the new levels after it.
   */
  async rebuildStock(actor: Actor, skuInput: unknown, bodyInput: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      const { sku } = InventorySku.parse({ sku: skuInput });
      const body = parseInput(RebuildStockBody, 'body', bodyInput ?? {});
      const call = async () => unwrap(await checkoutOps(this.env).rebuildStock(sku, body, whoOf(actor)));
      if (body.dryRun) return call();
      if (body.expectVersion === undefined)
        throw new AppError('VALIDATION_FAILED', 'A rebuild needs expectVersion: the version its dry run showed.');
      return auditedCall(
        () => createDb(this.env).$primary,
        actor,
        {
          action: 'stock.rebuild',
          target: { type: 'sku', id: sku },
          before: { expectVersion: body.expectVersion ?? null, force: body.force },
        },
        call,
        (r) => ({ inventory: r.levels, diff: r.diff, plan: r.plan }),
      );
    });
  }

  /**
   * POST /v1/admin/shoppers/:subject/orders/rebuild: a dry run (the default) answers the plan and is not audited;
   * a rebuild is audited before the call, with what it restored and kept after it.
   */
  async rebuildOrders(actor: Actor, subjectInput: unknown, bodyInput: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      const { subject } = parseInput(ShopperSubject, 'path', { subject: subjectInput });
      const body = parseInput(RebuildOrdersBody, 'body', bodyInput ?? {});
      const call = async () => unwrap(await checkoutOps(this.env).rebuildOrders(subject, body));
      if (body.dryRun) return call();
      return auditedCall(
        () => createDb(this.env).$primary,
        actor,
        { action: 'orders.rebuild', target: { type: 'shopper', id: subject }, before: {} },
        call,
        (r) => ({ restored: r.restore, kept: r.keep.length, copies: r.copies }),
      );
    });
  }

  /** GET /v1/admin/inventory-verify: a page of SKUs, each InventoryDO's levels against Postgres' copy. */
  async verifyStock(actor: Actor, query: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      return verifyStock(this.env, parseInput(StockVerifyQuery, 'query', query ?? {}));
    });
  }

  /** POST /v1/admin/durable-objects/exports: starts an export to R2 (audited) and exports its first page. */
  async startDoExport(actor: Actor, input: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      const body = parseInput(DoExportStart, 'body', input ?? {});
      return auditedCall(
        () => createDb(this.env).$primary,
        actor,
        {
          action: 'durable_objects.export',
          target: { type: 'do_export', id: body.kinds.join(',') },
          before: { kinds: body.kinds, skus: body.skus?.length ?? null, subjects: body.subjects?.length ?? null },
        },
        () => startExport(this.env, body),
        (r) => ({ exportId: r.exportId, done: r.done }),
      );
    });
  }

  /** POST /v1/admin/durable-objects/exports/:id/pages: the export's next page (or its manifest, when done). */
  async continueDoExport(actor: Actor, idInput: unknown, input: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      const { id } = parseInput(DoExportId, 'path', { id: idInput });
      const { cursor } = parseInput(DoExportContinue, 'body', input ?? {});
      return continueExport(this.env, id, cursor);
    });
  }

  /** GET /v1/admin/durable-objects/exports/:id: a finished export's manifest. */
  async doExportManifest(actor: Actor, idInput: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      const { id } = parseInput(DoExportId, 'path', { id: idInput });
      return exportManifest(this.env, id);
    });
  }

  /** GET /v1/admin/durable-objects/exports/:id/files/:kind/:part: one file of an export, as stored in R2. */
  async doExportFile(actor: Actor, params: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      const p = parseInput(DoExportFile, 'path', params);
      const obj = await exportFile(this.env, p.id, p.kind, p.part);
      return { text: await obj.text(), sha256: obj.customMetadata?.sha256 ?? null };
    });
  }

  /** A stock change, which the SKU's InventoryDO makes: audited before the call (audit.ts, auditedCall). */
  private async stockWrite<R extends { inventory: unknown }>(
    actor: Actor,
    action: string,
    sku: string,
    change: unknown,
    write: () => Promise<R>,
  ): Promise<R> {
    const before = unwrap(await checkoutOps(this.env).inventory(sku)).inventory;
    return auditedCall(
      () => createDb(this.env).$primary,
      actor,
      { action, target: { type: 'sku', id: sku }, before: { inventory: before } },
      write,
      (r) => ({ inventory: r.inventory, change }),
    );
  }

  // ---- orders and customers: reads from the replica (orders.ts), audited writes to the order's OrdersDO
  // through CheckoutOps (orders.writes.ts) ----

  /** GET /v1/admin/orders: search the Postgres copy (replica), newest first, keyset pages. */
  async listOrders(actor: Actor, query: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return listOrders(this.env, parseInput(AdminOrderQuery, 'query', query));
    });
  }

  /**
   * GET /v1/admin/orders/:id: the order from its OrdersDO (the truth), with refunds and fulfilment; once archived
   * (its Postgres copy moved to R2, so its OrdersDO is no longer found), from its archive batch (archive.store.ts).
   */
  async order(actor: Actor, id: unknown): Promise<RpcResult<{ order: AdminOrderRead }>> {
    return rpc(async () => {
      requireMerchant(actor);
      const answer = (await checkoutOps(this.env).order(id)) as RpcResult<{ order: AdminOrder }>;
      if (answer.ok) return { order: { ...answer.order, archived: false, archive: null } };
      if (answer.error.code === 'NOT_FOUND') {
        const archived = await archivedOrder(this.env, String(id));
        if (archived) return { order: archived };
      }
      throw AppError.fromInfo(answer.error);
    });
  }

  /** POST /v1/admin/archive/runs (admin role): one bounded archival run, audited; the Cron Trigger runs the same. */
  async archiveRun(actor: Actor): Promise<RpcResult<ArchiveRun>> {
    return rpc(async () => {
      requireAdmin(actor);
      return auditedCall(
        () => createDb(this.env).$primary,
        actor,
        { action: 'archive.run', target: { type: 'archive', id: 'orders' }, before: null },
        () => archiveRun(this.env),
        (run) => ({ cutoff: run.cutoff, moved: run.moved, batches: run.batches.map((b) => b.batchId), more: run.more }),
      );
    });
  }

  /** GET /v1/admin/archive/batches: the archived batches, newest first, with their manifests. */
  async archiveBatches(actor: Actor, query: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return archiveBatches(this.env, parseInput(ArchiveBatchQuery, 'query', query));
    });
  }

  async cancelOrder(actor: Actor, id: unknown, body: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return { order: (await orderWrites.cancelOrder(this.env, actor, id, body)).order };
    });
  }

  async fulfilOrder(actor: Actor, id: unknown, body: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return { order: (await orderWrites.fulfilOrder(this.env, actor, id, body)).order };
    });
  }

  /** A refund under the merchant's Idempotency-Key; `created` is false for a replay of the key. */
  async refundOrder(actor: Actor, id: unknown, key: unknown, body: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      const { refund, order, created } = await orderWrites.refundOrder(this.env, actor, id, key, body);
      return { refund, order, created };
    });
  }

  async listCustomers(actor: Actor, query: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return listCustomers(this.env, parseInput(CustomerQuery, 'query', query));
    });
  }

  async customer(actor: Actor, id: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return customerWithOrders(this.env, parseInput(CustomerId, 'path', { id }).id);
    });
  }

  /** Ops (admin role): outbox tasks whose last run failed (e.g. a refund Stripe keeps refusing). */
  async stuckTasks(actor: Actor, query: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      return { tasks: unwrap(await checkoutOps(this.env).stuckTasks(query)).tasks };
    });
  }

  async retryTask(actor: Actor, id: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      return { task: (await orderWrites.taskAction(this.env, actor, 'retry', id)).task };
    });
  }

  async giveUpTask(actor: Actor, id: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      return { task: (await orderWrites.taskAction(this.env, actor, 'give_up', id)).task };
    });
  }

  /** GET /v1/admin/audit: who changed what, newest first. */
  async audit(actor: Actor, query: unknown): Promise<RpcResult<AuditPage>> {
    return rpc(async () => {
      requireMerchant(actor);
      return auditPage(this.env, AuditQuery.parse(query));
    });
  }

  // ------------------------------------------------------------------------------------------------------
  // Webhook endpoints (merchant), the notifications' dead letters (admin): webhooks.ts

  async createWebhook(actor: Actor, input: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return webhooks.createEndpoint(this.env, actor, input);
    });
  }

  async listWebhooks(actor: Actor) {
    return rpc(async () => {
      requireMerchant(actor);
      return webhooks.listEndpoints(this.env);
    });
  }

  async getWebhook(actor: Actor, id: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return webhooks.getEndpoint(this.env, id);
    });
  }

  async updateWebhook(actor: Actor, id: unknown, input: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return webhooks.updateEndpoint(this.env, actor, id, input);
    });
  }

  async rotateWebhookSecret(actor: Actor, id: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return webhooks.rotateSecret(this.env, actor, id);
    });
  }

  async deleteWebhook(actor: Actor, id: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return webhooks.deleteEndpoint(this.env, actor, id);
    });
  }

  async webhookDeliveries(actor: Actor, id: unknown, query: unknown) {
    return rpc(async () => {
      requireMerchant(actor);
      return webhooks.deliveries(this.env, id, query);
    });
  }

  async notificationDeadLetters(actor: Actor, includeReplayed: boolean) {
    return rpc(async () => {
      requireAdmin(actor);
      return webhooks.deadLetters(this.env, includeReplayed);
    });
  }

  async replayNotifications(actor: Actor, input: unknown) {
    return rpc(async () => {
      requireAdmin(actor);
      return webhooks.replayDeadLetters(this.env, actor, input);
    });
  }

  /** Ops (admin role): the `orders` messages that ran out of retries. */
  async deadLetters(actor: Actor, includeReplayed: boolean, limit: number) {
    return rpc(async () => {
      requireAdmin(actor);
      const { letters, waiting } = unwrap(
        await checkoutOps(this.env).deadLetters({ includeReplayed, limit: Math.min(Math.max(limit, 1), 500) }),
      );
      return { letters, waiting };
    });
  }

  /** Ops (admin role): sends dead letters back to `orders` (all waiting ones, or the named ones). */
  async replayDeadLetters(actor: Actor, ids?: string[]) {
    return rpc(async () => {
      requireAdmin(actor);
      // The DeadLetterDO keeps the letters: audited before the call, like stock.
      return auditedCall(
        () => createDb(this.env).$primary,
        actor,
        {
          action: 'dead_letters.replay',
          target: { type: 'dead_letters', id: 'orders-dlq' },
          before: { ids: ids ?? 'all' },
        },
        async () => ({ replayed: unwrap(await checkoutOps(this.env).replayDeadLetters(ids)).replayed }),
      );
    });
  }

  /** Ops (admin role): orders, revenue, hottest SKUs, order-paid counts from Postgres; replica lag; dead letters. */
  async opsFigures(actor: Identity, query: unknown): Promise<RpcResult<BusinessFigures>> {
    return rpc(async () => {
      requireAdmin(actor);
      const q = BusinessQuerySchema.parse(query);
      // Bounded like every outbound call: the gateway's own deadline for the whole answer is FIGURES_QUERY_TIMEOUT_MS.
      const [figures, letters, outbox] = await Promise.all([
        businessFigures(this.env, q),
        withTimeout(checkoutOps(this.env).deadLetters({ includeReplayed: false, limit: 500 }), 10_000, 'dead letters'),
        withTimeout(traced(this.env.CHECKOUT_OPS).outbox(), 10_000, 'outbox figures'),
      ]);
      const { letters: waitingLetters, waiting } = unwrap(letters);
      const oldest = waitingLetters.map((l) => l.firstSeenAt).sort()[0] ?? null;
      return { ...figures, deadLetters: { waiting, oldestFirstSeenAt: oldest }, outbox: unwrap(outbox) };
    });
  }

  /** Its dependencies' checks (settings, the primary it writes, KV where it publishes) and its breakers. */
  async health(): Promise<WorkerHealth> {
    return adminHealth(this.env);
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
// One Analytics Engine point per call (lib/metrics/events.ts); inside acceptTraces, so it sees the trace.
recordCalls(AdminService, 'admin');
acceptTraces(AdminService);

function adminHealth(env: AdminEnv & DbEnv): Promise<WorkerHealth> {
  return workerHealth({
    adminSettings: { required: true, run: async () => adminConfig(env) },
    postgresPrimary: {
      required: true,
      run: async () => {
        const settings = dbSettings(env);
        await sqlClient(settings.DATABASE_URL, settings)`select 1`;
      },
    },
    kv: { required: true, run: () => env.CATALOG_META.get(GENERATION_KEY) },
  });
}

export default {
  async fetch(request: Request, env: AdminEnv & DbEnv): Promise<Response> {
    if (new URL(request.url).pathname === '/health') {
      const report = await adminHealth(env);
      const ok = Object.values(report.checks).every((c) => c.status === 'ok' || !c.required);
      return Response.json(report, { status: ok ? 200 : 503 });
    }
    return new Response('not found', { status: 404 });
  },
  /** `notifications` and its dead-letter queue (notify.consumer.ts). */
  async queue(batch: MessageBatch<unknown>, env: AdminEnv & DbEnv): Promise<void> {
    const notifications = batch as MessageBatch<NotificationMessage>;
    if (batch.queue === 'notifications-dlq') await consumeNotificationDeadLetters(notifications, env);
    else await consumeNotifications(notifications, env);
  },
} satisfies ExportedHandler<AdminEnv & DbEnv>;
