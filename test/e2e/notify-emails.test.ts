// Order emails through the running stack: the notifications Queue, its consumer and the simulated send_email
// binding, read back from the local mail sink (dev/mail-sink.ts). A paid order's confirmation is sent once even
// when the Queue delivers its message twice (the checkout worker's duplicate fault sends every notice of
// twice@fault.test twice, in one batch: the two copies are handled concurrently); a refund and a shipment each send
// theirs. The sends that stall the shared notifications consumer (a slow send, a send that never answers) are in
// notify-emails-stall.test.ts, which runs in the serial e2e group.
import { describe, expect, it } from 'vitest';
import { testNotificationsMaxRetries } from '../stack.config';
import { adminToken, merchantToken, paidOrder, refund } from './admin-orders-helpers';
import { signedWebhook, stripeEvent } from './checkout-helpers';
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

  it('retries a failing send with growing waits, dead-letters it, and a replay sends it exactly once', async () => {
    // Sends to *@fail-mail.fault.test fail until the email is in the dead letters (a mail-service outage that ends;
    // armed only where MAIL_SINK_URL is set: dev and tests).
    const to = `dlq-${Date.now().toString(36)}@fail-mail.fault.test`;
    const { orderId } = await paidOrder(1, { email: to });
    const key = `${orderId}:paid`;
    const admin = client(await adminToken());
    const letter = await eventually(
      'the email dead-lettered',
      async () => {
        const res = await admin.GET('/v1/admin/notifications/dead-letters', {});
        return res.data?.letters.find((l) => l.type === 'email' && l.subject === key);
      },
      45_000,
      250,
    );
    // 1 attempt + 2 retries (test stack: testNotificationsMaxRetries), waits of 1, 2 s: the second twice the first.
    const failures = workerLogLines(key).filter((l) => l.msg === 'test fault: send_email failed');
    expect(failures).toHaveLength(1 + testNotificationsMaxRetries);
    const at = failures.map((l) => l.at as number);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps[0]!).toBeGreaterThanOrEqual(900);
    expect(gaps[1]!).toBeGreaterThanOrEqual(1900);
    const retried = workerLogLines(key).filter((l) => l.msg === 'notification failed; retrying');
    expect(retried.map((l) => l.delaySeconds).slice(0, 2)).toEqual([1, 2]);
    expect(letter).toMatchObject({
      subject: key,
      replayedAt: null,
      body: { type: 'email', key, kind: 'order_confirmation' },
    });
    expect(await mailsOf(orderId)).toEqual([]);
    // Nothing claimed: a failed send releases its key.
    expect(await primary('select state from notification_emails where key = $1', [key])).toEqual([]);

    const replay = await admin.POST('/v1/admin/notifications/dead-letters/replay', { body: { ids: [letter.id] } });
    expect(replay.data).toEqual({ replayed: [letter.id] });
    const [mail] = await mailOf(orderId, 'order_confirmation');
    expect(mail).toMatchObject({ to, key });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await mailsOf(orderId)).toHaveLength(1);
    expect(await primary('select state from notification_emails where key = $1', [key])).toEqual([{ state: 'sent' }]);
  });

  it('records a sent email despite failed updates of its row: one email, acked, never dead-lettered', async () => {
    // A test-only trigger: the first two attempts to mark an email to *@mark-sent.fault.test sent fail, as a
    // Postgres blip right after the send would (the sequence counts them outside the rolled-back transactions).
    await primary('create sequence if not exists mark_sent_failures_for_test');
    await primary("select setval('mark_sent_failures_for_test', 1, false)");
    await primary(`create or replace function mark_sent_fails_for_test() returns trigger language plpgsql as $$
      begin
        if new.state = 'sent' and new.recipient like '%@mark-sent.fault.test'
          and nextval('mark_sent_failures_for_test') <= 2 then
          raise exception 'mark-sent refused by the test';
        end if;
        return new;
      end $$`);
    await primary(`create or replace trigger mark_sent_fails_for_test before update on notification_emails
      for each row execute function mark_sent_fails_for_test()`);
    try {
      const to = `marked-${Date.now().toString(36)}@mark-sent.fault.test`;
      const { orderId } = await paidOrder(1, { email: to });
      const key = `${orderId}:paid`;
      await mailOf(orderId, 'order_confirmation');
      await eventually(
        'the email recorded as sent',
        async () => (await primary('select state from notification_emails where key = $1', [key]))[0]?.state === 'sent',
        20_000,
        200,
      );
      // Past the test stack's retry waits (1 + 2 s) and their batch waits: a retried message would have been
      // dead-lettered by now.
      await new Promise((r) => setTimeout(r, 5000));
      expect(await mailsOf(orderId)).toHaveLength(1);
      expect(workerLogLines(key).filter((l) => l.msg === 'notification failed; retrying')).toEqual([]);
      expect(await primary('select id from notification_dead_letters where subject = $1', [key])).toEqual([]);
      expect(
        Number((await primary('select last_value from mark_sent_failures_for_test'))[0].last_value),
      ).toBeGreaterThanOrEqual(3);
    } finally {
      await primary('drop trigger if exists mark_sent_fails_for_test on notification_emails');
    }
  });
});
