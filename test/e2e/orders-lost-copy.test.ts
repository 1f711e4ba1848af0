// An order copy lost on its way to Postgres (issue 11, finding 12). The test stack loses, on purpose, the first
// send of each version of the orders of one shopper (FAULT_LOSE_ORDER_COPIES_OF in test/stack.config.ts): send()
// resolves and the message never reaches the Queue, as when a crash took the local Queue down with it. The order's
// OrdersDO keeps each version until the consumer confirms it, so the paid version still lands in Postgres. Meanwhile
// the ops figures show the `orders` Queue's backlog as the objects see it: the oldest unconfirmed copy, its age growing
// until the consumer confirms it (issue 12, "queue backlog and oldest message age").
import { describe, expect, it } from 'vitest';
import { testVars } from '../stack.config';
import {
  adminToken,
  checkout,
  checkoutBody,
  freshSku,
  pgOrderRows,
  shopperWith,
  waitForStatus,
} from './checkout-helpers';
import { api, eventually, primary } from './helpers';

/** The figures' outbox part: copies unconfirmed and since when the oldest waits (epoch ms, null with none). */
async function backlog(admin: string) {
  const res = await api('/v1/admin/ops/figures?minutes=1', { headers: { authorization: `Bearer ${admin}` } });
  expect(res.status).toBe(200);
  const outbox = res.body.business.outbox as { copies: number; oldestCopyAt: string | null };
  return { copies: outbox.copies, oldestCopyAt: outbox.oldestCopyAt ? Date.parse(outbox.oldestCopyAt) : null };
}

const confirmSeconds = Number(testVars.ORDERS_CONFIRM_SECONDS);

describe('an order copy lost by the Queue', () => {
  it('is sent again until Postgres has the latest version', async () => {
    const sku = await freshSku(5);
    const token = await shopperWith(sku, 1);
    const admin = await adminToken();
    const before = Date.now();
    const r = await checkout(token, checkoutBody('pm_card_visa', { email: testVars.FAULT_LOSE_ORDER_COPIES_OF }));
    expect(r.response.status).toBe(202);
    const orderId = r.data!.orderId;
    await waitForStatus(token, orderId, 'paid', 10_000);

    // Both copies (accepted, paid) were lost: well past a normal copy's second, Postgres has nothing, and the
    // figures show a copy waiting since the checkout (the accepted version: the paid one replaced it, the order's
    // changes still wait since then), older at each reading.
    await new Promise((res) => setTimeout(res, 2500));
    const first = await backlog(admin);
    expect(first.copies).toBeGreaterThanOrEqual(1);
    expect(first.oldestCopyAt).not.toBeNull();
    expect(first.oldestCopyAt!).toBeLessThanOrEqual(before + 2000);
    const firstAge = Date.now() - first.oldestCopyAt!;
    expect(firstAge).toBeGreaterThanOrEqual(2000);
    await new Promise((res) => setTimeout(res, 2500));
    expect(await pgOrderRows([orderId])).toEqual([]);
    const second = await backlog(admin);
    expect(second.oldestCopyAt).toBe(first.oldestCopyAt);
    expect(Date.now() - second.oldestCopyAt!).toBeGreaterThan(firstAge + 2000);

    // Not confirmed within ORDERS_CONFIRM_SECONDS, the paid version is sent again and lands.
    const [row] = await eventually(
      'the paid order in Postgres',
      async () => {
        const found = await pgOrderRows([orderId]);
        return found.length === 1 && found[0]!.status === 'paid' ? found : false;
      },
      (confirmSeconds + 30) * 1000,
      500,
    );
    expect(row).toEqual({ id: orderId, status: 'paid', version: 3 });
    // Confirmed, it leaves the backlog: the oldest copy now (if any) is a later one.
    await eventually(
      'the confirmed copy gone from the figures',
      async () => {
        const now = await backlog(admin);
        return now.oldestCopyAt === null || now.oldestCopyAt > first.oldestCopyAt!;
      },
      15_000,
      500,
    );
    expect(await primary('select to_status from order_events where order_id = $1 order by seq', [orderId])).toEqual([
      { to_status: 'pending_payment' },
      { to_status: 'paid' },
    ]);
    expect(await primary('select sku, quantity from order_lines where order_id = $1', [orderId])).toEqual([
      { sku, quantity: 1 },
    ]);
  }, 120_000);
});
