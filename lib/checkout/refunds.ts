// Refund accounting for merchant refunds, pure: what an order has paid, what is already refunded or on its way
// back, what is left, and whether a new refund request fits. OrdersDO decides a refund with these inside one
// synchronous stretch under the order's lock, so concurrent requests can never together refund more than was paid.
import { AppError } from '../errors';
import { CLOSED_AFTER_WINDOW_STATUSES, type OrderSnapshot, type RefundRecord, refundWindowClosed } from './order';

/** Statuses a merchant refund applies to: paid, and not refunded in full yet. */
const REFUNDABLE = new Set(['paid', 'fulfilled']);

/**
 * Refuses a change the refund window no longer allows (a refund, a new tracking number): past it the order is
 * closed, and may already be archived (docs/runbook.md#archival).
 */
export function assertRefundWindowOpen(o: OrderSnapshot, now: number, windowDays: number, what: string) {
  // Only an order that is closed after the window (fulfilled, failed, canceled, expired) is refused: a `paid` order
  // not yet fulfilled stays hot and can always be refunded (it cannot be canceled: refunding is the way out).
  if (!CLOSED_AFTER_WINDOW_STATUSES.includes(o.status) || !refundWindowClosed(o, now, windowDays)) return;
  throw new AppError(
    'ORDER_STATE_CONFLICT',
    `The order's ${windowDays}-day refund window has passed: it is closed, so ${what} is no longer possible.`,
    { details: { status: o.status, refundWindowDays: windowDays } },
  );
}

/** What the order's payment brought in that may still be refunded from, in minor units. */
export const paidAmount = (o: OrderSnapshot) => (REFUNDABLE.has(o.status) ? o.payment.amount : 0);

const sum = (rs: RefundRecord[]) => rs.reduce((n, r) => n + r.amount, 0);
const refundsOf = (o: OrderSnapshot) => o.refunds ?? [];

/** Refunded for certain: our succeeded refunds, or what Stripe reported (charge.refunded), whichever is more. */
export function refundedAmount(o: OrderSnapshot): number {
  return Math.max(o.payment.reportedRefunded ?? 0, sum(refundsOf(o).filter((r) => r.status === 'succeeded')));
}

/** The store's own refunds that did not fail (requested, pending at Stripe or succeeded): Stripe counts them all. */
export const storeRefunded = (o: OrderSnapshot) => sum(refundsOf(o).filter((r) => r.status !== 'failed'));

/** Refunded, plus refunds still on their way (requested or pending at Stripe): none of it can be refunded again. */
export function committedAmount(o: OrderSnapshot): number {
  return refundedAmount(o) + sum(refundsOf(o).filter((r) => r.status === 'requested' || r.status === 'pending'));
}

/** What a new refund may still give back. */
export const refundableAmount = (o: OrderSnapshot) => Math.max(0, paidAmount(o) - committedAmount(o));

/** Units of each SKU already named by earlier refunds that did not fail. */
function unitsRefunded(o: OrderSnapshot): Map<string, number> {
  const units = new Map<string, number>();
  for (const r of refundsOf(o)) {
    if (r.status === 'failed') continue;
    for (const l of r.lines) units.set(l.sku, (units.get(l.sku) ?? 0) + l.quantity);
  }
  return units;
}

export interface RefundRequest {
  amount?: number;
  lines?: { sku: string; quantity: number }[];
  restock?: boolean;
  reason?: string;
}

/**
 * The refund a request asks for, checked against the order: its amount (given; else the value of the lines
 * named; else everything left), its lines (each one of the order's, never more units than were bought and not
 * refunded yet), and whether they go back on hand. `restock` without lines restocks every unit not named by an
 * earlier refund. Throws a 409 naming the problem when the order cannot be refunded so.
 */
export function planRefund(
  o: OrderSnapshot,
  req: RefundRequest,
): { amount: number; lines: { sku: string; quantity: number }[]; restock: boolean } {
  if (o.status !== 'paid' && o.status !== 'fulfilled') {
    throw new AppError('ORDER_STATE_CONFLICT', `Only a paid order can be refunded; this one is ${o.status}.`, {
      details: { status: o.status },
    });
  }
  const already = unitsRefunded(o);
  const ordered = new Map(o.lines.map((l) => [l.sku, l]));
  const seen = new Set<string>();
  for (const l of req.lines ?? []) {
    const line = ordered.get(l.sku);
    if (!line) throw new AppError('VALIDATION_FAILED', `Invalid body: lines: ${l.sku} is not a line of this order.`);
    if (seen.has(l.sku)) throw new AppError('VALIDATION_FAILED', `Invalid body: lines: ${l.sku} is named twice.`);
    seen.add(l.sku);
    const left = line.quantity - (already.get(l.sku) ?? 0);
    if (l.quantity > left) {
      throw new AppError(
        'REFUND_EXCEEDS_PAID',
        `Only ${left} unit(s) of ${l.sku} are left to refund (${line.quantity} bought).`,
        { details: { sku: l.sku, requested: l.quantity, left } },
      );
    }
  }
  const lines =
    req.lines ??
    (req.restock
      ? o.lines
          .map((l) => ({ sku: l.sku, quantity: l.quantity - (already.get(l.sku) ?? 0) }))
          .filter((l) => l.quantity > 0)
      : []);
  const refundable = refundableAmount(o);
  const linesValue = lines.reduce((n, l) => n + l.quantity * (ordered.get(l.sku)?.unitAmount ?? 0), 0);
  const amount = req.amount ?? (req.lines ? Math.min(linesValue, refundable) : refundable);
  if (refundable === 0 || amount > refundable) {
    throw new AppError(
      'REFUND_EXCEEDS_PAID',
      refundable === 0
        ? 'Nothing is left to refund on this order.'
        : `The refund (${amount}) is more than what is left to refund (${refundable} ${o.totals.currency}).`,
      { details: { requested: amount, refundable, paid: paidAmount(o), currency: o.totals.currency } },
    );
  }
  if (amount < 1) throw new AppError('VALIDATION_FAILED', 'Invalid body: amount: the refund must be at least 1.');
  return { amount, lines, restock: req.restock ?? false };
}

/**
 * After any change to the refunds: the payment's refunded figure, and the order `refunded` once the refunds add up
 * to the whole payment. Answers whether the order became refunded (the caller moves it through the state machine).
 */
export function settleRefunds(o: OrderSnapshot): boolean {
  o.payment.refundedAmount = refundedAmount(o);
  return (o.status === 'paid' || o.status === 'fulfilled') && o.payment.refundedAmount >= o.payment.amount;
}
