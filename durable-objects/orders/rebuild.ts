// Rebuilding a shopper's OrdersDO from Postgres (docs/runbook.md#rebuilding-an-ordersdo-from-postgres), the pure part:
// an order snapshot made from its Postgres copy (orders, order_lines, payments, order_events: what the orders
// consumer wrote from the object's versioned sends), and the plan: an order the object lacks, or keeps at an older
// version than its copy, is restored from the copy; one the object has at the copy's version or newer is kept
// (never overwritten: the object is the truth, a copy only ever trails it); the object's orders Postgres does not
// have are left alone. Applied by OrdersDO.restoreOrders, one synchronous check-and-write per order, so a second
// rebuild restores nothing (idempotent) and a change made in between is never undone.
import { ORDER_STATUSES, type OrderSnapshot, type OrderStatus, type RefundRecord } from '../../lib/checkout/order';

/** A copy's rows, times in ms since the epoch (as rebuild.client.ts reads them). */
export interface OrderCopyRows {
  order: Record<string, unknown>;
  lines: Record<string, unknown>[];
  payment: Record<string, unknown> | null;
  events: Record<string, unknown>[];
}

const status = (s: unknown): OrderStatus => {
  if (!ORDER_STATUSES.includes(s as OrderStatus)) throw new Error(`unknown order status ${String(s)}`);
  return s as OrderStatus;
};

/**
 * The snapshot Postgres' copy stands for. Postgres has no refund records or fulfilment (carrier, tracking): a
 * restored order has neither (what was refunded is in its payment), as `GET /v1/admin/orders/{id}` shows it.
 */
export function snapshotFromCopy(r: OrderCopyRows): OrderSnapshot {
  const o = r.order;
  const p = r.payment;
  return {
    id: String(o.id),
    version: Number(o.version),
    owner: { sub: String(o.owner_sub), role: String(o.owner_role), email: String(o.email) },
    status: status(o.status),
    lines: r.lines.map((l) => ({
      sku: String(l.sku),
      title: String(l.title),
      quantity: Number(l.quantity),
      unitAmount: Number(l.unit_amount),
      lineTotal: Number(l.line_total),
    })),
    totals: {
      subtotal: Number(o.subtotal),
      shipping: Number(o.shipping),
      tax: Number(o.tax),
      total: Number(o.total),
      currency: String(o.currency),
      taxRateBps: Number(o.tax_rate_bps),
    },
    shippingAddress: o.shipping_address as OrderSnapshot['shippingAddress'],
    shippingMethod: String(o.shipping_method),
    payment: {
      provider: 'stripe',
      intentId: p?.intent_id == null ? null : String(p.intent_id),
      status: p ? String(p.status) : 'none',
      amount: p ? Number(p.amount) : 0,
      refundedAmount: p ? Number(p.refunded_amount) : 0,
      ...(p && Number(p.refunded_amount) > 0 ? { reportedRefunded: Number(p.refunded_amount) } : {}),
    },
    ...(p && Number(p.refunded_amount) > 0
      ? { refunds: [restoredRefunds(o, r.lines, Number(p.refunded_amount))] }
      : {}),
    holdExpiresAt: Number(o.hold_expires_at),
    createdAt: Number(o.created_at),
    updatedAt: Number(o.updated_at),
    history: [...r.events]
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((e) => ({
        from: status(e.from_status),
        to: status(e.to_status),
        at: Number(e.at),
        reason: String(e.reason),
        ...(e.stripe_event_id == null ? {} : { stripeEventId: String(e.stripe_event_id) }),
      })),
  };
}

/**
 * Postgres keeps only the total refunded, not the refunds: a restored order carries it as one succeeded refund
 * record naming every line in full, without restock. Its refunded total then adds up with later refunds, and no
 * unit can be refunded and restocked again (the record's lines are taken as refunded); an amount-only refund of
 * what is left still goes through.
 */
function restoredRefunds(o: Record<string, unknown>, lines: Record<string, unknown>[], amount: number): RefundRecord {
  const at = Number(o.updated_at);
  return {
    id: `re_restored_${String(o.id)}`,
    amount,
    status: 'succeeded',
    lines: lines.map((l) => ({ sku: String(l.sku), quantity: Number(l.quantity) })),
    restock: false,
    reason: 'refunds before a rebuild from Postgres (which keeps only their total)',
    key: `restored:${String(o.id)}`,
    requestHash: '',
    by: { sub: 'rebuild', role: 'system' },
    createdAt: at,
    updatedAt: at,
  };
}

export interface OrdersRebuildPlan {
  /** Orders written from their copy: missing in the object (objectVersion null) or older there. */
  restore: { id: string; status: OrderStatus; version: number; objectVersion: number | null }[];
  /** Orders the object has at the copy's version or newer: left as they are. */
  keep: { id: string; version: number; copyVersion: number }[];
}

/** `objectVersions`: the version of each of the copies' orders the object has (absent: it has none). */
export function planOrdersRebuild(objectVersions: Map<string, number>, copies: OrderSnapshot[]): OrdersRebuildPlan {
  const plan: OrdersRebuildPlan = { restore: [], keep: [] };
  for (const c of copies) {
    const v = objectVersions.get(c.id);
    if (v !== undefined && v >= c.version) plan.keep.push({ id: c.id, version: v, copyVersion: c.version });
    else plan.restore.push({ id: c.id, status: c.status, version: c.version, objectVersion: v ?? null });
  }
  return plan;
}
