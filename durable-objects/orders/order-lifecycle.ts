// What happens to an order after its checkout: Stripe's payment events (paid, failed, canceled, still needing
// the shopper), expiry of an unpaid hold, refunds of money that arrived for an order that cannot be filled, and
// the task outbox's kinds of work. Every method runs under the order's lock (OrdersDO.withOrderLock).
// A payment is taken only for the order's own amount and currency: any other is refused and flagged for ops.
import type { Identity } from '../../lib/auth/tokens';
import type { OrderSnapshot, OrderStatus } from '../../lib/checkout/order';
import { acceptedView } from '../../lib/checkout/view';
import type { PaymentEvent } from '../../lib/contracts/checkout';
import type { OrdersQueueMessage } from '../../lib/contracts/queue';
import { log } from '../../lib/log';
import { withTimeout } from '../../lib/resilience';
import { outgoingTrace, type Trace } from '../../lib/trace';
import { closedAnswer } from './checkout.saga';
import type { OrderBook } from './order-book';
import type { OrderPorts } from './ports';
import type { TaskOutbox, TaskRow, TaskRun } from './tasks';

const QUEUE_TIMEOUT_MS = 5000;
/** Unconfirmed copies are sent again after confirmMs, 2x, 4x, ... at most this many times confirmMs. */
const MAX_CONFIRM_FACTOR = 32;
/** From this many sends without a confirmation on, each new send is an error for ops. */
const LOUD_AFTER_SENDS = 3;

export class OrderLifecycle {
  constructor(
    private readonly book: OrderBook,
    private readonly tasks: TaskOutbox,
    private readonly ports: OrderPorts,
    private readonly queue: Queue<OrdersQueueMessage>,
    /** How long a copy sent to the Queue waits for the consumer's confirmation before it is sent again. */
    private readonly confirmMs: number,
    /** The holds' two bounds: an order's whole hold time, and each window the shopper gets to move the payment on. */
    private readonly holds: { ttlMs: number; actionTtlMs: number },
  ) {}

  /** Releases an order's holds now; if that fails, a task keeps trying. */
  async releaseHolds(o: OrderSnapshot, reason: string) {
    try {
      await this.ports.stock.releaseAll(o.id, skusOf(o), reason);
    } catch (err) {
      log.warn('release failed; retrying later', { orderId: o.id, error: String(err) });
      this.tasks.add(o.id, 'release', { reason }, Date.now() + 1000);
    }
  }

  /** A verified Stripe event about one of this shopper's orders; the outcome is recorded with the event id. */
  async applyPaymentEvent(event: PaymentEvent): Promise<string> {
    const o = this.book.order(event.orderId);
    if (!o || (o.payment.intentId && o.payment.intentId !== event.intentId)) {
      // Money for no order we know (or a second intent for one): it goes back. A failure here fails the
      // webhook, so Stripe delivers it again.
      if (event.type !== 'payment_intent.succeeded') return o ? 'other_intent' : 'unknown_order';
      log.error('payment for no known order; refunding', { orderId: event.orderId, intentId: event.intentId });
      await this.ports.payments.refund(event.intentId, `refund_${event.intentId}`);
      return 'refunded_unknown';
    }
    o.payment.intentId ??= event.intentId;
    switch (event.type) {
      case 'payment_intent.succeeded': {
        const mismatch = paymentMismatch(o, event.amountReceived, event.currency);
        if (mismatch) return this.refuseMismatch(o, mismatch, event.intentId, event.id);
        return this.paymentSucceeded(o, `payment succeeded (${event.id})`, event.id);
      }
      case 'payment_intent.payment_failed':
        if (o.status !== 'pending_payment') return this.ignored(o, event);
        this.book.transition(o, 'payment_failed', event.failureMessage ?? 'payment failed', event.id);
        o.payment.status = event.intentStatus;
        this.book.saveOrder(o);
        await this.releaseHolds(o, 'payment failed');
        return 'applied';
      case 'payment_intent.canceled':
        if (o.status !== 'pending_payment') return this.ignored(o, event);
        this.book.transition(o, 'canceled', 'payment canceled', event.id);
        o.payment.status = 'canceled';
        this.book.saveOrder(o);
        await this.releaseHolds(o, 'payment canceled');
        return 'applied';
      default:
        // requires_action, processing: the payment's own status, no order transition.
        if (o.status !== 'pending_payment') return 'ignored';
        if (PROGRESS.has(event.intentStatus)) this.extendHold(o);
        o.payment.status = event.intentStatus;
        this.book.saveOrder(o);
        return 'applied';
    }
  }

