// Shared by the merchant order e2e files (admin-orders.test.ts, admin-refunds.test.ts): paid and unpaid orders of
// a test's own SKU, waiting for an order's Postgres copy (the admin reaches an order through it), and the merchant's
// calls through the typed client.
import { inject } from 'vitest';
import {
  adminToken,
  checkout,
  checkoutBody,
  freshSku,
  inventory,
  shopperWith,
  stripe,
  waitForStatus,
} from './checkout-helpers';
import { client, eventually, merchantToken, ok, primary } from './helpers';

export { adminToken, merchantToken };

/** The order's first copy is in Postgres: from then on the admin API finds its OrdersDO. */
export const copied = (orderId: string, status?: string) =>
  eventually(
    `order ${orderId} in Postgres${status ? ` as ${status}` : ''}`,
    async () => {
      const [row] = await primary<{ status: string }>('select status from orders where id = $1', [orderId]);
      return row && (!status || row.status === status) ? row : false;
    },
    15_000,
    100,
  );

/** A shopper's paid order of `quantity` units of a fresh SKU (stock `onHand`), copied to Postgres. */
export async function paidOrder(quantity = 2, opts: { onHand?: number; price?: number; email?: string } = {}) {
  const sku = await freshSku(opts.onHand ?? 10, opts.price ?? 2500);
  const token = await shopperWith(sku, quantity);
  const r = await checkout(token, checkoutBody('pm_card_visa', opts.email ? { email: opts.email } : {}));
  if (r.response.status !== 202) throw new Error(`checkout: ${r.response.status} ${JSON.stringify(r.error)}`);
  const orderId = r.data!.orderId;
  await waitForStatus(token, orderId, 'paid');
  await copied(orderId, 'paid');
  return {
    sku,
    token,
    orderId,
    total: r.data!.totals.total.amount,
    intentId: r.data!.payment.paymentIntentId!,
  };
}

/** An order waiting for 3-D Secure (unpaid, its stock held), copied to Postgres. */
export async function unpaidOrder(quantity = 2) {
  const sku = await freshSku(5);
  const token = await shopperWith(sku, quantity);
  const r = await checkout(token, checkoutBody('pm_card_authenticationRequired'));
  if (r.response.status !== 202) throw new Error(`checkout: ${r.response.status} ${JSON.stringify(r.error)}`);
  await copied(r.data!.orderId);
  return { sku, token, orderId: r.data!.orderId, intentId: r.data!.payment.paymentIntentId! };
}

export const adminOrder = async (orderId: string, token?: string) =>
  client(token ?? (await merchantToken())).GET('/v1/admin/orders/{id}', { params: { path: { id: orderId } } });

export const refund = async (
  orderId: string,
  body: { amount?: number; lines?: { sku: string; quantity: number }[]; restock?: boolean; reason?: string },
  key: string | null = crypto.randomUUID(),
  token?: string,
) =>
  client(token ?? (await merchantToken())).POST('/v1/admin/orders/{id}/refunds', {
    params: { path: { id: orderId }, header: key === null ? {} : { 'idempotency-key': key } },
    body,
  });

/** Stripe's own record of what was refunded on the order's charge. */
export async function stripeRefunded(intentId: string) {
  const pi = await stripe().paymentIntents.retrieve(intentId, { expand: ['latest_charge'] });
  const charge = pi.latest_charge as { amount_refunded: number; refunds?: unknown } | null;
  return charge?.amount_refunded ?? 0;
}

/** The local Stripe's test control: the order's charge disputed (refunds refused), or its dispute won. */
export async function dispute(intentId: string, status: 'needs_response' | 'won') {
  const res = await fetch(`${inject('stripeUrl')}/_local/disputes/${intentId}?status=${status}`, {
    method: 'POST',
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`dispute ${intentId}: ${res.status} ${await res.text()}`);
}

export { inventory, ok };
