// OrdersDO: one per shopper (by verified subject). It runs the shopper's checkouts one at a time, remembers
// every Idempotency-Key it has answered, and is the truth for the status of the shopper's orders: webhook events
// and hold expiry are applied here, under a per-order lock, through the state machine in lib/checkout/order.ts.
// This file is the object: its storage, its locks and its RPC surface. Beside it: the checkout saga
// (checkout.saga.ts), what happens to an order afterwards (order-lifecycle.ts), the storage (order-book.ts), the
// task outbox run by the object's one alarm (tasks.ts), the merchant's operations on an order (order-admin.ts), and
// the ports to the cart, catalog, stock and payments. Longer than 300 lines: it is the object's whole RPC surface
// (checkout, orders, payment and refund events, the merchant's operations, stuck tasks), each method a few lines.
import { DurableObject } from 'cloudflare:workers';
import type { AdminOrder } from '../../lib/checkout/admin-schemas';
import { isAccepted, type OrderSnapshot } from '../../lib/checkout/order';
import type { OrderView } from '../../lib/checkout/schemas';
import { orderView } from '../../lib/checkout/view';
import type {
  CancelCall,
  FulfilCall,
  OrderActor,
  RefundAnswer,
  RefundCall,
  RefundEvent,
  StuckTaskInfo,
} from '../../lib/contracts/admin-orders';
import type { CartSnapshot } from '../../lib/contracts/cart';
import type {
  CheckoutCall,
  CheckoutResult,
  OrderPage,
  PaymentEvent,
  PaymentEventOutcome,
} from '../../lib/contracts/checkout';
import type { OrdersQueueMessage } from '../../lib/contracts/queue';
import { AppError } from '../../lib/errors';
import { log } from '../../lib/log';
import { withTimeout } from '../../lib/resilience';
import { failure, type RpcResult, rpc } from '../../lib/rpc';
import { acceptTraces, withTrace } from '../../lib/trace';
import { outboxShardName } from '../metrics/metrics.do';
import { runCheckout, type SagaContext, screenCart } from './checkout.saga';
import { ordersConfig } from './config';
import { NoticeLog } from './notices';
import { MerchantOrders } from './order-admin';
import { OrderBook } from './order-book';
import { OrderLifecycle } from './order-lifecycle';
import { type OrderPorts, type OrdersEnv, portsFrom } from './ports';
import { type OrdersRebuildPlan, planOrdersRebuild } from './rebuild';
import { TaskOutbox, type TaskRow } from './tasks';

/** An OrdersDO reports its outbox counts at most this often. */
const REPORT_EVERY_MS = 1000;

export class OrdersDO extends DurableObject<OrdersEnv> {
  private readonly tasks: TaskOutbox;
  private readonly book: OrderBook;
  private readonly ports: OrderPorts;
  private readonly lifecycle: OrderLifecycle;
  private readonly merchant: MerchantOrders;
  private readonly notices: NoticeLog | undefined;
  private readonly holdTtlMs: number;
  private readonly actionHoldTtlMs: number;
  /** Checkouts in flight in this isolate, by key: a concurrent replay waits for the same answer. */
  private inflight = new Map<string, Promise<CheckoutResult>>();
  /** One checkout at a time per shopper: two keys cannot both order the same cart. */
  private checkoutChain: Promise<unknown> = Promise.resolve();
  /** Moves on when a checkout of this object starts or ends: a cart read across either may be out of date. */
  private checkoutEpoch = 0;
  /** New keys being screened, so that duplicates share the screening (and another body is refused). */
  private screenings = new Map<
    string,
    { requestHash: string; result: Promise<{ cart: CartSnapshot } | { answer: CheckoutResult } | null> }
  >();
  /** Per-order critical sections (checkout, webhook events, expiry never interleave on one order). */
  private locks = new Map<string, Promise<unknown>>();
  /**
   * The outbox counts last reported to the figures; '' when unknown: at the start of an instance (an earlier
   * instance of this object may have reported tasks that are gone by the time this one first reports, and a report
   * equal to "nothing pending" would then be skipped and leave the figures stale), and after a failed report. An
   * object that never has a task (a refused checkout) never changes its outbox, so it still never reports.
   */
  private reported = '';
  /** A report is scheduled. */
  private reportDue = false;
  /** The tables exist and are up to date in this instance (ready()). */
  private schemaReady = false;

