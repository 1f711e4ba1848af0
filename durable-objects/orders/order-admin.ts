// What a merchant does to an order after its checkout, run by the order's OrdersDO under the order's lock: cancel
// an unpaid order (its PaymentIntent canceled, its holds released), refund all or part of a paid one (Stripe
// refunds sent by the order's `refunds` task, optionally restocked), mark it fulfilled with a carrier and tracking
// number; Stripe's refund events applied to it; and giving up a stuck task. Each decision is one synchronous
// check-and-write on the order, so two requests at once (two refunds) are decided one after the other and can
// never together refund more than was paid.
import type { AdminOrder } from '../../lib/checkout/admin-schemas';
import { isAccepted, type OrderSnapshot, type RefundRecord } from '../../lib/checkout/order';
import {
  assertRefundWindowOpen,
  planRefund,
  refundableAmount,
  settleRefunds,
  storeRefunded,
} from '../../lib/checkout/refunds';
import { adminOrderView, refundView } from '../../lib/checkout/view';
import type { CancelCall, FulfilCall, OrderActor, RefundCall, RefundEvent } from '../../lib/contracts/admin-orders';
import { AppError } from '../../lib/errors';
import { log } from '../../lib/log';
import type { OrderBook } from './order-book';
import type { OrderLifecycle } from './order-lifecycle';
import type { OrderPorts } from './ports';
import type { TaskOutbox, TaskRow, TaskRun } from './tasks';

const notFound = () => new AppError('NOT_FOUND', 'No such order.');
const by = (a: OrderActor) => `${a.role} ${a.sub}`;

/** Stripe's refund statuses as a refund of ours records them. */
function refundStatus(stripe: string): RefundRecord['status'] {
  if (stripe === 'succeeded') return 'succeeded';
  if (stripe === 'failed' || stripe === 'canceled') return 'failed';
  return 'pending';
}

export class MerchantOrders {
  constructor(
    private readonly book: OrderBook,
    private readonly tasks: TaskOutbox,
    private readonly ports: OrderPorts,
    private readonly lifecycle: OrderLifecycle,
    /** ARCHIVE_REFUND_WINDOW_DAYS: past it an order is closed (no refund, no new tracking number). */
    private readonly refundWindowDays: number,
  ) {}

  /** An order the shopper was shown; never-accepted ones do not exist for the merchant either. */
  order(id: string): OrderSnapshot {
    const o = this.book.order(id);
    if (!o || !isAccepted(o.status)) throw notFound();
    return o;
  }

  view(id: string): AdminOrder {
    return adminOrderView(this.order(id));
  }

  /**
   * Cancels an order still waiting for its payment: the PaymentIntent is canceled first, so a payment can no
   * longer land, then the holds go back. An order paid meanwhile is refused (refund it instead). Canceling a
   * canceled order again changes nothing.
   */
  async cancel(call: CancelCall): Promise<AdminOrder> {
    const o = this.order(call.orderId);
    if (o.status === 'canceled') return adminOrderView(o);
    if (o.status !== 'pending_payment') {
      throw new AppError(
        'ORDER_STATE_CONFLICT',
        `Only an unpaid order can be canceled; this one is ${o.status}${o.status === 'paid' ? ' (refund it instead)' : ''}.`,
        { details: { status: o.status } },
      );
    }
    if (o.payment.intentId) {
      const canceled = await providerCall(() => this.ports.payments.cancel(o.payment.intentId!, o.id));
      if (!canceled.ok) {
        const { status } = await providerCall(() => this.ports.payments.retrieve(o.payment.intentId!));
        if (status !== 'canceled') {
          // Succeeded (its webhook will pay the order) or processing: no longer the merchant's to cancel.
          throw new AppError(
            'ORDER_STATE_CONFLICT',
            `The payment can no longer be canceled: Stripe says it is ${status}.`,
            { details: { status: o.status, paymentStatus: status } },
          );
        }
      }
      o.payment.status = 'canceled';
    }
    const reason = call.body.reason ? `: ${call.body.reason}` : '';
    this.book.transition(o, 'canceled', `canceled by ${by(call.actor)}${reason}`);
    this.book.saveOrder(o);
    await this.lifecycle.releaseHolds(o, 'canceled by the merchant');
    return adminOrderView(o);
  }

