// Order emails through the running stack: the notifications Queue, its consumer and the simulated send_email
// binding, read back from the local mail sink (dev/mail-sink.ts). A paid order's confirmation is sent once even
// when the Queue delivers its message twice (the checkout worker's duplicate fault sends every notice of
// twice@fault.test twice, in one batch: the two copies are handled concurrently); a refund and a shipment each send
// theirs.
import { describe, expect, it } from 'vitest';
import { merchantToken, paidOrder, refund } from './admin-orders-helpers';
import { checkout, checkoutBody, freshSku, shopperWith, signedWebhook, stripeEvent } from './checkout-helpers';
import { client, eventually, primary } from './helpers';
import { mailOf, mailsOf } from './notify-helpers';
import { workerLogLines } from './worker-log';

describe('order emails', () => {
  it('sends one confirmation for a paid order, even when the consumer gets its message twice', async () => {
    const { orderId, total } = await paidOrder(2, { email: 'twice@fault.test', price: 1999 });
    const [mail] = await mailOf(orderId, 'order_confirmation');
    expect(mail).toMatchObject({ to: 'twice@fault.test', key: `${orderId}:paid` });
    expect(mail!.subject).toContain(`your order ${orderId} is confirmed`);
    expect(mail!.text).toContain(`$${(total / 100).toFixed(2)}`);
    expect(mail!.html).toContain('<table>');
    // Both copies handled: the second one dropped (logged), or (were the claim broken) sent as a second email.
    const dropped = () =>
      workerLogLines(`${orderId}:paid`).some((l) => l.msg === 'notification already handled or in hand');
    const confirmations = async () => (await mailsOf(orderId)).filter((m) => m.kind === 'order_confirmation');
    await eventually(
      'the second copy handled',
      async () => dropped() || (await confirmations()).length > 1,
      20_000,
      200,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await confirmations()).toHaveLength(1);
    expect(dropped()).toBe(true);
    const rows = await primary('select state, recipient from notification_emails where order_id = $1', [orderId]);
    expect(rows).toEqual([{ state: 'sent', recipient: 'twice@fault.test' }]);
  });

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

  it('sends a refund email for each refund, partial and full', async () => {
    const { orderId, total, sku } = await paidOrder(2, { price: 2500, email: 'refunded@example.com' });
    const part = await refund(orderId, { lines: [{ sku, quantity: 1 }], reason: 'a dent <in the box>' });
    expect(part.response.status, JSON.stringify(part.error)).toBe(201);
    const [first] = await mailOf(orderId, 'refund');
    expect(first).toMatchObject({ to: 'refunded@example.com', key: `${orderId}:refund:${part.data!.refund.id}` });
    expect(first!.subject).toContain('a refund of $25.00');
    expect(first!.text).toContain('Reason: a dent <in the box>');
    expect(first!.html).toContain('Reason: a dent &lt;in the box&gt;');
    const rest = await refund(orderId, {});
    expect(rest.response.status, JSON.stringify(rest.error)).toBe(201);
    const both = await mailOf(orderId, 'refund', 2);
    expect(both.map((m) => m.key).sort()).toEqual(
      [`${orderId}:refund:${part.data!.refund.id}`, `${orderId}:refund:${rest.data!.refund.id}`].sort(),
    );
    expect(both.find((m) => m.key.endsWith(rest.data!.refund.id))!.subject).toContain(
      `$${((total - 2500) / 100).toFixed(2)}`,
    );
  });

  it('sends a shipping email with the carrier and tracking number', async () => {
    const { orderId } = await paidOrder(1, { email: 'shipped@example.com' });
    const merchant = client(await merchantToken());
    const done = await merchant.POST('/v1/admin/orders/{id}/fulfillment', {
      params: { path: { id: orderId } },
      body: { carrier: 'UPS', trackingNumber: '1Z999AA10123456784' },
    });
    expect(done.response.status, JSON.stringify(done.error)).toBe(200);
    const [mail] = await mailOf(orderId, 'shipping');
    expect(mail).toMatchObject({ to: 'shipped@example.com', key: `${orderId}:shipped:UPS:1Z999AA10123456784` });
    expect(mail!.text).toContain('Carrier: UPS');
    expect(mail!.text).toContain('Tracking number: 1Z999AA10123456784');
    // The confirmation went too, once.
    expect((await mailsOf(orderId)).filter((m) => m.kind === 'order_confirmation')).toHaveLength(1);
  });

  it('sends the refund email with the amount for a refund made in the Stripe dashboard, partial or full', async () => {
    const { orderId, total, intentId } = await paidOrder(2, { price: 2500 });
    const [row] = await primary<{ owner_sub: string }>('select owner_sub from orders where id = $1', [orderId]);
    // What Stripe sends after a dashboard refund: charge.refunded with the charge's refunded total so far.
    const chargeRefunded = (amountRefunded: number, n: number) => {
      const e = stripeEvent('charge.refunded', {
        id: `ch_dash_${orderId.slice(-8)}`,
        object: 'charge',
        amount_refunded: amountRefunded,
        payment_intent: intentId,
        metadata: { orderId, owner: row!.owner_sub },
      });
      return { ...e, id: `${e.id}_${n}`, created: Math.floor(Date.now() / 1000) + n };
    };
    expect((await signedWebhook(chargeRefunded(1000, 1) as never)).data).toMatchObject({ outcome: 'applied' });
    const [partial] = await mailOf(orderId, 'refund');
    expect(partial!.subject).toContain('$10.00');
    expect((await signedWebhook(chargeRefunded(total, 2) as never)).data).toMatchObject({ outcome: 'applied' });
    const refunds = await mailOf(orderId, 'refund', 2);
    expect(refunds.map((m) => m.subject).join('\n')).toContain(`$${((total - 1000) / 100).toFixed(2)}`);
    await new Promise((r) => setTimeout(r, 1500));
    const all = (await mailsOf(orderId)).filter((m) => m.kind === 'refund');
    expect(all).toHaveLength(2);
    for (const m of all) expect(m.text).not.toContain('could not be filled');
  });
});