  constructor(ctx: DurableObjectState, env: OrdersEnv) {
    super(ctx, env);
    const config = ordersConfig(env);
    this.holdTtlMs = config.HOLD_TTL_SECONDS * 1000;
    this.actionHoldTtlMs = config.HOLD_ACTION_TTL_SECONDS * 1000;
    this.tasks = new TaskOutbox(ctx.storage, () => this.reportOutbox());
    this.notices = env.NOTIFICATIONS
      ? new NoticeLog(ctx.storage, env.NOTIFICATIONS, (id) => this.book.order(id), {
          duplicateFor: config.FAULT_DUPLICATE_NOTICES_OF,
          slowFor: config.FAULT_SLOW_NOTICES_OF,
        })
      : undefined;
    this.book = new OrderBook(ctx.storage, this.tasks, this.notices, config.ORDER_PUBLISH_DELAY_MS);
    this.ports = portsFrom(env);
    const queue = lossyQueue(env.ORDERS_QUEUE, config.FAULT_LOSE_ORDER_COPIES_OF);
    this.lifecycle = new OrderLifecycle(
      this.book,
      this.tasks,
      this.ports,
      queue,
      config.ORDERS_CONFIRM_SECONDS * 1000,
      {
        ttlMs: this.holdTtlMs,
        actionTtlMs: this.actionHoldTtlMs,
      },
    );
    this.merchant = new MerchantOrders(
      this.book,
      this.tasks,
      this.ports,
      this.lifecycle,
      config.ARCHIVE_REFUND_WINDOW_DAYS,
    );
  }

  /**
   * The object's tables, created or brought up to date on first use in this instance: synchronously, at the start
   * of each call, so no other call runs in between. Not in the constructor: a flash sale's losers are mostly
   * shoppers checking out for the first time, and their refusal (screened before anything is stored) then costs no
   * schema, no write, and no storage commit in a new object (issue 10).
   */
  private ready() {
    if (this.schemaReady) return;
    this.book.migrate();
    this.tasks.migrate();
    // Orders changed just before notices existed still get theirs.
    for (const id of this.notices?.migrate() ?? []) this.tasks.add(id, 'notify', {}, Date.now());
    this.schemaReady = true;
  }

  /** Whether this key may be new here without creating the schema: an object that never stored one has no table. */
  private keyUnknown(key: string): boolean {
    if (!this.schemaReady) {
      const stored = this.ctx.storage.sql.exec(
        "select 1 from sqlite_master where type = 'table' and name = 'checkout'",
      );
      if (stored.toArray().length === 0) return !this.inflight.has(key);
      this.ready();
    }
    return !this.book.key(key) && !this.inflight.has(key);
  }

