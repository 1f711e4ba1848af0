// The checkout worker: checkouts and orders (one OrdersDO per shopper), stock (one InventoryDO per SKU), the
// `orders` Queue consumer and its dead letters, and Stripe's webhook events. Reached over typed RPC only:
// CheckoutWorker (default entrypoint) by the gateway, CheckoutOps by the admin worker. A checkout itself goes from
// the gateway straight to the shopper's OrdersDO (hosted here; the gateway binds ORDERS by script_name); the older
// `checkout` method stays for one release, for rolling deploys.

import { WorkerEntrypoint } from 'cloudflare:workers';
import { z } from 'zod';
import { DEAD_LETTERS_OBJECT, DeadLetterDO } from '../../../durable-objects/dead-letters/dead-letters.do';
import { ensureStock, inventoryOf, levelsOf } from '../../../durable-objects/inventory/inventory.client';
import { InventoryDO } from '../../../durable-objects/inventory/inventory.do';
import { eventsPage, type InventoryEventPage } from '../../../durable-objects/inventory/ledger.client';
import { type RebuildAnswer, rebuildStock } from '../../../durable-objects/inventory/rebuild.client';
import { OrdersDO } from '../../../durable-objects/orders/orders.do';
import { type OrdersRebuildAnswer, rebuildOrders } from '../../../durable-objects/orders/rebuild.client';
import { RebuildOrdersBody, RebuildStockBody, ShopperSubject } from '../../../lib/admin/durable.schemas';
import type { Identity } from '../../../lib/auth/tokens';
import { checkoutCall } from '../../../lib/checkout/call';
import {
  AdjustStockBody,
  CheckoutBody,
  InventoryEventsQuery,
  InventorySku,
  OrderIdParam,
  OrderListQuery,
  type OrderView,
  SetStockBody,
} from '../../../lib/checkout/schemas';
import type { OrderActor } from '../../../lib/contracts/admin-orders';
import type { CheckoutResult, OrderPage } from '../../../lib/contracts/checkout';
import type { OutboxFigures } from '../../../lib/contracts/figures';
import type { StockChange } from '../../../lib/contracts/inventory';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import type { DeadLetterList, OrdersQueueMessage } from '../../../lib/contracts/queue';
import type { DbEnv } from '../../../lib/db/client';
import { AppError, validationError } from '../../../lib/errors';
import { startBreakerReports, startSlowQueryReports } from '../../../lib/metrics/breaker-reports.worker';
import { recordCalls } from '../../../lib/metrics/events';
import { paymentEventOf, refundEventOf } from '../../../lib/payments/events';
import { Stripe, type StripeEnv, verifyWebhook } from '../../../lib/payments/stripe';
import { type RpcResult, rpc, unwrap } from '../../../lib/rpc';
import { acceptTraces, type Trace, traced, withTrace } from '../../../lib/trace';
import { type ExportAnswer, exportObjects } from './do-export';
import { checkoutHealth } from './health';
import * as orderOps from './order-ops';
import { consumeDeadLetters, consumeOrders } from './orders.consumer';
import { outboxFigures } from './outbox';

export { MetricsDO } from '../../../durable-objects/metrics/metrics.do';
// One Analytics Engine point per call and alarm of its objects (lib/metrics/events.ts).
export { DeadLetterDO, InventoryDO, OrdersDO };

recordCalls(OrdersDO, 'checkout', 'object');
recordCalls(InventoryDO, 'checkout', 'object');
recordCalls(DeadLetterDO, 'checkout', 'object');

type Env = CheckoutEnv & DbEnv & StripeEnv;

// Its breakers (Stripe, Postgres; its objects' too) push their state to the catalog's MetricsDO `breakers`.
startBreakerReports('checkout', 'BREAKERS');
// Its slow Postgres queries (its objects' too) are counted there as well.
startSlowQueryReports('checkout', 'BREAKERS');

export default class CheckoutWorker extends WorkerEntrypoint<Env> {
  private ordersOf(sub: string) {
    return traced(this.env.ORDERS.get(this.env.ORDERS.idFromName(sub)));
  }

  /**
   * POST /v1/checkout as the gateway called it before it went to the OrdersDO directly (issue 10). Kept for one
   * release so that a gateway still running the older code during a rolling deploy (or rolled back alone) keeps
   * working; remove it in the release after. The key and If-Match (`cartVersion`) are validated by the gateway.
   */
  async checkout(
    who: Identity,
    key: string,
    input: unknown,
    context: { cartVersion?: number; shopperKeys?: string[]; trace?: Trace } = {},
  ): Promise<CheckoutResult> {
    return withTrace(context.trace, () =>
      rpc(async () => {
        const parsed = CheckoutBody.safeParse(input);
        if (!parsed.success) throw validationError('body', parsed.error.issues);
        const call = await checkoutCall(who, key, parsed.data, context);
        return { accepted: unwrap(await this.ordersOf(who.sub).checkout(call)).accepted };
      }),
    );
  }

