// The merchant's order search reads the read replica (workers/admin/src/orders.ts, fromReplica): with the replica's
// replay paused, an order copied to the primary is not found until replay resumes.
import { describe, expect, it } from 'vitest';
import { copied, merchantToken } from './admin-orders-helpers';
import { checkout, checkoutBody, freshSku, shopperWith, waitForStatus } from './checkout-helpers';
import { client, eventually, replica } from './helpers';

const search = async (email: string) => {
  const res = await client(await merchantToken()).GET('/v1/admin/orders', { params: { query: { email } } });
  expect(res.response.status, JSON.stringify(res.error)).toBe(200);
  return res.data!.orders.map((o) => o.id);
};

describe('order search', () => {
  it('reads from the replica: an order the replica has not replayed is not found until it has', async () => {
    const email = `replica-${Date.now().toString(36)}@example.com`;
    // The product and the cart come first: the shopper's reads of the catalog come from the replica too.
    const sku = await freshSku(5);
    await eventually(
      'the replica has the SKU',
      async () => (await replica('select 1 from product_variants where sku = $1', [sku])).length === 1,
    );
    const token = await shopperWith(sku, 1);
    await replica('select pg_wal_replay_pause()');
    let orderId: string;
    try {
      const r = await checkout(token, checkoutBody('pm_card_visa', { email }));
      expect(r.response.status, JSON.stringify(r.error)).toBe(202);
      orderId = r.data!.orderId;
      await waitForStatus(token, orderId, 'paid');
      await copied(orderId, 'paid'); // on the primary
      expect(await search(email)).toEqual([]);
      expect(await replica('select 1 from orders where id = $1', [orderId])).toEqual([]);
    } finally {
      await replica('select pg_wal_replay_resume()');
    }
    await eventually('the order found once replayed', async () => (await search(email)).includes(orderId), 10_000, 200);
  });
});
