// OrdersDO's storage, all synchronous: the shopper's orders (each change a new version, queued for Postgres
// through the task outbox), the Idempotency-Keys with the answer each one got, and the Stripe event ids applied.
// Status changes go through the state machine of lib/checkout/order.ts.
import { canTransition, isAccepted, type OrderSnapshot, type OrderStatus } from '../../lib/checkout/order';
import type { CheckoutResult } from '../../lib/contracts/checkout';
import { log } from '../../lib/log';
import { traceField } from '../../lib/trace';
import type { NoticeLog } from './notices';
import type { TaskOutbox } from './tasks';

/** Idempotency-Keys are answered for a week (Stripe keeps its keys 24 h). */
const IDEMPOTENCY_RETENTION_MS = 7 * 86_400_000;
/** Applied Stripe event ids are kept for a month (Stripe retries for 3 days). */
const EVENT_RETENTION_MS = 30 * 86_400_000;

/** A checkout under an Idempotency-Key: running, retryable (interrupted) or done with its stored answer. */
export interface KeyRow extends Record<string, SqlStorageValue> {
  request_hash: string;
  order_id: string;
  state: 'running' | 'retryable' | 'done';
  response: string | null;
}

export class OrderBook {
  private readonly sql: SqlStorage;

  constructor(
    storage: DurableObjectStorage,
    private readonly tasks: TaskOutbox,
    /** Set when the worker has the `notifications` Queue: an order change that calls for a notice gets its task. */
    private readonly notices?: NoticeLog,
    /** ORDER_PUBLISH_DELAY_MS: how long a version still waiting for its payment waits before it is sent. */
    private readonly publishDelayMs = 0,
  ) {
    this.sql = storage.sql;
  }

  migrate() {
    this.sql.exec(`
      create table if not exists checkout (key text primary key, request_hash text not null, order_id text not null,
        state text not null, response text, created_at integer not null);
      create table if not exists orders (seq integer primary key autoincrement, id text not null unique,
        status text not null, version integer not null, created_at integer not null, snapshot text not null);
      create table if not exists stripe_event (id text primary key, order_id text, type text not null,
        outcome text not null, at integer not null);
    `);
  }