  async listOrders(who: Identity, query: unknown): Promise<RpcResult<OrderPage>> {
    return rpc(async () => {
      const q = OrderListQuery.parse(query);
      const { orders, nextCursor } = unwrap(
        await this.ordersOf(who.sub).listOrders(q.limit, q.cursor ? Number(q.cursor) : undefined),
      );
      return { orders, nextCursor };
    });
  }

  /** Only the caller's own orders exist here: another shopper's order id is simply not found. */
  async getOrder(who: Identity, id: unknown): Promise<RpcResult<{ order: OrderView }>> {
    return rpc(async () => {
      const { id: orderId } = OrderIdParam.parse({ id });
      const { order } = unwrap(await this.ordersOf(who.sub).getOrder(orderId));
      return { order };
    });
  }

  /** GET /v1/inventory/:sku: live figures from the SKU's InventoryDO. */
  async inventory(sku: unknown) {
    return rpc(async () => {
      const parsed = InventorySku.parse({ sku });
      const { onHand, held, sold, available, maxPerCustomer } = await levelsOf(this.env, parsed.sku);
      return { inventory: { sku: parsed.sku, onHand, held, sold, available, maxPerCustomer } };
    });
  }

  /**
   * POST /v1/webhooks/stripe: the signature (and its timestamp) is checked with the SDK's async verifier over the
   * exact bytes received; the event's shape with zod (a malformed payment or refund event is 400, never a 500);
   * each payment or refund event goes to the order's owner, which applies it once (dedup by event id).
   */
  async stripeWebhook(payload: string, signature: string) {
    return rpc(async () => {
      let event: Stripe.Event;
      try {
        event = await verifyWebhook(this.env, payload, signature);
      } catch (err) {
        if (err instanceof Stripe.errors.StripeSignatureVerificationError || err instanceof SyntaxError) {
          throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'The Stripe-Signature header does not match the payload.');
        }
        throw err;
      }
      const parsed = paymentEventOf(event);
      if (!('skip' in parsed)) {
        const { outcome } = unwrap(await this.ordersOf(parsed.owner).applyPaymentEvent(parsed.event));
        return { received: true, outcome };
      }
      if (parsed.skip !== 'not_handled') return { received: true, outcome: parsed.skip };
      // Refund events: a merchant refund's outcome (refund.*), the charge's refunded total (charge.refunded).
      const refund = refundEventOf(event);
      if ('skip' in refund) return { received: true, outcome: refund.skip };
      const { outcome } = unwrap(await this.ordersOf(refund.owner).applyRefundEvent(refund.event));
      return { received: true, outcome };
    });
  }

  override async queue(batch: MessageBatch<OrdersQueueMessage>): Promise<void> {
    if (batch.queue === 'orders-dlq') return consumeDeadLetters(batch, this.env);
    return consumeOrders(batch, this.env);
  }

  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/health') {
      const report = await this.health();
      const ok = Object.values(report.checks).every((c) => c.status === 'ok' || !c.required);
      return Response.json(report, { status: ok ? 200 : 503 });
    }
    return new Response('not found', { status: 404 });
  }

  /** Its dependencies' checks (checkout-health.ts) and this isolate's breakers (Stripe, Postgres). */
  async health(): Promise<WorkerHealth> {
    return checkoutHealth(this.env);
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
// One Analytics Engine point per call and per queue batch (lib/metrics/events.ts).
recordCalls(CheckoutWorker, 'checkout');
acceptTraces(CheckoutWorker);

/** Merchant and ops operations, called by the admin worker after it checked the caller's role. */
export class CheckoutOps extends WorkerEntrypoint<Env> {
  /** Live figures of a SKU, without writing (the admin worker's audit log keeps them as a change's `before`). */
  async inventory(sku: unknown) {
    return rpc(async () => {
      const parsed = InventorySku.parse({ sku });
      const { onHand, held, sold, available, maxPerCustomer } = await levelsOf(this.env, parsed.sku);
      return { inventory: { sku: parsed.sku, onHand, held, sold, available, maxPerCustomer } };
    });
  }

  /** `actor`: the merchant or admin, recorded with the body's reason in the SKU's stock ledger. */
  async setStock(sku: unknown, input: unknown, actor: OrderActor) {
    return rpc(async () => {
      const parsed = InventorySku.parse({ sku });
      const body = SetStockBody.parse(input);
      const change = stockChange(actor, body.reason);
      const stub = inventoryOf(this.env, parsed.sku);
      await ensureStock(this.env, parsed.sku);
      const r = await stub.setOnHand(parsed.sku, body.onHand, change);
      if (!r.ok) throw stockRefusal(r);
      if (body.maxPerCustomer !== undefined) await stub.setMaxPerCustomer(parsed.sku, body.maxPerCustomer, change);
      return { inventory: await levelsOf(this.env, parsed.sku) };
    });
  }

  async adjustStock(sku: unknown, input: unknown, actor: OrderActor) {
    return rpc(async () => {
      const parsed = InventorySku.parse({ sku });
      const body = AdjustStockBody.parse(input);
      const change = stockChange(actor, body.reason);
      await ensureStock(this.env, parsed.sku);
      const r = await inventoryOf(this.env, parsed.sku).adjust(parsed.sku, body.delta, change);
      if (!r.ok) throw stockRefusal(r);
      return { inventory: r.levels };
    });
  }

  /** GET /v1/admin/inventory/:sku/events: the SKU's stock ledger, newest first (ledger.client.ts). */
  async inventoryEvents(sku: unknown, query: unknown): Promise<RpcResult<InventoryEventPage>> {
    return rpc(async () => {
      const parsed = InventorySku.parse({ sku });
      return eventsPage(this.env, parsed.sku, InventoryEventsQuery.parse(query));
    });
  }

  /**
   * Ops: rebuilds a SKU's InventoryDO from Postgres, or (dryRun) answers the plan and its diff
   * (durable-objects/inventory/rebuild.client.ts). The admin worker checked the role and audits it.
   */
  async rebuildStock(sku: unknown, input: unknown, actor: OrderActor): Promise<RpcResult<RebuildAnswer>> {
    return rpc(async () => {
      const parsed = InventorySku.parse({ sku });
      const body = RebuildStockBody.parse(input ?? {});
      const change = stockChange(actor, undefined);
      return rebuildStock(this.env, parsed.sku, body, change);
    });
  }

  /**
   * Ops: rebuilds a shopper's OrdersDO from the order copies in Postgres, or (dryRun) answers the plan
   * (durable-objects/orders/rebuild.client.ts). The admin worker checked the role and audits it.
   */
  async rebuildOrders(subject: unknown, input: unknown): Promise<RpcResult<OrdersRebuildAnswer>> {
    return rpc(async () => {
      const parsed = ShopperSubject.parse({ subject });
      const body = RebuildOrdersBody.parse(input ?? {});
      return rebuildOrders(this.env, parsed.subject, body.dryRun);
    });
  }

  /** Ops: the named objects' state for an export to R2 (do-export.ts). */
  async exportObjects(kind: unknown, ids: unknown, levelsOnly = false): Promise<RpcResult<ExportAnswer>> {
    return rpc(() => exportObjects(this.env, kind, ids, levelsOnly));
  }

  async deadLetters(opts: { includeReplayed: boolean; limit: number }): Promise<RpcResult<DeadLetterList>> {
    return rpc(() => this.deadLetterStore().list(opts));
  }

  async replayDeadLetters(ids?: string[]): Promise<RpcResult<{ replayed: string[] }>> {
    return rpc(() => this.deadLetterStore().replay(ids));
  }

  /** The OrdersDOs' task outboxes as last reported, added over the shards. */
  async outbox(): Promise<RpcResult<OutboxFigures>> {
    return rpc(() => outboxFigures(this.env));
  }

  // The merchant's orders (order-ops.ts): the order's OrdersDO is found through its owner in Postgres.

  async order(id: unknown) {
    return rpc(() => orderOps.adminOrder(this.env, id));
  }

  async cancelOrder(id: unknown, body: unknown, actor: OrderActor) {
    return rpc(() => orderOps.cancelOrder(this.env, id, body, actor));
  }

  async fulfilOrder(id: unknown, body: unknown, actor: OrderActor) {
    return rpc(() => orderOps.fulfilOrder(this.env, id, body, actor));
  }

  /** A refund under the merchant's Idempotency-Key (`key`): the same key and body refund once. */
  async refundOrder(id: unknown, key: unknown, body: unknown, actor: OrderActor) {
    return rpc(() => orderOps.refundOrder(this.env, id, key, body, actor));
  }

  /** Ops: outbox tasks whose last run failed, in every OrdersDO that reported one. */
  async stuckTasks(query: unknown) {
    return rpc(() => orderOps.stuckTasks(this.env, query));
  }

  async retryTask(id: unknown) {
    return rpc(() => orderOps.retryTask(this.env, id));
  }

  async giveUpTask(id: unknown, actor: OrderActor) {
    return rpc(() => orderOps.giveUpTask(this.env, id, actor));
  }

  private deadLetterStore() {
    return traced(this.env.DEAD_LETTERS.get(this.env.DEAD_LETTERS.idFromName(DEAD_LETTERS_OBJECT)));
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
recordCalls(CheckoutOps, 'checkout');
acceptTraces(CheckoutOps);

const StockActor = z.object({ sub: z.string().min(1).max(200), role: z.enum(['merchant', 'admin']) });

/** A merchant write's who and why for the ledger; a call without a merchant or admin is refused. */
function stockChange(actor: OrderActor, reason: string | undefined): StockChange {
  const who = StockActor.safeParse(actor);
  if (!who.success) throw new AppError('FORBIDDEN', 'A stock change needs the merchant or admin who makes it.');
  return { actor: { type: who.data.role, id: who.data.sub }, reason: reason ?? null };
}

function stockRefusal(r: { reason: string; held?: number; sold?: number; minimum?: number }): AppError {
  if (r.reason === 'BELOW_COMMITTED') {
    return new AppError('STOCK_BELOW_COMMITTED', `On hand cannot go below what is held or sold (${r.minimum}).`, {
      details: { held: r.held, sold: r.sold, minimum: r.minimum },
    });
  }
  return new AppError('VALIDATION_FAILED', 'Invalid stock figure.');
}
