// OrdersDO: one per shopper (by verified subject). It runs the shopper's checkouts one at a time, remembers
// every Idempotency-Key it has answered, and is the truth for the status of the shopper's orders: webhook events
// and hold expiry are applied here, under a per-order lock, through the state machine in lib/checkout/order.ts.
// Every side effect that must happen eventually (copy to Postgres via the Queue, empty the cart, release holds,
// expire, refund) is a row in `task`, written in the same storage transaction as the change that needs it, and
// run by the object's one alarm with backoff until it succeeds: nothing is lost when a call fails or the object
// is evicted.
import { DurableObject } from 'cloudflare:workers';
import type { Identity } from '../lib/auth/tokens';
import { canTransition, isAccepted, type OrderSnapshot, type OrderStatus } from '../lib/checkout/order';
import type { CheckoutAccepted, OrderView } from '../lib/checkout/schemas';
import { orderView } from '../lib/checkout/view';
import type { CheckoutCall, PaymentEvent } from '../lib/contracts/checkout';
import type { OrdersQueueMessage } from '../lib/contracts/queue';
import type { DbEnv } from '../lib/db/client';
import type { ErrorCode, ErrorInfo } from '../lib/errors';
import { backoffMs, withTimeout } from '../lib/resilience';
import { placeOrder } from '../workers/checkout/src/checkout.flow';
import { commitAll, releaseAll, reserveAll } from '../workers/checkout/src/inventory.client';
import { callStripe, isStripeOutage, Stripe, type StripeEnv } from '../workers/checkout/src/stripe';

type Env = CheckoutEnv & DbEnv & StripeEnv;

/** What the gateway answers: 202 with the accepted order, or an error. Replays of a key get the same. */
export type CheckoutOutcome = { status: 202; body: CheckoutAccepted } | { status: number; error: ErrorInfo };

type TaskKind = 'publish' | 'cart' | 'release' | 'expire' | 'refund';
type TaskRow = {
  id: number;
  order_id: string;
  kind: TaskKind;
  payload: string;
  attempts: number;
};

export const fail = (
  code: ErrorCode,
  message: string,
  status: number,
  details?: unknown,
  retryAfter?: number,
): CheckoutOutcome => ({
  status,
  error: { code, message, ...(details === undefined ? {} : { details }), ...(retryAfter ? { retryAfter } : {}) },
});

const IDEMPOTENCY_RETENTION_MS = 7 * 86_400_000;
const EVENT_RETENTION_MS = 30 * 86_400_000;

export const closedOutcome = (): CheckoutOutcome =>
  fail(
    'CHECKOUT_CLOSED',
    'This checkout did not complete and is closed; start a new one with a new Idempotency-Key.',
    409,
  );