  /**
   * Marks a paid order fulfilled with its carrier and tracking number; on a fulfilled order, a different carrier
   * or tracking number replaces the old one (noted in the history), the same one changes nothing.
   */
  fulfil(call: FulfilCall): AdminOrder {
    const o = this.order(call.orderId);
    const { carrier, trackingNumber } = call.body;
    if (o.status !== 'paid' && o.status !== 'fulfilled') {
      throw new AppError('ORDER_STATE_CONFLICT', `Only a paid order can be fulfilled; this one is ${o.status}.`, {
        details: { status: o.status },
      });
    }
    const inFlight = (o.refunds ?? []).filter((r) => r.status === 'requested' || r.status === 'pending');
    if (o.status === 'paid' && inFlight.length && refundableAmount(o) === 0) {
      // Everything paid is being given back: shipping it now would give the goods away too.
      throw new AppError(
        'ORDER_STATE_CONFLICT',
        'The whole payment is being refunded; this order cannot be fulfilled.',
        {
          details: { status: o.status, refunds: inFlight.map((r) => r.id) },
        },
      );
    }
    const same = o.fulfillment?.carrier === carrier && o.fulfillment.trackingNumber === trackingNumber;
    if (o.status === 'fulfilled' && same) return adminOrderView(o);
    if (o.status === 'fulfilled') assertRefundWindowOpen(o, Date.now(), this.refundWindowDays, 'a new tracking number');
    const shipped = `${carrier} ${trackingNumber}`;
    if (o.status === 'fulfilled') this.book.flag(o, `tracking changed by ${by(call.actor)}: ${shipped}`);
    else this.book.transition(o, 'fulfilled', `fulfilled by ${by(call.actor)}: ${shipped}`);
    o.fulfillment = { carrier, trackingNumber, at: Date.now(), by: call.actor };
    this.book.saveOrder(o);
    return adminOrderView(o);
  }