  // ------------------------------------------------------------------------------------------------------
  // Orders

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
    // A version waiting for its payment waits publishDelayMs: the payment's version, due at once, then takes its
    // place in the same task (one per order and kind; the earlier due time wins), so a paid order is copied and
    // notified once. The copy carries the span of the change that first asked for it (the checkout's, when the
    // payment followed within the delay), even when the alarm sends it later.
    const due = Date.now() + (o.status === 'pending_payment' ? this.publishDelayMs : 0);
    if (isAccepted(o.status)) this.tasks.add(o.id, 'publish', traceField(), due, { keepPayload: true });
    if (this.notices?.pending(o).length) this.tasks.add(o.id, 'notify', {}, due);
  }

  /** A given-up `notify` task: the order's pending notices are not sent by a later change either. */
  giveUpNotices(o: OrderSnapshot) {
    this.notices?.giveUp(o);
  }

  /** Saves an order as it is, without a new version (bookkeeping that Postgres does not need). */
  persist(o: OrderSnapshot) {
    this.sql.exec('update orders set snapshot = ? where id = ?', JSON.stringify(o), o.id);
  }

  /**
   * The orders consumer has this version of the order in Postgres (or kept as a dead letter): the copy task can
   * go, unless the order has a newer version still to copy. Answers whether it went.
   */
  copied(id: string, version: number): boolean {
    const row = this.sql.exec<{ version: number }>('select version from orders where id = ?', id).toArray()[0];
    if (!row || row.version > version) return false;
    this.tasks.remove(id, 'publish');
    return true;
  }

  /** The versions this object has of `ids` (an order it lacks is absent). */
  versions(ids: string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const id of ids) {
      const row = this.sql.exec<{ version: number }>('select version from orders where id = ?', id).toArray()[0];
      if (row) out.set(id, row.version);
    }
    return out;
  }

  /**
   * Writes an order as its Postgres copy has it (a rebuild, rebuild.ts), at the copy's version and without queueing
   * a copy back (Postgres has it). Only for an order the object lacks or keeps at an older version.
   */
  restoreOrder(o: OrderSnapshot) {
    this.sql.exec(
      `insert into orders (id, status, version, created_at, snapshot) values (?, ?, ?, ?, ?)
       on conflict (id) do update set status = excluded.status, version = excluded.version, snapshot = excluded.snapshot
       where orders.version < excluded.version`,
      o.id,
      o.status,
      o.version,
      o.createdAt,
      JSON.stringify(o),
    );
  }

  deleteOrder(id: string) {
    this.sql.exec('delete from orders where id = ?', id);
    this.tasks.removeAll(id);
  }

  /**
   * Moves an order along the state machine; an illegal move is refused and logged, never applied. The caller
   * saves the order (together with whatever else belongs to the same change).
   */
  transition(o: OrderSnapshot, to: OrderStatus, reason: string, stripeEventId?: string): boolean {
    if (o.status === to) return false;
    if (!canTransition(o.status, to)) {
      log.warn('illegal order transition refused', { orderId: o.id, from: o.status, to, reason, stripeEventId });
      return false;
    }
    o.history.push({ from: o.status, to, at: Date.now(), reason, ...(stripeEventId ? { stripeEventId } : {}) });
    o.status = to;
    return true;
  }

  /**
   * A note for ops in the order's history, without a transition (from = to): e.g. a payment refused for its
   * amount. The caller saves the order, so the note reaches Postgres (order_events) with the next version.
   */
  flag(o: OrderSnapshot, reason: string, stripeEventId?: string) {
    o.history.push({
      from: o.status,
      to: o.status,
      at: Date.now(),
      reason,
      ...(stripeEventId ? { stripeEventId } : {}),
    });
  }

  /** A page of the orders the shopper sees, newest first; `before` is the cursor (a sequence number). */
  acceptedOrders(limit: number, before?: number): { orders: OrderSnapshot[]; nextCursor: string | null } {
    const rows = this.sql
      .exec<{ seq: number; snapshot: string }>(
        `select seq, snapshot from orders where status not in ('created', 'abandoned') and seq < ?
         order by seq desc limit ?`,
        before ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return {
      orders: page.map((r) => JSON.parse(r.snapshot) as OrderSnapshot),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
    };
  }

  /** Every order kept here, any status, oldest first (an export); `more`: there were more than `limit`. */
  allOrders(limit: number): { orders: OrderSnapshot[]; more: boolean } {
    const rows = this.sql
      .exec<{ snapshot: string }>('select snapshot from orders order by seq limit ?', limit + 1)
      .toArray();
    return {
      orders: rows.slice(0, limit).map((r) => JSON.parse(r.snapshot) as OrderSnapshot),
      more: rows.length > limit,
    };
  }

  // ------------------------------------------------------------------------------------------------------
  // Idempotency-Keys

  key(key: string): KeyRow | undefined {
    return this.sql
      .exec<KeyRow>('select request_hash, order_id, state, response from checkout where key = ?', key)
      .toArray()[0];
  }

  registerKey(key: string, requestHash: string, orderId: string) {
    this.sql.exec(
      "insert into checkout (key, request_hash, order_id, state, created_at) values (?, ?, ?, 'running', ?)",
      key,
      requestHash,
      orderId,
      Date.now(),
    );
  }

  /** The key's final answer: every replay of the key gets exactly this. */
  recordAnswer(key: string, answer: CheckoutResult) {
    this.sql.exec("update checkout set state = 'done', response = ? where key = ?", JSON.stringify(answer), key);
  }

  /** The final answer for every key of an order (the order was decided without a checkout running). */
  recordAnswerOfOrder(orderId: string, answer: CheckoutResult) {
    this.sql.exec(
      "update checkout set state = 'done', response = ? where order_id = ?",
      JSON.stringify(answer),
      orderId,
    );
  }

  /** Whether a key of the order can still resume it: interrupted (retryable) or never finished (running). */
  checkoutRetryable(orderId: string): boolean {
    return (
      this.sql
        .exec<{ n: number }>("select count(*) as n from checkout where order_id = ? and state != 'done'", orderId)
        .one().n > 0
    );
  }

  /** Interrupted: a retry with the key resumes the same order. */
  markRetryable(key: string) {
    this.sql.exec("update checkout set state = 'retryable' where key = ?", key);
  }

  /** Nothing to remember: the key may be used again. */
  forgetKey(key: string) {
    this.sql.exec('delete from checkout where key = ?', key);
  }

  // ------------------------------------------------------------------------------------------------------
  // Stripe events

  eventOutcome(id: string): string | undefined {
    return this.sql.exec<{ outcome: string }>('select outcome from stripe_event where id = ?', id).toArray()[0]
      ?.outcome;
  }

  recordEvent(id: string, orderId: string, type: string, outcome: string) {
    this.sql.exec(
      'insert into stripe_event (id, order_id, type, outcome, at) values (?, ?, ?, ?, ?)',
      id,
      orderId,
      type,
      outcome,
      Date.now(),
    );
  }

  /** Storage stays bounded: old keys and event ids go; orders are kept (they are the shopper's history). */
  prune(now: number) {
    this.sql.exec("delete from checkout where state != 'running' and created_at < ?", now - IDEMPOTENCY_RETENTION_MS);
    this.sql.exec('delete from stripe_event where at < ?', now - EVENT_RETENTION_MS);
  }
}
