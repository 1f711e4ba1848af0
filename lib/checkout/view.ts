// What a shopper sees of an order: the API's view of the snapshot that OrdersDO keeps. The snapshot is storage
// (integers, epoch milliseconds); the view is the public contract (ISO 8601 times, money as {amount, currency}).
import type { Money } from '../catalog/schemas';
import type { AdminOrder } from './admin-schemas';
import type { OrderSnapshot, OrderTotals, RefundRecord } from './order';
import { refundableAmount } from './refunds';
import type { CheckoutAccepted, OrderView } from './schemas';

/** Epoch milliseconds as ISO 8601 UTC. */
export const isoTime = (ms: number) => new Date(ms).toISOString();

const money = (amount: number, currency: string): Money => ({ amount, currency });

/** Stored totals (integers beside one currency) as the API shows them: every amount with its currency. */
function totalsView(t: OrderTotals): OrderView['totals'] {
  return {
    subtotal: money(t.subtotal, t.currency),
    shipping: money(t.shipping, t.currency),
    tax: money(t.tax, t.currency),
    total: money(t.total, t.currency),
    taxRateBps: t.taxRateBps,
  };
}

export function orderView(o: OrderSnapshot): OrderView {
  return {
    id: o.id,
    status: o.status,
    email: o.owner.email,
    lines: o.lines.map((l) => ({
      sku: l.sku,
      title: l.title,
      quantity: l.quantity,
      unitPrice: money(l.unitAmount, o.totals.currency),
      lineTotal: money(l.lineTotal, o.totals.currency),
    })),
    totals: totalsView(o.totals),
    shippingAddress: o.shippingAddress as OrderView['shippingAddress'],
    shippingMethod: o.shippingMethod,
    payment: {
      provider: o.payment.provider,
      paymentIntentId: o.payment.intentId,
      status: o.payment.status,
      amount: money(o.payment.amount, o.totals.currency),
      refunded: money(o.payment.refundedAmount, o.totals.currency),
    },
    holdExpiresAt: isoTime(o.holdExpiresAt),
    createdAt: isoTime(o.createdAt),
    updatedAt: isoTime(o.updatedAt),
    history: o.history.map((h) => ({ from: h.from, to: h.to, at: isoTime(h.at), reason: h.reason })),
  };
}

/** The body of a 202 from POST /v1/checkout. */
export function acceptedView(
  o: OrderSnapshot,
  clientSecret: string | null,
  nextAction: { type: string; url: string | null } | null,
): CheckoutAccepted {
  return {
    orderId: o.id,
    status: o.status,
    payment: {
      provider: 'stripe',
      paymentIntentId: o.payment.intentId,
      status: o.payment.status,
      clientSecret,
      nextAction,
    },
    totals: totalsView(o.totals),
    holdExpiresAt: isoTime(o.holdExpiresAt),
  };
}

export function refundView(r: RefundRecord, currency: string): AdminOrder['refunds'][number] {
  return {
    id: r.id,
    amount: money(r.amount, currency),
    status: r.status,
    lines: r.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
    restock: r.restock,
    restockedAt: r.restockedAt === undefined ? null : isoTime(r.restockedAt),
    reason: r.reason ?? null,
    stripeRefundId: r.stripeRefundId ?? null,
    failure: r.failure ?? null,
    createdAt: isoTime(r.createdAt),
    updatedAt: isoTime(r.updatedAt),
  };
}

/** What a merchant sees of an order: the shopper's view, its owner, refunds, what is left to refund, fulfilment. */
export function adminOrderView(o: OrderSnapshot): AdminOrder {
  const currency = o.totals.currency;
  const f = o.fulfillment;
  return {
    ...orderView(o),
    customerId: o.owner.role === 'guest' ? null : o.owner.sub,
    refunds: (o.refunds ?? []).map((r) => refundView(r, currency)),
    refundable: money(refundableAmount(o), currency),
    fulfillment: f ? { carrier: f.carrier, trackingNumber: f.trackingNumber, fulfilledAt: isoTime(f.at) } : null,
  };
}
