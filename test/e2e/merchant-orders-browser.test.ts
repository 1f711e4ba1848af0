// The console's order pages in a real browser (Chromium + playwright-core, started here, as console-browser.test.ts
// does) against the running stack: a product and its stock are made through the merchant API, a webhook endpoint (a
// receiver on loopback started here) is registered through the console's form, a registered shopper buys through
// the API with the local Stripe. Then in the browser the merchant finds the order, is refused a refund above what
// was paid (the message next to the form, the amount kept), sends a partial refund form twice at once (one refund),
// refunds the rest, sees the order refunded, the refund emails in the mail sink, the webhook deliveries in the
// endpoint's log and each write in the audit log; the customer's page lists the order. The admin sees a refund that
// Stripe refuses as a stuck task on the dead letters page and gives it up there. The merchant fulfils an order after
// a refused tracking number, cancels an unpaid one, and rotates, turns off and deletes an endpoint. Screenshots
// (also at 390 px) go to .data/artifacts/console/. Past 300 lines: the journeys share one browser and one receiver,
// started once here.
import fs from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminOrder, copied, dispute, paidOrder, unpaidOrder } from './admin-orders-helpers';
import { addToCart, checkout, checkoutBody, waitForStatus } from './checkout-helpers';
import { client, freshIp, gateway, merchantToken, ok, uniqueWord } from './helpers';
import { newEmail, registered } from './identity-helpers';
import {
  ARTIFACTS,
  auditInConsole,
  deleteWebhookInConsole,
  findOrderInConsole,
  orderFacts,
  refundInConsole,
  registerWebhookInConsole,
  seeDeliveryInConsole,
  shot,
  signInToConsole,
  submit,
} from './merchant-journey-orders';
import { mailOf, startReceiver } from './notify-helpers';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WAIT_MS = 15_000;

