// The console's order pages in a real browser (Chromium + playwright-core, against the running stack): what the
// whole journey (merchant-journey.test.ts: find an order, refund it, email, webhook log, audit, customer) does not
// cover. A refund above what was paid and one not in whole minor units are refused next to the form (the amount
// kept, nothing refunded); the same refund form sent twice at once refunds once, and the audit log page shows the
// repeat as replayed and the refusal as failed. The order page fits 390 px and its refund form is reachable by
// keyboard. The admin sees a refund Stripe refuses as a stuck task and gives it up on the dead letters page. The
// merchant fulfils an order after a refused tracking number, cancels an unpaid one, and registers (after a refusal),
// rotates, turns off and deletes a webhook endpoint. The run's one Chromium (a context a test). Screenshots go to
// .data/artifacts/console/.
import { describe, expect, it } from 'vitest';
import { adminOrder, dispute, paidOrder, unpaidOrder } from './admin-orders-helpers';
import { browserForFile, consoleContext, shot, signInToConsole, submit } from './console-browser-kit';
import { uniqueWord } from './helpers';
import { newEmail } from './identity-helpers';
import {
  auditInConsole,
  deleteWebhookInConsole,
  orderFacts,
  refundInConsole,
  registerWebhookInConsole,
} from './merchant-journey-orders';

const files = browserForFile({ receiver: true });

const newContext = (width = 1280) => consoleContext(files.browser, width);