  private async withOrderLock<T>(orderId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(orderId) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(fn);
    const tail = run.catch(() => {});
    this.locks.set(orderId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(orderId) === tail) this.locks.delete(orderId);
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // RPC: checkout, orders, payment events

  /**
   * One checkout under an Idempotency-Key. A new key is screened first (cart, If-Match, published stock state,
   * checkout.saga.ts `screenCart`): a refusal there stores nothing, as the saga would store nothing for it, so a
   * flash sale's losers cost no write. Identical requests arriving at once share one screening and then one run:
   * exactly one starts the work and the others wait for its answer. A key that has its final answer gets exactly
   * that answer again (stored as JSON).
   */
  async checkout(call: CheckoutCall): Promise<CheckoutResult> {
    return withTrace(call.trace, () => this.checkoutInTrace(call));
  }

  private async checkoutInTrace(call: CheckoutCall): Promise<CheckoutResult> {
    const isNew = () => this.keyUnknown(call.key);
    let screened: CartSnapshot | undefined;
    const shared = this.screenings.get(call.key);
    if (shared) {
      // A duplicate of a key being screened: the same screening's answer, or the reuse refusal for another body.
      if (shared.requestHash !== call.requestHash) return keyReused();
      const screening = await shared.result;
      if (screening && 'answer' in screening && isNew()) return screening.answer;
    } else if (isNew()) {
      // The cart read is reused by the saga only if no checkout of this shopper ran at any moment of the read:
      // one that was accepted took the cart's lines, and this one must see the cart without them (CART_EMPTY).
      const epoch = this.checkoutEpoch;
      const idle = this.inflight.size === 0;
      // A failure here (the cart unreachable) is left to the saga, which answers it as it always has.
      const result = screenCart(this.ports, call).catch(() => null);
      this.screenings.set(call.key, { requestHash: call.requestHash, result });
      const screening = await result.finally(() => this.screenings.delete(call.key));
      if (screening && 'answer' in screening && isNew()) return screening.answer;
      const untouched = idle && epoch === this.checkoutEpoch && this.inflight.size === 0;
      if (screening && 'cart' in screening && untouched) screened = screening.cart;
    }
    this.ready();
    const row = this.book.key(call.key);
    if (row && row.request_hash !== call.requestHash) return keyReused();
    if (row?.state === 'done' && row.response) return JSON.parse(row.response) as CheckoutResult;
    const running = this.inflight.get(call.key);
    if (running) return running;
    const orderId =
      row?.order_id ?? `ord_${Date.now().toString(36)}${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
    if (!row) this.book.registerKey(call.key, call.requestHash, orderId);

    const saga: SagaContext = {
      book: this.book,
      tasks: this.tasks,
      ports: this.ports,
      releaseHolds: (o, reason) => this.lifecycle.releaseHolds(o, reason),
      runTasksNow: (id) => this.runTasksNow(id),
      holdTtlMs: this.holdTtlMs,
      actionHoldTtlMs: this.actionHoldTtlMs,
    };
    this.checkoutEpoch++;
    const run = this.checkoutChain
      .catch(() => {})
      .then(() => this.withOrderLock(orderId, () => runCheckout(saga, call, orderId, row ? undefined : screened)));
    this.checkoutChain = run.catch(() => {});
    const answer = run.finally(() => {
      this.inflight.delete(call.key);
      this.checkoutEpoch++;
    });
    this.inflight.set(call.key, answer);
    return answer;
  }

  async listOrders(limit: number, cursor?: number): Promise<RpcResult<OrderPage>> {
    this.ready();
    return rpc(async () => {
      const page = this.book.acceptedOrders(limit, cursor);
      return { orders: page.orders.map(orderView), nextCursor: page.nextCursor };
    });
  }

  /** Only orders the shopper was shown exist here: one never accepted is not found. */
  async getOrder(id: string): Promise<RpcResult<{ order: OrderView }>> {
    this.ready();
    return rpc(async () => {
      const o = this.book.order(id);
      if (!o || !isAccepted(o.status)) throw new AppError('NOT_FOUND', 'No such order.');
      return { order: orderView(o) };
    });
  }

  /** A verified Stripe event about one of this shopper's orders: applied once, whatever order it arrives in. */
  async applyPaymentEvent(event: PaymentEvent): Promise<RpcResult<PaymentEventOutcome>> {
    this.ready();
    return rpc(async () => {
      if (this.book.eventOutcome(event.id)) return { outcome: 'duplicate' };
      return this.withOrderLock(event.orderId, async () => {
        if (this.book.eventOutcome(event.id)) return { outcome: 'duplicate' };
        const outcome = await this.lifecycle.applyPaymentEvent(event);
        this.book.recordEvent(event.id, event.orderId, event.type, outcome);
        return { outcome };
      });
    });
  }

  // ------------------------------------------------------------------------------------------------------
  // RPC: the merchant's operations (CheckoutOps, after the admin worker checked the role)

  async adminOrder(id: string): Promise<RpcResult<{ order: AdminOrder }>> {
    this.ready();
    return rpc(async () => ({ order: this.merchant.view(id) }));
  }

  async adminCancel(call: CancelCall): Promise<RpcResult<{ order: AdminOrder }>> {
    this.ready();
    return rpc(() => this.withOrderLock(call.orderId, async () => ({ order: await this.merchant.cancel(call) })));
  }

  async adminFulfil(call: FulfilCall): Promise<RpcResult<{ order: AdminOrder }>> {
    this.ready();
    return rpc(() => this.withOrderLock(call.orderId, async () => ({ order: this.merchant.fulfil(call) })));
  }

  /**
   * A refund: recorded (or found under its key) in one synchronous stretch under the order's lock, then sent to
   * Stripe at once by the order's tasks; if Stripe does not take it now, the task keeps trying.
   */
  async adminRefund(call: RefundCall): Promise<RpcResult<RefundAnswer>> {
    this.ready();
    return rpc(() =>
      this.withOrderLock(call.orderId, async () => {
        const { refund, created } = this.merchant.recordRefund(call);
        if (created) await this.runTasksNow(call.orderId);
        return { ...this.merchant.refundAnswer(call.orderId, refund.id), created };
      }),
    );
  }

  /** A verified Stripe refund event about one of this shopper's orders: applied once, like payment events. */
  async applyRefundEvent(event: RefundEvent): Promise<RpcResult<PaymentEventOutcome>> {
    this.ready();
    return rpc(async () => {
      if (this.book.eventOutcome(event.id)) return { outcome: 'duplicate' };
      return this.withOrderLock(event.orderId, async () => {
        if (this.book.eventOutcome(event.id)) return { outcome: 'duplicate' };
        const outcome = this.merchant.applyRefundEvent(event);
        this.book.recordEvent(event.id, event.orderId, event.type, outcome);
        return { outcome };
      });
    });
  }

  /** This object's tasks whose last run failed. */
  async stuckTasks(minAttempts: number, limit: number): Promise<RpcResult<{ tasks: StuckTaskInfo[] }>> {
    this.ready();
    return rpc(async () => ({
      tasks: this.tasks.failing(minAttempts, limit).map((t) => this.taskInfo(t)),
    }));
  }

  /** Runs a task now, whatever its backoff said; answers it as it is afterwards (null: done). */
  async retryTask(taskId: number): Promise<RpcResult<{ task: StuckTaskInfo | null }>> {
    this.ready();
    return rpc(async () => {
      const found = this.tasks.byId(taskId);
      if (!found) throw new AppError('NOT_FOUND', 'No such task (done, given up, or never there).');
      await this.withOrderLock(found.order_id, async () => {
        const task = this.tasks.byId(taskId);
        if (task) await this.settle(task);
      });
      await this.tasks.arm();
      const after = this.tasks.byId(taskId);
      return { task: after ? this.taskInfo(after) : null };
    });
  }

  async giveUpTask(taskId: number, actor: OrderActor): Promise<RpcResult<{ task: null }>> {
    this.ready();
    return rpc(async () => {
      const found = this.tasks.byId(taskId);
      if (!found) throw new AppError('NOT_FOUND', 'No such task (done, given up, or never there).');
      await this.withOrderLock(found.order_id, async () => {
        const task = this.tasks.byId(taskId);
        if (task) this.merchant.giveUp(task, actor);
      });
      return { task: null };
    });
  }

  private taskInfo(t: {
    id: number;
    order_id: string;
    kind: string;
    attempts: number;
    due_at: number;
    last_error: string | null;
  }): StuckTaskInfo {
    return {
      id: `${this.ctx.id.toString()}.${t.id}`,
      orderId: t.order_id,
      kind: t.kind,
      attempts: t.attempts,
      lastError: t.last_error,
      dueAt: t.due_at,
    };
  }

  /**
   * Ops: every order this object keeps (any status, as stored: the snapshot its Postgres copy is made from), oldest
   * first, at most `limit`, for an export to R2 (docs/runbook.md#exporting-the-durable-objects).
   */
  async exportOrders(limit: number): Promise<RpcResult<{ orders: OrderSnapshot[]; more: boolean }>> {
    this.ready();
    return rpc(async () => this.book.allOrders(Math.min(Math.max(Math.trunc(Number(limit)) || 1, 1), 10_000)));
  }

  /**
   * Ops: rebuilds this shopper's orders from their Postgres copies (durable-objects/orders/rebuild.ts): an order
   * missing here, or older here than its copy, is written from the copy; one kept at the copy's version or newer is
   * left alone. Each order is checked again and written under its lock, so an operation in flight on it (a refund
   * waiting for Stripe) finishes first and the restore then sees its version, never the reverse; a second call
   * restores nothing. A restored order still waiting for its payment gets its expiry task back. `dryRun`: the plan
   * only.
   */
  async restoreOrders(copies: OrderSnapshot[], dryRun: boolean): Promise<RpcResult<OrdersRebuildPlan>> {
    this.ready();
    return rpc(async () => {
      const plan = planOrdersRebuild(this.book.versions(copies.map((c) => c.id)), copies);
      if (dryRun) return plan;
      const restore = new Set(plan.restore.map((r) => r.id));
      for (const o of copies) {
        if (!restore.has(o.id)) continue;
        await this.withOrderLock(o.id, async () => {
          const now = this.book.versions([o.id]).get(o.id);
          if (now !== undefined && now >= o.version) return; // changed meanwhile: the object's is newer
          this.book.restoreOrder(o);
          if (o.status === 'pending_payment') this.tasks.add(o.id, 'expire', {}, o.holdExpiresAt);
        });
      }
      if (plan.restore.some((r) => r.status === 'pending_payment')) await this.tasks.arm();
      log.info('orders rebuilt from Postgres', { restored: plan.restore.length, kept: plan.keep.length });
      return plan;
    });
  }

  /**
   * The orders consumer wrote this version of the order to Postgres (or kept it as a dead letter): the object
   * stops sending it. Not under the order's lock: one synchronous check-and-delete.
   */
  async orderCopied(orderId: string, version: number): Promise<RpcResult<{ done: boolean }>> {
    this.ready();
    return rpc(async () => ({ done: this.book.copied(orderId, version) }));
  }

  /**
   * Tells the figures (MetricsDO `outbox-<n>`) this object's task counts when they changed: pending and failing
   * tasks, order copies not yet confirmed, the next task's due time (`outbox-stuck` alerts on it once overdue). At most once per REPORT_EVERY_MS, with the counts of that moment (a
   * checkout changes the outbox several times in a few milliseconds), and in the background: a report never delays
   * the change it follows.
   */
  private reportOutbox() {
    if (!this.env.METRICS || this.reportDue) return;
    this.reportDue = true;
    this.ctx.waitUntil(
      new Promise((r) => setTimeout(r, REPORT_EVERY_MS)).then(() => {
        this.reportDue = false;
        return this.sendOutboxReport();
      }),
    );
  }

  private async sendOutboxReport() {
    const metrics = this.env.METRICS!;
    const counts = this.tasks.counts();
    const key = JSON.stringify(counts);
    if (key === this.reported) return;
    this.reported = key;
    const source = this.ctx.id.toString();
    const stub = metrics.get(metrics.idFromName(outboxShardName(source)));
    try {
      await withTimeout(stub.report(source, counts, Date.now()), 5000, 'outbox report');
    } catch (err) {
      // The next change reports again (counts, not deltas: nothing adds up wrong).
      this.reported = '';
      log.warn('outbox report failed', { error: String(err) });
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // The alarm: due tasks

  override async alarm(): Promise<void> {
    this.ready();
    const now = Date.now();
    this.book.prune(now);
    for (const task of this.tasks.due(now)) await this.withOrderLock(task.order_id, () => this.settle(task));
    await this.tasks.arm();
  }

  /**
   * Runs the due tasks of one order now; the caller holds the order's lock. Not `notify`: its Queue send (up to
   * 5 s) would add to the answer of a checkout, a payment event or a refund under the order's lock (the flash-sale
   * path); the task is already stored, so the alarm armed here sends it right after the answer, and retries it.
   */
  private async runTasksNow(orderId: string) {
    for (const task of this.tasks.due(Date.now(), orderId)) if (task.kind !== 'notify') await this.settle(task);
    await this.tasks.arm();
  }

  private settle(task: TaskRow) {
    return this.tasks.settle(task, (t) => {
      if (t.kind === 'refunds') return this.merchant.runRefunds(t);
      if (t.kind === 'notify') return this.notices?.run(t) ?? Promise.resolve(undefined);
      return this.lifecycle.runTask(t);
    });
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
acceptTraces(OrdersDO);

/** Copies lost so far, per isolate (not per object: an evicted object's next instance sends them again). */
const lostCopies = new Set<string>();

/**
 * A test fault, off unless FAULT_LOSE_ORDER_COPIES_OF names an email (never set in production): the first send
 * of each version of that shopper's orders resolves without reaching the Queue, as a local Queue lost messages
 * with its process in a crash. Each version is lost once per isolate; the copy sent again goes through.
 */
function lossyQueue(queue: Queue<OrdersQueueMessage>, email: string | undefined): Queue<OrdersQueueMessage> {
  if (!email) return queue;
  return {
    async send(message, options) {
      if (message.type === 'order.snapshot' && message.order.owner.email === email) {
        const copy = `${message.order.id}@${message.order.version}`;
        if (!lostCopies.has(copy)) {
          lostCopies.add(copy);
          log.warn('test fault: order copy lost on purpose', { copy });
          return;
        }
      }
      return queue.send(message, options);
    },
    sendBatch: (messages, options) => queue.sendBatch(messages, options),
  } as Queue<OrdersQueueMessage>;
}

const keyReused = (): CheckoutResult =>
  failure(
    new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used for a different checkout request; use a new key for a new checkout.',
    ),
  );