  /**
   * The payment moved on (the shopper came back from 3-D Secure and it is processing): the hold gets another
   * HOLD_ACTION_TTL_SECONDS from now, never past the order's whole hold time (HOLD_TTL_SECONDS from its creation,
   * which the stock objects' own backstop also allows). Only a new state does this: each event is applied once,
   * and asking again (a retried checkout, a repeated event) changes nothing.
   */
  private extendHold(o: OrderSnapshot) {
    const until = Math.min(o.createdAt + this.holds.ttlMs, Date.now() + this.holds.actionTtlMs);
    if (until <= o.holdExpiresAt) return;
    o.holdExpiresAt = until;
    // The expire task already due earlier finds the later expiry and waits for it (runTask, 'expire').
  }

  private ignored(o: OrderSnapshot, event: PaymentEvent): string {
    // Already where this event would take it (e.g. our own cancel at expiry coming back): nothing to refuse.
    const settled: Record<string, OrderStatus[]> = {
      'payment_intent.payment_failed': ['payment_failed'],
      'payment_intent.canceled': ['canceled', 'expired', 'abandoned'],
    };
    if (settled[event.type]?.includes(o.status)) return 'noop';
    log.warn('payment event does not apply to the order; refused', {
      orderId: o.id,
      status: o.status,
      event: event.type,
      eventId: event.id,
    });
    return 'ignored';
  }

  /**
   * A payment whose amount or currency is not the order's: never taken as paying it. The order keeps its status
   * (a genuine payment can still arrive), gets a flagged history entry (Postgres keeps it in order_events), and
   * the log line has a stable msg for alerting. No refund from here: the event may be forged, and a refund would
   * go to the real PaymentIntent.
   */
  private refuseMismatch(o: OrderSnapshot, mismatch: string, intentId: string, eventId?: string): string {
    log.error('payment amount does not match the order; refused', {
      orderId: o.id,
      intentId,
      status: o.status,
      mismatch,
      stripeEventId: eventId,
    });
    this.book.flag(o, `payment refused: ${mismatch}`, eventId);
    this.book.saveOrder(o);
    return 'refused_amount_mismatch';
  }

  /**
   * The money arrived: the holds become sold and the order paid. An order whose checkout was interrupted (a
   * payment provider timeout) while its key is still retryable and its hold time not over is accepted here, as
   * the retry would have; the key's answer becomes that accepted order. Only an order that cannot be filled
   * (closed, or its stock gone) has its money sent back.
   */
  private async paymentSucceeded(o: OrderSnapshot, reason: string, eventId?: string): Promise<string> {
    // Paid already (a fulfilled order was paid too): the same money reported again, never refunded for it.
    if (o.status === 'paid' || o.status === 'fulfilled' || o.status === 'refunded') return 'duplicate';
    const resumable = o.status === 'created' && this.book.checkoutRetryable(o.id) && Date.now() < o.holdExpiresAt;
    if (o.status === 'pending_payment' || resumable) {
      // Hold every line again first (a no-op for holds still active; a late payment may find some released), so
      // either every line is sold or none is.
      const held = await this.ports.stock.reserveAll(o.id, o.lines, o.owner.sub, o.holdExpiresAt);
      const { short } = held.ok
        ? await this.ports.stock.commitAll(o.id, skusOf(o))
        : { short: 'items' in held ? held.items.map((i) => i.sku) : skusOf(o) }; // (no NEEDS_CARD: no cardPending)
      o.payment.status = 'succeeded';
      if (short.length === 0) {
        const acceptedNow = this.book.transition(o, 'pending_payment', 'checkout accepted: its payment succeeded');
        this.book.transition(o, 'paid', reason, eventId);
        this.book.saveOrder(o);
        if (acceptedNow) {
          this.tasks.add(o.id, 'cart', {}, Date.now());
          this.book.recordAnswerOfOrder(o.id, { ok: true, accepted: acceptedView(o, null, null) });
        }
        return 'applied';
      }
      // Paid after the stock went back and sold out: the order cannot be filled.
      log.error('paid after stock was released and sold; refunding', { orderId: o.id, short });
      if (o.status === 'created') {
        this.book.transition(o, 'abandoned', `paid, but ${short.join(', ')} sold out`, eventId);
        this.book.recordAnswerOfOrder(o.id, closedAnswer());
        await this.releaseHolds(o, 'abandoned');
      } else this.book.transition(o, 'expired', `paid too late: ${short.join(', ')} sold out`, eventId);
    } else if (o.status === 'created') {
      this.book.transition(o, 'abandoned', 'paid for a checkout that was never accepted', eventId);
    }
    o.payment.status = 'succeeded';
    this.book.saveOrder(o);
    this.tasks.add(o.id, 'refund', {}, Date.now());
    return 'refund';
  }