export class OrdersDO extends DurableObject<Env> {
  private sql: SqlStorage;
  /** Checkouts in flight in this isolate, by key: a concurrent replay waits for the same answer. */
  private inflight = new Map<string, Promise<CheckoutOutcome>>();
  /** One checkout at a time per shopper: two keys cannot both order the same cart. */
  private checkoutChain: Promise<unknown> = Promise.resolve();
  /** Per-order critical sections (checkout, webhook events, expiry never interleave on one order). */
  private locks = new Map<string, Promise<unknown>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`
        create table if not exists checkout (key text primary key, request_hash text not null, order_id text not null,
          state text not null, response text, created_at integer not null);
        create table if not exists orders (seq integer primary key autoincrement, id text not null unique, status text not null,
          version integer not null, created_at integer not null, snapshot text not null);
        create table if not exists stripe_event (id text primary key, order_id text, type text not null, outcome text not null, at integer not null);
        create table if not exists task (id integer primary key autoincrement, order_id text not null, kind text not null,
          payload text not null, attempts integer not null default 0, due_at integer not null, last_error text,
          unique (order_id, kind));
      `);
    });
  }

  // ------------------------------------------------------------------------------------------------------
  // Storage helpers (all synchronous)

  order(id: string): OrderSnapshot | null {
    const row = this.sql.exec<{ snapshot: string }>('select snapshot from orders where id = ?', id).toArray()[0];
    return row ? (JSON.parse(row.snapshot) as OrderSnapshot) : null;
  }

  /** Writes a new order (version 1). */
  insertOrder(o: OrderSnapshot) {
    this.sql.exec(
      'insert into orders (id, status, version, created_at, snapshot) values (?, ?, ?, ?, ?)',
      o.id,
      o.status,
      o.version,
      o.createdAt,
      JSON.stringify(o),
    );
  }

  /** Saves a changed order as the next version and queues its copy to Postgres. */
  saveOrder(o: OrderSnapshot) {
    o.version += 1;
    o.updatedAt = Date.now();
    this.sql.exec(
      'update orders set status = ?, version = ?, snapshot = ? where id = ?',
      o.status,
      o.version,
      JSON.stringify(o),
      o.id,
    );
    if (isAccepted(o.status)) this.addTask(o.id, 'publish', {}, Date.now());
  }

  /**
   * Moves an order along the state machine; an illegal move is refused and logged, never applied. The caller
   * saves the order (together with whatever else belongs to the same change).
   */
  transition(o: OrderSnapshot, to: OrderStatus, reason: string, stripeEventId?: string): boolean {
    if (o.status === to) return false;
    if (!canTransition(o.status, to)) {
      console.warn(
        JSON.stringify({
          msg: 'illegal order transition refused',
          orderId: o.id,
          from: o.status,
          to,
          reason,
          stripeEventId,
        }),
      );
      return false;
    }
    o.history.push({ from: o.status, to, at: Date.now(), reason, ...(stripeEventId ? { stripeEventId } : {}) });
    o.status = to;
    return true;
  }

  deleteOrder(id: string) {
    this.sql.exec('delete from orders where id = ?', id);
    this.sql.exec('delete from task where order_id = ?', id);
  }

  /** A task for later (or now); one per order and kind, so repeated requests coalesce. */
  addTask(orderId: string, kind: TaskKind, payload: unknown, dueAt: number) {
    this.sql.exec(
      `insert into task (order_id, kind, payload, due_at) values (?, ?, ?, ?)
       on conflict (order_id, kind) do update set payload = excluded.payload, due_at = min(task.due_at, excluded.due_at)`,
      orderId,
      kind,
      JSON.stringify(payload),
      dueAt,
    );
    void this.armAlarm();
  }

  private async armAlarm() {
    const next = this.sql.exec<{ due: number | null }>('select min(due_at) as due from task').one().due;
    if (next === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  recordCheckout(key: string, outcome: CheckoutOutcome) {
    this.sql.exec("update checkout set state = 'done', response = ? where key = ?", JSON.stringify(outcome), key);
  }

  /** Saves an order as it is, without a new version (bookkeeping that Postgres does not need). */
  persist(o: OrderSnapshot) {
    this.sql.exec('update orders set snapshot = ? where id = ?', JSON.stringify(o), o.id);
  }

  /**
   * A checkout that was not accepted. If Stripe was never called, nothing needs remembering: the order goes and
   * the key may be used again. If it was (an earlier attempt may have charged the card), the order stays as
   * `abandoned` so a late payment is found and refunded, and the key keeps this answer.
   */
  closeCheckout(key: string, orderId: string, outcome: CheckoutOutcome): CheckoutOutcome {
    const o = this.order(orderId);
    if (!o || o.payment.status === 'none') {
      this.sql.exec('delete from checkout where key = ?', key);
      this.deleteOrder(orderId);
      return outcome;
    }
    if (this.transition(o, 'abandoned', `not accepted: ${'error' in outcome ? outcome.error.code : 'closed'}`))
      this.saveOrder(o);
    this.recordCheckout(key, outcome);
    return outcome;
  }

  removeTask(orderId: string, kind: TaskKind) {
    this.sql.exec('delete from task where order_id = ? and kind = ?', orderId, kind);
  }

  markRetryable(key: string) {
    this.sql.exec("update checkout set state = 'retryable' where key = ?", key);
  }

  // ------------------------------------------------------------------------------------------------------
  // Concurrency

  async withOrderLock<T>(orderId: string, fn: () => Promise<T>): Promise<T> {
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
   * One checkout under an Idempotency-Key. Everything up to registering the key is synchronous, so of many
   * identical requests arriving at once exactly one starts the work and the others wait for its answer.
   */
  async checkout(call: CheckoutCall): Promise<CheckoutOutcome> {
    const row = this.sql
      .exec<{ request_hash: string; order_id: string; state: string; response: string | null }>(
        'select request_hash, order_id, state, response from checkout where key = ?',
        call.key,
      )
      .toArray()[0];
    if (row && row.request_hash !== call.requestHash) {
      return fail(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used for a different checkout request; use a new key for a new checkout.',
        422,
      );
    }
    if (row?.state === 'done' && row.response) return JSON.parse(row.response) as CheckoutOutcome;
    const running = this.inflight.get(call.key);
    if (running) return running;
    const orderId =
      row?.order_id ?? `ord_${Date.now().toString(36)}${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
    if (!row)
      this.sql.exec(
        "insert into checkout (key, request_hash, order_id, state, created_at) values (?, ?, ?, 'running', ?)",
        call.key,
        call.requestHash,
        orderId,
        Date.now(),
      );

    const run = this.checkoutChain
      .catch(() => {})
      .then(() => this.withOrderLock(orderId, () => this.runCheckout(call, orderId)));
    this.checkoutChain = run.catch(() => {});
    const answer = run.finally(() => this.inflight.delete(call.key));
    this.inflight.set(call.key, answer);
    return answer;
  }

  private async runCheckout(call: CheckoutCall, orderId: string): Promise<CheckoutOutcome> {
    try {
      return await placeOrder(this, this.env, call, orderId);
    } catch (err) {
      // An outage or a bug half way: the key keeps its order id so a retry resumes the same order (same holds,
      // same PaymentIntent), and the holds this attempt took are released until then.
      this.markRetryable(call.key);
      console.error(
        JSON.stringify({
          msg: 'checkout failed',
          orderId,
          error: String(err),
          stack: err instanceof Error ? err.stack : undefined,
        }),
      );
      const o = this.order(orderId);
      if (o?.status === 'created') await this.releaseHolds(o, 'checkout interrupted');
      const info = (err as { appError?: ErrorInfo }).appError;
      if (info) return { status: 503, error: info };
      return fail(
        'SERVICE_UNAVAILABLE',
        'The checkout could not be completed right now; retry with the same Idempotency-Key.',
        503,
        undefined,
        2,
      );
    }
  }

  /** Releases an order's holds now; if that fails, a task keeps trying. */
  async releaseHolds(o: OrderSnapshot, reason: string) {
    try {
      await releaseAll(
        this.env,
        o.id,
        o.lines.map((l) => l.sku),
        reason,
      );
    } catch (err) {
      console.warn(JSON.stringify({ msg: 'release failed; retrying later', orderId: o.id, error: String(err) }));
      this.addTask(o.id, 'release', { reason }, Date.now() + 1000);
    }
  }

  async listOrders(limit: number, cursor?: number): Promise<{ orders: OrderView[]; nextCursor: string | null }> {
    const rows = this.sql
      .exec<{ seq: number; snapshot: string }>(
        "select seq, snapshot from orders where status not in ('created', 'abandoned') and seq < ? order by seq desc limit ?",
        cursor ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return {
      orders: page.map((r) => orderView(JSON.parse(r.snapshot) as OrderSnapshot)),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
    };
  }

  async getOrder(id: string): Promise<OrderView | null> {
    const o = this.order(id);
    return o && isAccepted(o.status) ? orderView(o) : null;
  }

  /** A verified Stripe event about one of this shopper's orders: applied once, whatever order it arrives in. */
  async applyPaymentEvent(event: PaymentEvent): Promise<{ outcome: string }> {
    const seen = () =>
      this.sql.exec<{ outcome: string }>('select outcome from stripe_event where id = ?', event.id).toArray()[0];
    if (seen()) return { outcome: 'duplicate' };
    return this.withOrderLock(event.orderId, async () => {
      if (seen()) return { outcome: 'duplicate' };
      const outcome = await this.applyEventLocked(event);
      this.sql.exec(
        'insert into stripe_event (id, order_id, type, outcome, at) values (?, ?, ?, ?, ?)',
        event.id,
        event.orderId,
        event.type,
        outcome,
        Date.now(),
      );
      return { outcome };
    });
  }

  private async applyEventLocked(event: PaymentEvent): Promise<string> {
    const o = this.order(event.orderId);
    if (!o || (o.payment.intentId && o.payment.intentId !== event.intentId)) {
      // Money for no order we know (or a second intent for one): it goes back. A failure here fails the
      // webhook, so Stripe delivers it again.
      if (event.type !== 'payment_intent.succeeded') return o ? 'other_intent' : 'unknown_order';
      console.error(
        JSON.stringify({
          msg: 'payment for no known order; refunding',
          orderId: event.orderId,
          intentId: event.intentId,
        }),
      );
      await callStripe(this.env, (st) =>
        st.refunds.create({ payment_intent: event.intentId }, { idempotencyKey: `refund_${event.intentId}` }),
      );
      return 'refunded_unknown';
    }
    o.payment.intentId ??= event.intentId;
    switch (event.type) {
      case 'payment_intent.succeeded':
        return this.paymentSucceeded(o, `payment succeeded (${event.id})`, event.id);
      case 'payment_intent.payment_failed':
        if (o.status !== 'pending_payment') return this.ignored(o, event);
        this.transition(o, 'payment_failed', event.failureMessage ?? 'payment failed', event.id);
        o.payment.status = event.intentStatus;
        this.saveOrder(o);
        await this.releaseHolds(o, 'payment failed');
        return 'applied';
      case 'payment_intent.canceled':
        if (o.status !== 'pending_payment') return this.ignored(o, event);
        this.transition(o, 'canceled', 'payment canceled', event.id);
        o.payment.status = 'canceled';
        this.saveOrder(o);
        await this.releaseHolds(o, 'payment canceled');
        return 'applied';
      default:
        // requires_action, processing: the payment's own status, no order transition.
        if (o.status !== 'pending_payment') return 'ignored';
        o.payment.status = event.intentStatus;
        this.saveOrder(o);
        return 'applied';
    }
  }

  private ignored(o: OrderSnapshot, event: PaymentEvent): string {
    // Already where this event would take it (e.g. our own cancel at expiry coming back): nothing to refuse.
    const settled: Record<string, OrderStatus[]> = {
      'payment_intent.payment_failed': ['payment_failed'],
      'payment_intent.canceled': ['canceled', 'expired', 'abandoned'],
    };
    if (settled[event.type]?.includes(o.status)) return 'noop';
    console.warn(
      JSON.stringify({
        msg: 'payment event does not apply to the order; refused',
        orderId: o.id,
        status: o.status,
        event: event.type,
        eventId: event.id,
      }),
    );
    return 'ignored';
  }

  /** The money arrived: the holds become sold and the order paid; if the order had closed, the money goes back. */
  private async paymentSucceeded(o: OrderSnapshot, reason: string, eventId?: string): Promise<string> {
    if (o.status === 'paid' || o.status === 'refunded') return 'duplicate';
    if (o.status === 'pending_payment') {
      // Hold every line again first (a no-op for holds still active; a late payment may find some released), so
      // either every line is sold or none is.
      const held = await reserveAll(this.env, o.id, o.lines, o.owner.sub, o.holdExpiresAt);
      const { short } = held.ok
        ? await commitAll(
            this.env,
            o.id,
            o.lines.map((l) => l.sku),
          )
        : { short: held.items.map((i) => i.sku) };
      o.payment.status = 'succeeded';
      if (short.length === 0) {
        this.transition(o, 'paid', reason, eventId);
        this.saveOrder(o);
        return 'applied';
      }
      // Paid after the stock went back and sold out: the order cannot be filled.
      console.error(JSON.stringify({ msg: 'paid after stock was released and sold; refunding', orderId: o.id, short }));
      this.transition(o, 'expired', `paid too late: ${short.join(', ')} sold out`, eventId);
    } else if (o.status === 'created') {
      this.transition(o, 'abandoned', 'paid for a checkout that was never accepted', eventId);
    }
    o.payment.status = 'succeeded';
    this.saveOrder(o);
    this.addTask(o.id, 'refund', {}, Date.now());
    return 'refund';
  }

  // ------------------------------------------------------------------------------------------------------
  // Tasks and the alarm

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.prune(now);
    const due = this.sql
      .exec<TaskRow>(
        'select id, order_id, kind, payload, attempts from task where due_at <= ? order by due_at limit 50',
        now,
      )
      .toArray();
    for (const task of due) await this.withOrderLock(task.order_id, () => this.settle(task));
    await this.armAlarm();
  }

  /**
   * Storage does not grow without bound: Idempotency-Keys are answered for IDEMPOTENCY_RETENTION_MS (Stripe keeps
   * its keys 24 h), applied Stripe event ids are kept for EVENT_RETENTION_MS (Stripe retries for 3 days).
   * Orders are kept: they are the shopper's history.
   */
  private prune(now: number) {
    this.sql.exec("delete from checkout where state != 'running' and created_at < ?", now - IDEMPOTENCY_RETENTION_MS);
    this.sql.exec('delete from stripe_event where at < ?', now - EVENT_RETENTION_MS);
  }

  /** Runs the due tasks of one order now (after a checkout, so the common path does not wait for the alarm). */
  async runTasksNow(orderId: string) {
    const rows = this.sql
      .exec<TaskRow>(
        'select id, order_id, kind, payload, attempts from task where order_id = ? and due_at <= ?',
        orderId,
        Date.now(),
      )
      .toArray();
    for (const task of rows) await this.settle(task); // the caller holds the order's lock
    await this.armAlarm();
  }

  /** Runs a task once: done, it is deleted; failed, it is due again after a backoff that grows with attempts. */
  private async settle(task: TaskRow): Promise<void> {
    try {
      await this.runTask(task);
      this.sql.exec('delete from task where id = ?', task.id);
    } catch (err) {
      const delay = 1000 + backoffMs(task.attempts, 1000, 5 * 60_000);
      // Retried until it succeeds; from the tenth failure on (about half an hour) it is an error for ops.
      (task.attempts + 1 >= 10 ? console.error : console.warn)(
        JSON.stringify({
          msg: 'order task failed; retrying',
          task: task.kind,
          orderId: task.order_id,
          attempts: task.attempts + 1,
          delayMs: delay,
          error: String(err),
        }),
      );
      this.sql.exec(
        'update task set attempts = attempts + 1, due_at = ?, last_error = ? where id = ?',
        Date.now() + delay,
        String(err).slice(0, 500),
        task.id,
      );
    }
  }

  private async runTask(task: TaskRow): Promise<void> {
    const o = this.order(task.order_id);
    if (!o) return;
    const payload = JSON.parse(task.payload) as Record<string, unknown>;
    switch (task.kind) {
      case 'publish': {
        const message: OrdersQueueMessage = { type: 'order.snapshot', order: o };
        await withTimeout(this.env.ORDERS_QUEUE.send(message, { contentType: 'json' }), 5000, 'orders queue send');
        return;
      }
      case 'cart': {
        const who: Identity = { sub: o.owner.sub, role: o.owner.role as Identity['role'] };
        await withTimeout(
          this.env.CART.checkedOut(
            who,
            o.id,
            o.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
          ),
          5000,
          'cart checked out',
        );
        return;
      }
      case 'release':
        // Left over from an interrupted attempt: the holds now belong to a live order.
        if (o.status === 'pending_payment' || o.status === 'paid') return;
        await releaseAll(
          this.env,
          o.id,
          o.lines.map((l) => l.sku),
          String(payload.reason ?? 'released'),
        );
        return;
      case 'expire':
        await this.expire(o);
        return;
      case 'refund':
        await this.refund(o);
        return;
    }
  }

  /** The hold's time is up. Unpaid: cancel the PaymentIntent, release the stock, order `expired`. */
  private async expire(o: OrderSnapshot): Promise<void> {
    if (o.status === 'created') {
      // Never accepted (the checkout was interrupted and not retried): free the stock; the key keeps a final
      // answer, so a very late retry cannot start a second order (and a second PaymentIntent) under it.
      this.sql.exec(
        "update checkout set state = 'done', response = ? where order_id = ?",
        JSON.stringify(closedOutcome()),
        o.id,
      );
      this.transition(o, 'abandoned', 'checkout never completed');
      this.saveOrder(o);
      await releaseAll(
        this.env,
        o.id,
        o.lines.map((l) => l.sku),
        'abandoned',
      );
      return;
    }
    if (o.status !== 'pending_payment') return;
    if (o.payment.intentId) {
      const intentId = o.payment.intentId;
      try {
        await callStripe(this.env, (s) =>
          s.paymentIntents.cancel(intentId, { cancellation_reason: 'abandoned' }, { idempotencyKey: `cancel_${o.id}` }),
        );
      } catch (err) {
        if (isStripeOutage(err)) throw err;
        // Not cancelable: find out why. Paid in the meantime -> the order is paid after all.
        const intent = await callStripe(this.env, (s) => s.paymentIntents.retrieve(intentId));
        if (intent.status === 'succeeded') {
          await this.paymentSucceeded(o, 'payment found succeeded at hold expiry');
          return;
        }
        if (intent.status !== 'canceled') throw err;
      }
      o.payment.status = 'canceled';
    }
    this.transition(o, 'expired', 'hold expired before payment');
    this.saveOrder(o);
    await releaseAll(
      this.env,
      o.id,
      o.lines.map((l) => l.sku),
      'expired',
    );
  }

  private async refund(o: OrderSnapshot): Promise<void> {
    if (!o.payment.intentId || o.status === 'refunded') return;
    const intentId = o.payment.intentId;
    try {
      const refund = await callStripe(this.env, (s) =>
        s.refunds.create(
          { payment_intent: intentId, metadata: { orderId: o.id, owner: o.owner.sub } },
          { idempotencyKey: `refund_${o.id}` },
        ),
      );
      o.payment.refundedAmount = refund.amount;
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'charge_already_refunded'))
        throw err;
      o.payment.refundedAmount = o.payment.amount;
    }
    o.payment.status = 'refunded';
    this.transition(o, 'refunded', 'refunded: the order could not be filled');
    this.saveOrder(o);
  }
}
