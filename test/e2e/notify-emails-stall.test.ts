// Order emails whose sends stall the shared notifications consumer, so this file runs in the serial e2e group: a
// checkout does not wait for a slow send, and a send that never answers keeps its claim until its lease ends.
import { describe, expect, it } from 'vitest';
import { paidOrder } from './admin-orders-helpers';
import { checkout, checkoutBody, freshSku, shopperWith } from './checkout-helpers';
import { eventually, primary } from './helpers';
import { mailOf } from './notify-helpers';
import { workerLogLines } from './worker-log';

describe('order emails when the send stalls', () => {
  it('answers a checkout without waiting for the notifications Queue; the confirmation still goes', async () => {
    // slow-notices@fault.test: each notification send of the order waits 4 s first (FAULT_SLOW_NOTICES_OF).
    const sku = await freshSku(10, 1500);
    const token = await shopperWith(sku, 1);
    const started = Date.now();
    const r = await checkout(token, checkoutBody('pm_card_visa', { email: 'slow-notices@fault.test' }));
    const tookMs = Date.now() - started;
    expect(r.response.status, JSON.stringify(r.error)).toBe(202);
    expect(tookMs).toBeLessThan(4000);
    const [mail] = await mailOf(r.data!.orderId, 'order_confirmation');
    expect(mail).toMatchObject({ to: 'slow-notices@fault.test', key: `${r.data!.orderId}:paid` });
  });

  it('keeps the claim of a send that timed out: no second send until its lease ends', async () => {
    // Sends to *@hang-mail.fault.test never answer (a test fault): the consumer gives up after 10 s, not knowing
    // whether the email went.
    const to = `hang-${Date.now().toString(36)}@hang-mail.fault.test`;
    const { orderId } = await paidOrder(1, { email: to });
    const key = `${orderId}:paid`;
    const sends = () => workerLogLines(key).filter((l) => l.msg === 'test fault: send_email hangs');
    await eventually(
      'the send timed out',
      async () =>
        workerLogLines(key).some((l) => l.msg === 'notification failed; retrying' && /send_email/.test(`${l.error}`)),
      30_000,
      200,
    );
    expect(await primary('select state from notification_emails where key = $1', [key])).toEqual([
      { state: 'sending' },
    ]);
    // The retries (after 1, 2 s) find the claim held (60 s lease) and do not send again.
    await new Promise((r) => setTimeout(r, 5000));
    expect(sends()).toHaveLength(1);
    expect(workerLogLines(key).some((l) => l.msg === 'notification already handled or in hand')).toBe(true);
  });
});