  /** One task of the outbox, for the order it names (gone: nothing to do). */
  async runTask(task: TaskRow): Promise<TaskRun> {
    const o = this.book.order(task.order_id);
    if (!o) return;
    const payload = JSON.parse(task.payload) as Record<string, unknown>;
    switch (task.kind) {
      case 'publish': {
        if (task.attempts > 0) {
          (task.attempts >= LOUD_AFTER_SENDS ? log.error : log.warn)(
            'order copy not confirmed by the orders consumer; sending it again',
            { orderId: o.id, version: o.version, sends: task.attempts + 1 },
          );
        }
        const trace = (payload.trace as Trace | undefined) ?? outgoingTrace();
        await withTimeout(
          this.queue.send({ type: 'order.snapshot', order: o, ...(trace ? { trace } : {}) }, { contentType: 'json' }),
          QUEUE_TIMEOUT_MS,
          'orders queue send',
        );
        // Kept until the consumer confirms this version (OrdersDO.orderCopied); sent again if that never comes.
        return { recheckAt: Date.now() + this.confirmMs * Math.min(MAX_CONFIRM_FACTOR, 2 ** task.attempts) };
      }
      case 'cart': {
        const who: Identity = { sub: o.owner.sub, role: o.owner.role as Identity['role'] };
        await this.ports.cart.checkedOut(
          who,
          o.id,
          o.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        );
        return;
      }
      case 'release':
        // Left over from an interrupted attempt: the holds now belong to a live order.
        if (o.status === 'pending_payment' || o.status === 'paid' || o.status === 'fulfilled') return;
        await this.ports.stock.releaseAll(o.id, skusOf(o), String(payload.reason ?? 'released'));
        return;
      case 'expire':
        // Extended by progress since the task was set: due again at the new expiry.
        if (o.status === 'pending_payment' && Date.now() < o.holdExpiresAt) return { recheckAt: o.holdExpiresAt };
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
      this.book.recordAnswerOfOrder(o.id, closedAnswer());
      this.book.transition(o, 'abandoned', 'checkout never completed');
      this.book.saveOrder(o);
      await this.ports.stock.releaseAll(o.id, skusOf(o), 'abandoned');
      return;
    }
    if (o.status !== 'pending_payment') return;
    if (o.payment.intentId) {
      const intentId = o.payment.intentId;
      const canceled = await this.ports.payments.cancel(intentId, o.id);
      if (!canceled.ok) {
        // Not cancelable: find out why. Paid in the meantime -> the order is paid after all.
        const { status, amountReceived, currency } = await this.ports.payments.retrieve(intentId);
        const mismatch = status === 'succeeded' && paymentMismatch(o, amountReceived, currency);
        if (mismatch) {
          // Stripe itself says so (not a webhook): the money is real and the order cannot take it.
          this.refuseMismatch(o, mismatch, intentId);
          this.book.transition(o, 'expired', `paid a wrong amount: ${mismatch}`);
          o.payment.status = 'succeeded';
          this.book.saveOrder(o);
          await this.ports.stock.releaseAll(o.id, skusOf(o), 'expired');
          this.tasks.add(o.id, 'refund', {}, Date.now());
          return;
        }
        if (status === 'succeeded') {
          await this.paymentSucceeded(o, 'payment found succeeded at hold expiry');
          return;
        }
        if (status !== 'canceled')
          throw new Error(`PaymentIntent ${intentId} is ${status} and could not be canceled: ${canceled.message}`);
      }
      o.payment.status = 'canceled';
    }
    this.book.transition(o, 'expired', 'hold expired before payment');
    this.book.saveOrder(o);
    await this.ports.stock.releaseAll(o.id, skusOf(o), 'expired');
  }

  private async refund(o: OrderSnapshot): Promise<void> {
    if (!o.payment.intentId || o.status === 'refunded') return;
    const refund = await this.ports.payments.refund(o.payment.intentId, `refund_${o.id}`, {
      orderId: o.id,
      owner: o.owner.sub,
    });
    o.payment.refundedAmount = refund.ok ? refund.amount : o.payment.amount;
    o.payment.status = 'refunded';
    this.book.transition(o, 'refunded', 'refunded: the order could not be filled');
    this.book.saveOrder(o);
  }
}

const skusOf = (o: OrderSnapshot) => o.lines.map((l) => l.sku);

/** PaymentIntent states past the shopper's step (3-D Secure done), on the way to being paid. */
const PROGRESS = new Set(['processing', 'requires_capture']);

/** Why a payment of `amount` `currency` cannot pay the order, or null when it is exactly the order's total. */
function paymentMismatch(o: OrderSnapshot, amount: number, currency: string): string | null {
  const want = o.totals;
  if (amount === want.total && currency.toUpperCase() === want.currency.toUpperCase()) return null;
  return `received ${amount} ${currency.toUpperCase()}, the order is ${want.total} ${want.currency.toUpperCase()}`;
}
