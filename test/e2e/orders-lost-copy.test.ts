// An order copy lost on its way to Postgres (issue 11, finding 12). The test stack loses, on purpose, the first
// send of each version of the orders of one shopper (FAULT_LOSE_ORDER_COPIES_OF in test/stack.config.ts): send()
// resolves and the message never reaches the Queue, as when a crash took the local Queue down with it. The order's
// OrdersDO keeps each version until the consumer confirms it, so the paid version still lands in Postgres.
import { describe, expect, it } from 'vitest';
import { testVars } from '../stack.config';
import { checkout, checkoutBody, freshSku, pgOrderRows, shopperWith, waitForStatus } from './checkout-helpers';
import { eventually, primary } from './helpers';

const confirmSeconds = Number(testVars.ORDERS_CONFIRM_SECONDS);

describe('an order copy lost by the Queue', () => {
  it('is sent again until Postgres has the latest version', async () => {
    const sku = await freshSku(5);
    const token = await shopperWith(sku, 1);
    const r = await checkout(token, checkoutBody('pm_card_visa', { email: testVars.FAULT_LOSE_ORDER_COPIES_OF }));
    expect(r.response.status).toBe(202);
    const orderId = r.data!.orderId;
    await waitForStatus(token, orderId, 'paid', 10_000);

    // Both copies (accepted, paid) were lost: well past a normal copy's second, Postgres has nothing.
    await new Promise((res) => setTimeout(res, 5000));
    expect(await pgOrderRows([orderId])).toEqual([]);

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
    expect(await primary('select to_status from order_events where order_id = $1 order by seq', [orderId])).toEqual([
      { to_status: 'pending_payment' },
      { to_status: 'paid' },
    ]);
    expect(await primary('select sku, quantity from order_lines where order_id = $1', [orderId])).toEqual([
      { sku, quantity: 1 },
    ]);
  }, 120_000);
});
