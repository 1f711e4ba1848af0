// The orders consumer's write (workers/checkout/src/orders.consumer.ts) inside workerd against the test Postgres:
// an older snapshot arriving after a newer one never overwrites it (the row, its payment and its status history).
// Since an accepted order's copy waits for its payment (ORDER_PUBLISH_DELAY_MS), the checkout-outage e2e test's
// order makes one copy, not two, so the out-of-order case is proven here instead.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { OrderSnapshot } from '../../lib/checkout/order';
import { dbSettings, sqlClient } from '../../lib/db/client';
import { writeOrder } from '../../workers/checkout/src/orders.consumer';

type ConsumerEnv = Parameters<typeof writeOrder>[0];
const consumerEnv = env as unknown as ConsumerEnv;

const query = async <T>(text: string, params: unknown[]) => {
  const settings = dbSettings(consumerEnv);
  return (await sqlClient(settings.DATABASE_URL, settings).query(text, params)) as T[];
};

function snapshots(id: string): { accepted: OrderSnapshot; paid: OrderSnapshot } {
  const t0 = Date.now() - 10_000;
  const accepted: OrderSnapshot = {
    id,
    version: 2,
    owner: { sub: `sub-${id}`, role: 'guest', email: `${id}@example.com` },
    status: 'pending_payment',
    lines: [{ sku: `SKU-${id}`, title: 'Test — One', quantity: 2, unitAmount: 500, lineTotal: 1000 }],
    totals: { subtotal: 1000, shipping: 0, tax: 0, total: 1000, currency: 'USD', taxRateBps: 0 },
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' },
    shippingMethod: 'standard',
    payment: { provider: 'stripe', intentId: `pi_${id}`, status: 'processing', amount: 1000, refundedAmount: 0 },
    holdExpiresAt: t0 + 900_000,
    createdAt: t0,
    updatedAt: t0,
    history: [{ from: 'created', to: 'pending_payment', at: t0, reason: 'checkout accepted' }],
  } as OrderSnapshot;
  const paid: OrderSnapshot = {
    ...accepted,
    version: 3,
    status: 'paid',
    payment: { ...accepted.payment, status: 'succeeded' },
    updatedAt: t0 + 1000,
    history: [...accepted.history, { from: 'pending_payment', to: 'paid', at: t0 + 1000, reason: 'payment succeeded' }],
  };
  return { accepted, paid };
}

describe('the orders consumer', () => {
  it('keeps the newer version when an older copy arrives last (row, payment, history)', async () => {
    const id = `ord_copy${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const { accepted, paid } = snapshots(id);
    await writeOrder(consumerEnv, paid);
    await writeOrder(consumerEnv, accepted);
    await writeOrder(consumerEnv, paid); // a repeat changes nothing either
    expect(await query('select status, version from orders where id = $1', [id])).toEqual([
      { status: 'paid', version: 3 },
    ]);
    expect(await query('select status from payments where order_id = $1', [id])).toEqual([{ status: 'succeeded' }]);
    expect(await query('select to_status from order_events where order_id = $1 order by seq', [id])).toEqual([
      { to_status: 'pending_payment' },
      { to_status: 'paid' },
    ]);
    expect(await query('select sku, quantity from order_lines where order_id = $1', [id])).toEqual([
      { sku: `SKU-${id}`, quantity: 2 },
    ]);
  });
});