  /**
   * Records a refund under the merchant's Idempotency-Key, or answers the one the key already made (another body
   * with the same key is refused). Recording is synchronous: the amount is checked against what is left and
   * reserved at once. The caller then runs the order's tasks, which send it to Stripe.
   */
  recordRefund(call: RefundCall): { refund: RefundRecord; created: boolean } {
    const o = this.order(call.orderId);
    const earlier = o.refunds?.find((r) => r.key === call.key);
    if (earlier) {
      if (earlier.requestHash !== call.requestHash) {
        throw new AppError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used for a different refund of this order; use a new key.',
        );
      }
      return { refund: earlier, created: false };
    }
    assertRefundWindowOpen(o, Date.now(), this.refundWindowDays, 'a refund');
    const plan = planRefund(o, call.body);
    const now = Date.now();
    const refund: RefundRecord = {
      id: `re_${now.toString(36)}${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`,
      amount: plan.amount,
      status: 'requested',
      lines: plan.lines,
      restock: plan.restock,
      ...(call.body.reason ? { reason: call.body.reason } : {}),
      key: call.key,
      requestHash: call.requestHash,
      by: call.actor,
      createdAt: now,
      updatedAt: now,
    };
    o.refunds = [...(o.refunds ?? []), refund];
    this.book.flag(o, `refund ${refund.id} of ${refund.amount} requested by ${by(call.actor)}`);
    this.book.saveOrder(o);
    this.tasks.add(o.id, 'refunds', {}, now);
    return { refund, created: true };
  }

  refundAnswer(orderId: string, refundId: string) {
    const o = this.order(orderId);
    const r = o.refunds!.find((x) => x.id === refundId)!;
    return { refund: refundView(r, o.totals.currency), order: adminOrderView(o) };
  }

  /**
   * The `refunds` task: sends every requested refund to Stripe (its idempotency key is the refund id, so a retry
   * never refunds twice), then restocks the lines of succeeded refunds that ask for it. Progress is saved refund
   * by refund, so a failure halfway keeps what was done. Stripe refusing a refund fails the task, once the other
   * refunds were sent and the restocks made: it stays, is retried with backoff and shows in the admin's stuck tasks
   * until it succeeds or an admin gives it up.
   */
  async runRefunds(task: TaskRow): Promise<TaskRun> {
    const o = this.book.order(task.order_id);
    if (!o?.refunds || !o.payment.intentId) return;
    // A refusal fails the task, but only after the others were sent and restocks made: one disputed refund must not
    // hold back the rest.
    const refusals: string[] = [];
    for (const r of o.refunds.filter((x) => x.status === 'requested')) {
      // Saved before the send: if it never answers, a give-up must not fail a refund Stripe may have made.
      r.lastAttempt = 'unanswered';
      this.book.persist(o);
      const result = await this.ports.payments.refund(
        o.payment.intentId,
        r.refusals ? `refund_${r.id}_${r.refusals}` : `refund_${r.id}`,
        { orderId: o.id, owner: o.owner.sub, refundId: r.id },
        r.amount,
      );
      if (!result.ok && result.reason === 'REFUSED') {
        r.failure = `Stripe refused: ${result.message}`;
        r.refusals = (r.refusals ?? 0) + 1;
        r.lastAttempt = 'refused';
        r.updatedAt = Date.now();
        this.book.persist(o);
        refusals.push(`refund ${r.id} refused by Stripe (${result.code ?? 'no code'}): ${result.message}`);
        continue;
      }
      delete r.lastAttempt;
      if (result.ok) {
        r.stripeRefundId = result.id;
        r.status = refundStatus(result.status);
        delete r.failure;
      } else {
        r.status = 'failed';
        r.failure = 'the charge was already refunded in full';
      }
      r.updatedAt = Date.now();
      this.settle(o, `refund ${r.id}: ${r.status}`);
    }
    for (const r of o.refunds.filter((x) => x.status === 'succeeded' && x.restock && !x.restockedAt)) {
      if (r.lines.length > 0) await this.ports.stock.restockAll(r.id, o.id, r.lines);
      r.restockedAt = Date.now();
      this.settle(o);
    }
    if (refusals.length) throw new Error(refusals.join('; '));
  }

  /** Saves the order after a refund changed: its refunded figure, and `refunded` once it is all given back. */
  private settle(o: OrderSnapshot, note?: string) {
    if (note) this.book.flag(o, note);
    if (settleRefunds(o) && this.book.transition(o, 'refunded', 'refunded in full')) o.payment.status = 'refunded';
    this.book.saveOrder(o);
  }

  /**
   * A verified refund event: the refund it names takes Stripe's status (a refund whose API answer was lost is
   * known from here), a succeeded one with restock gets its task; charge.refunded brings the charge's refunded
   * total, which also covers refunds made outside the store (the dashboard).
   */
  applyRefundEvent(e: RefundEvent): string {
    const o = this.book.order(e.orderId);
    if (!o || !isAccepted(o.status)) return 'unknown_order';
    if (e.intentId && o.payment.intentId && e.intentId !== o.payment.intentId) return 'other_intent';
    // The automatic refund of an order that could not be filled is its lifecycle's (it ends `refunded` there).
    if (o.status !== 'paid' && o.status !== 'fulfilled' && !o.refunds?.length) return 'not_merchant';
    if (e.amountRefunded !== undefined) {
      const at = o.payment.reportedRefundedAt;
      // Older than what the figure reflects (a later charge.refunded, or a refund failing since): out of date.
      if (e.created !== undefined && at !== undefined && e.created < at) return 'stale';
      if (e.amountRefunded <= (o.payment.reportedRefunded ?? 0)) return 'noop';
      // What the charge's total has beyond the store's own refunds was refunded outside it (the dashboard).
      const outside = (reported: number) => Math.max(0, reported - storeRefunded(o));
      const outsideBefore = outside(o.payment.reportedRefunded ?? 0);
      o.payment.reportedRefunded = Math.min(e.amountRefunded, o.payment.amount);
      const added = outside(o.payment.reportedRefunded) - outsideBefore;
      if (added > 0) {
        const refundedAt = e.created !== undefined ? e.created * 1000 : Date.now();
        o.payment.outsideRefunds = [...(o.payment.outsideRefunds ?? []), { id: e.id, amount: added, at: refundedAt }];
      }
      if (e.created !== undefined) o.payment.reportedRefundedAt = Math.max(at ?? 0, e.created);
      this.settle(o, `Stripe reports ${e.amountRefunded} refunded (${e.id})`);
      return 'applied';
    }
    const ev = e.refund!;
    const r = o.refunds?.find(
      (x) => x.id === ev.refundId || (x.stripeRefundId !== undefined && x.stripeRefundId === ev.stripeRefundId),
    );
    if (!r) return 'not_ours';
    const status = refundStatus(ev.status);
    // A late `pending` after the refund ended changes nothing; a succeeded refund may still fail (as at Stripe).
    if (r.status === status || (status === 'pending' && (r.status === 'succeeded' || r.status === 'failed')))
      return 'noop';
    if (status === 'failed') {
      if (r.status === 'succeeded' && o.payment.reportedRefunded)
        o.payment.reportedRefunded = Math.max(0, o.payment.reportedRefunded - r.amount);
      // A charge.refunded made before this failure still counts the refund (Stripe counts pending refunds too):
      // arriving late, it must not bring it back.
      if (e.created !== undefined)
        o.payment.reportedRefundedAt = Math.max(o.payment.reportedRefundedAt ?? 0, e.created + 0.5);
    }
    r.status = status;
    r.stripeRefundId = ev.stripeRefundId;
    if (ev.failureReason) r.failure = ev.failureReason;
    r.updatedAt = Date.now();
    if (status === 'succeeded' && r.restock && !r.restockedAt) this.tasks.add(o.id, 'refunds', {}, Date.now());
    this.settle(o, `refund ${r.id}: ${status} (${e.id})`);
    return 'applied';
  }

  /**
   * An admin gives up a stuck task. Merchant refunds still only requested become failed (nothing left Stripe), a
   * closed order's automatic refund and a cart or hold release are dropped, a notify task's notices count as
   * handled (a later change does not send them); the order's history says who did it.
   * Copies to Postgres and expiry are never given up: the order would be wrong in Postgres or stuck unpaid.
   */
  giveUp(task: TaskRow, actor: OrderActor) {
    if (task.kind === 'publish' || task.kind === 'expire') {
      throw new AppError(
        'ORDER_STATE_CONFLICT',
        `A ${task.kind} task cannot be given up: the order needs it; retry it once the cause is fixed.`,
      );
    }
    const o = this.book.order(task.order_id);
    const unknown = task.kind === 'refunds' ? (o?.refunds ?? []).filter(isUnanswered).map((r) => r.id) : [];
    if (unknown.length) {
      throw new AppError(
        'ORDER_STATE_CONFLICT',
        `Stripe never answered the last send of ${unknown.join(', ')}: it may have refunded. Retry the task ` +
          'once Stripe answers (the same idempotency key gets its answer); it cannot be given up.',
        { details: { refunds: unknown } },
      );
    }
    if (o) {
      if (task.kind === 'refunds') {
        for (const r of o.refunds ?? []) {
          if (r.status !== 'requested') continue;
          r.status = 'failed';
          r.failure = `given up by ${by(actor)}${r.failure ? ` after: ${r.failure}` : ''}`;
          r.updatedAt = Date.now();
        }
      }
      if (task.kind === 'notify') this.book.giveUpNotices(o);
      this.book.flag(o, `${task.kind} task given up by ${by(actor)} after ${task.attempts} attempts`);
      if (isAccepted(o.status)) this.settle(o);
      else this.book.persist(o);
    }
    this.tasks.remove(task.order_id, task.kind);
    log.warn('order task given up by an admin', { orderId: task.order_id, task: task.kind, by: by(actor) });
  }
}

/** A requested refund whose last send to Stripe never answered: Stripe may hold it, so it cannot be failed here. */
const isUnanswered = (r: RefundRecord) => r.status === 'requested' && r.lastAttempt === 'unanswered';

/** A call to Stripe a merchant waits for: an outage is a 503 that names the provider, not a 500. */
async function providerCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('PAYMENT_PROVIDER_UNAVAILABLE', 'The payment provider is not answering; try again.', {
      retryAfter: 2,
      cause: err,
    });
  }
}