describe('merchant console: orders, refunds, webhooks', () => {
  it('refusals shown next to the refund form; the form sent twice at once refunds once; both in the audit log', {
    timeout: 120_000,
  }, async () => {
    const { orderId, total } = await paidOrder(2, { email: newEmail() });
    const { context, page } = await newContext();
    try {
      await signInToConsole(page, 'merchant');
      await page.goto(`/admin/orders/${orderId}`);
      expect(await orderFacts(page)).toMatchObject({ status: 'paid', refunds: 0 });

      // More than was paid: the API's refusal next to the form, the amount typed kept, nothing refunded.
      const tooMuch = await refundInConsole(page, orderId, { amount: total + 1 });
      expect(tooMuch.refusal).toContain('REFUND_EXCEEDS_PAID');
      expect(await page.locator('#refund-amount').inputValue()).toBe(String(total + 1));
      expect((await adminOrder(orderId)).data!.refunds).toHaveLength(0);
      await shot(page, 'order-refund-refused');
      // Not a whole number of minor units: refused by the page, naming the field.
      const notWhole = await refundInConsole(page, orderId, { amount: 12.5 });
      expect(notWhole.refusal).toContain('amount: a whole number of minor units');

      // The same refund form sent twice at once (a double click): one refund, both answered with the order.
      await page.goto(`/admin/orders/${orderId}`);
      await page.locator('#refund-amount').fill('500');
      const statuses = await page.evaluate(async () => {
        const form = document.getElementById('refund-form') as HTMLFormElement;
        const body = new URLSearchParams(new FormData(form) as never).toString();
        const send = () =>
          fetch(form.action, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            redirect: 'manual',
          }).then((r) => r.type);
        return Promise.all([send(), send()]);
      });
      expect(statuses).toEqual(['opaqueredirect', 'opaqueredirect']);
      expect((await adminOrder(orderId)).data!.refunds.map((r) => r.amount.amount)).toEqual([500]);

      // The audit log page: the refund and its repeat (recorded as replayed) succeeded; the refusal failed.
      const orderAudit = await auditInConsole(page, { targetType: 'order', targetId: orderId });
      const refunds = orderAudit.filter((e) => e.action === 'order.refund' && e.outcome === 'succeeded');
      expect(refunds).toHaveLength(2);
      expect(refunds.filter((e) => /"replayed": true/.test(e.after))).toHaveLength(1);
      expect(orderAudit.filter((e) => e.action === 'order.refund' && e.outcome.startsWith('failed'))).toHaveLength(1);
      await shot(page, 'audit-order');
    } finally {
      await context.close();
    }
  });

  it('at 390 px: the order page fits the width and its forms are reachable by keyboard', {
    timeout: 120_000,
  }, async () => {
    const { orderId } = await paidOrder(1, { email: newEmail() });
    const { context, page } = await newContext(390);
    try {
      await signInToConsole(page, 'merchant');
      await page.goto(`/admin/orders/${orderId}`);
      // Wide tables scroll inside their box; the page itself does not scroll sideways.
      const wider = await page.evaluate(() =>
        Array.from(document.querySelectorAll('body *'))
          .filter((e) => !e.closest('.scroll') && e.getBoundingClientRect().right > 390)
          .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`),
      );
      expect(await page.evaluate(() => document.documentElement.scrollWidth), wider.join(' ')).toBeLessThanOrEqual(390);
      await shot(page, 'order-390');
      // Tab reaches the refund amount, the fields and the button (a labelled control each).
      await page.locator('#refund-amount').focus();
      await page.keyboard.type('300');
      const visited: string[] = [];
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press('Tab');
        visited.push(
          await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent || ''),
        );
      }
      expect(visited).toContain('refund-reason');
      expect(visited).toContain('Refund');
    } finally {
      await context.close();
    }
  });

  it('the admin sees a refund Stripe refuses as a stuck task and gives it up from the dead letters page', {
    timeout: 120_000,
  }, async () => {
    const { orderId, intentId } = await paidOrder(1, { email: newEmail() });
    await dispute(intentId, 'needs_response');
    const { context, page } = await newContext();
    try {
      await signInToConsole(page, 'merchant');
      // A merchant is not shown the admin's page.
      expect((await page.goto('/admin/dead-letters'))?.status()).toBe(403);
      const sent = await refundInConsole(page, orderId, { amount: 400 });
      expect(sent.notice).toContain('being sent to Stripe');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL('**/admin/sign-in');

      await signInToConsole(page, 'admin');
      const task = page.locator('#stuck-tasks tbody tr').filter({ hasText: orderId });
      await expect
        .poll(
          async () => {
            await page.goto('/admin/dead-letters');
            return task.count();
          },
          { timeout: 20_000, interval: 300, message: `a stuck task of ${orderId}` },
        )
        .toBeGreaterThan(0);
      expect(await task.textContent()).toContain('charge_disputed');
      await shot(page, 'dead-letters');
      await submit(page, task.getByRole('button', { name: `Give up the refunds task of ${orderId}` }));
      expect(await page.locator('.notice').textContent()).toContain('given up');
      // The list is as the objects last reported (within about a second): the task leaves it.
      await expect
        .poll(
          async () => {
            await page.goto('/admin/dead-letters');
            return task.count();
          },
          { timeout: 10_000, interval: 500 },
        )
        .toBe(0);
      const order = (await adminOrder(orderId)).data!;
      expect(order.refunds[0]).toMatchObject({ status: 'failed', amount: { amount: 400 } });
    } finally {
      await context.close();
    }
  });
  it('fulfils after a refusal, cancels an unpaid order, and rotates, turns off and deletes an endpoint', {
    timeout: 120_000,
  }, async () => {
    const { orderId } = await paidOrder(1, { email: newEmail() });
    const { context, page } = await newContext();
    try {
      await signInToConsole(page, 'merchant');
      await page.goto(`/admin/orders/${orderId}`);
      const fulfil = page.locator('#fulfil-form');
      await fulfil.getByLabel('Carrier').fill('UPS');
      await fulfil.getByLabel('Tracking number').fill('x!');
      await submit(page, fulfil.getByRole('button', { name: 'Mark fulfilled' }));
      expect(await page.locator('#fulfil-error').textContent()).toContain('trackingNumber');
      expect(await fulfil.getByLabel('Carrier').inputValue()).toBe('UPS');
      await fulfil.getByLabel('Tracking number').fill('1Z999AA10123456784');
      await submit(page, fulfil.getByRole('button', { name: 'Mark fulfilled' }));
      expect(await page.locator('.notice').textContent()).toContain('Marked fulfilled');
      expect(await orderFacts(page)).toMatchObject({ status: 'fulfilled' });
      expect(await page.locator('#order-fulfillment').textContent()).toContain('UPS 1Z999AA10123456784');
      // A refund form without this session's CSRF token (from the page itself, with its cookies): 403, no refund.
      const forged = await page.evaluate(async (id) => {
        const body = new URLSearchParams({ csrf: 'x', key: crypto.randomUUID() });
        const res = await fetch(`/admin/orders/${id}/refund`, { method: 'POST', body, redirect: 'manual' });
        return res.status;
      }, orderId);
      expect(forged).toBe(403);
      expect((await adminOrder(orderId)).data!.refunds).toHaveLength(0);

      // An order waiting for 3-D Secure, made just now (the test stack's holds expire after 8 s).
      const unpaid = await unpaidOrder(1);
      await page.goto(`/admin/orders/${unpaid.orderId}`);
      await page.locator('#cancel-form').getByLabel('Reason (optional)').fill('customer asked');
      await submit(page, page.getByRole('button', { name: 'Cancel the order' }));
      expect(await page.locator('.notice').textContent()).toContain('Order canceled');
      expect(await orderFacts(page)).toMatchObject({ status: 'canceled' });

      // No event ticked: the API's refusal next to the form, the URL typed kept.
      const url = files.receiver.url(`/console-${uniqueWord()}`);
      await page.goto('/admin/webhooks');
      await page.getByLabel('URL (https)').fill(url);
      await submit(page, page.getByRole('button', { name: 'Register' }));
      expect(await page.locator('#webhook-error').textContent()).toContain('events');
      expect(await page.getByLabel('URL (https)').inputValue()).toBe(url);
      const { secret } = await registerWebhookInConsole(page, url, ['order.fulfilled']);
      await page.goto('/admin/webhooks');
      await submit(page, page.getByRole('button', { name: `Rotate the secret of ${url}` }));
      const rotated = await page.getByLabel('Signing secret').inputValue();
      expect(rotated).toMatch(/^whsec_/);
      expect(rotated).not.toBe(secret);
      await page.goto('/admin/webhooks');
      await submit(page, page.getByRole('button', { name: `Turn off ${url}` }));
      expect(await page.locator('.notice').textContent()).toContain('turned off');
      expect(await page.getByRole('button', { name: `Turn on ${url}` }).count()).toBe(1);
      await deleteWebhookInConsole(page, url);
      expect(await page.getByRole('button', { name: `Delete ${url}` }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