let browser: Browser;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) ` +
        'or point CHROMIUM_PATH at a Chromium or Chrome binary',
    );
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  receiver = await startReceiver();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: ['--headless=new'],
    timeout: 60_000,
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.stop();
});

async function newContext(width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: gateway(),
    extraHTTPHeaders: { 'cf-connecting-ip': freshIp() },
    viewport: { width, height: 900 },
  });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  return { context, page: await context.newPage() };
}

/** A published product with one variant and `stock` units, made through the merchant API. */
async function productWithStock(stock: number, price: number) {
  const slug = uniqueWord('cons');
  const sku = `${slug.toUpperCase()}-ONE`;
  const created = await ok(
    'create product',
    client(await merchantToken()).POST('/v1/admin/products', {
      body: {
        slug,
        title: 'Console Journey Mug',
        description: 'A mug bought and refunded in the console test.',
        brand: 'Console',
        category: 'kitchen',
        currency: 'USD',
        status: 'published',
        variants: [{ sku, title: 'One', options: {}, priceAmount: price, initialStock: stock }],
      },
    }),
  );
  return { sku, productId: created.product.id };
}

describe('merchant console: orders, refunds, webhooks', () => {
  it('refunds an order from the console: refusal shown, double submit refunds once, email, webhook, audit', {
    timeout: 240_000,
  }, async () => {
    const { sku, productId } = await productWithStock(5, 2000);
    const { context, page } = await newContext();
    try {
      await signInToConsole(page, 'merchant');
      const hookUrl = receiver.url(`/console-${uniqueWord()}`);
      const { endpointId } = await registerWebhookInConsole(page, hookUrl, ['order.paid', 'order.refunded'], 'ERP');
      await shot(page, 'webhook-secret');

      // A registered shopper buys two units through the API (the local Stripe pays).
      const email = newEmail();
      const session = await registered(email);
      await addToCart(session.accessToken, sku, 2);
      const bought = await checkout(session.accessToken, checkoutBody('pm_card_visa', { email }));
      expect(bought.response.status, JSON.stringify(bought.error)).toBe(202);
      const orderId = bought.data!.orderId;
      const total = bought.data!.totals.total.amount;
      await waitForStatus(session.accessToken, orderId, 'paid');
      await copied(orderId, 'paid');

      await findOrderInConsole(page, email, orderId);
      expect(new URL(page.url()).pathname).toBe(`/admin/orders/${orderId}`);
      await page.goto(`/admin/orders?email=${encodeURIComponent(email)}`);
      await shot(page, 'orders');
      await page.goto(`/admin/orders/${orderId}`);
      expect(await orderFacts(page)).toMatchObject({ status: 'paid', refunds: 0 });
      await shot(page, 'order');

      // More than was paid: the API's refusal next to the form, the amount typed kept, nothing refunded.
      const tooMuch = await refundInConsole(page, orderId, { amount: total + 1 });
      expect(tooMuch.refusal).toContain('REFUND_EXCEEDS_PAID');
      expect(await page.locator('#refund-amount').inputValue()).toBe(String(total + 1));
      expect((await adminOrder(orderId)).data!.refunds).toHaveLength(0);
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
      const afterDouble = (await adminOrder(orderId)).data!;
      expect(afterDouble.refunds.map((r) => r.amount.amount)).toEqual([500]);

      // The rest, restocked, from the form as the redirect rendered it (a new key): the order shows refunded.
      await page.goto(`/admin/orders/${orderId}`);
      const rest = await refundInConsole(page, orderId, { restock: true, reason: 'changed their mind' });
      expect(rest.notice).toContain('Refund');
      // Stripe's answer (or its webhook) settles the refunds; the page shows the order as its object has it now.
      await expect
        .poll(
          async () => {
            await page.reload();
            return (await orderFacts(page)).status;
          },
          { timeout: 20_000, interval: 500 },
        )
        .toBe('refunded');
      expect((await orderFacts(page)).refunds).toBe(2);
      await shot(page, 'order-refunded');

      // The shopper's refund emails, from the local mail sink.
      const mails = await mailOf(orderId, 'refund', 2);
      expect(mails.map((m) => m.to)).toEqual([email, email]);
      expect(mails.some((m) => m.text.includes('changed their mind'))).toBe(true);

      // The webhook deliveries, in the console's delivery log, and at the receiver.
      const row = await seeDeliveryInConsole(page, endpointId, { eventType: 'order.refunded', orderId });
      expect(row).toContain('204');
      await seeDeliveryInConsole(page, endpointId, { eventType: 'order.paid', orderId });
      expect(receiver.received(new URL(hookUrl).pathname).length).toBeGreaterThanOrEqual(3);
      await shot(page, 'webhook-deliveries');

      // Each step in the audit log page.
      expect(await auditInConsole(page, { targetType: 'product', targetId: productId })).toContainEqual({
        action: 'product.create',
        outcome: 'succeeded',
        after: expect.any(String),
      });
      expect(await auditInConsole(page, { targetType: 'webhook', targetId: endpointId })).toContainEqual({
        action: 'webhook.create',
        outcome: 'succeeded',
        after: expect.any(String),
      });
      const orderAudit = await auditInConsole(page, { targetType: 'order', targetId: orderId });
      // Three refund requests succeeded: the two refunds, and the double submit's repeat, recorded as replayed.
      const refunds = orderAudit.filter((e) => e.action === 'order.refund' && e.outcome === 'succeeded');
      expect(refunds).toHaveLength(3);
      expect(refunds.filter((e) => /"replayed": true/.test(e.after))).toHaveLength(1);
      // The refused refund is recorded as refused.
      expect(orderAudit.filter((e) => e.action === 'order.refund' && e.outcome.startsWith('failed'))).toHaveLength(1);
      await shot(page, 'audit-order');

      // The customer's page lists the order.
      await page.goto('/admin/customers');
      await page.getByLabel('Email or name contains').fill(email);
      await submit(page, page.getByRole('button', { name: 'Search' }));
      await submit(page, page.locator('#customers').getByRole('link', { name: email }));
      expect(await page.locator('#orders').getByRole('link', { name: orderId }).count()).toBe(1);
      await shot(page, 'customer');
      await page.goto('/admin/customers');
      await shot(page, 'customers');

      await deleteWebhookInConsole(page, hookUrl);
      expect(await page.locator('.notice').textContent()).toContain('deleted');
      await shot(page, 'webhooks');
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
      const deadline = Date.now() + 20_000;
      while ((await task.count()) === 0) {
        if (Date.now() > deadline) throw new Error(`no stuck task of ${orderId}`);
        await page.waitForTimeout(300);
        await page.goto('/admin/dead-letters');
      }
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
      const url = receiver.url(`/console-${uniqueWord()}`);
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
