// The whole merchant journey in a real browser, issue 13's proof: Debian's Chromium driven by playwright-core
// against the running stack. The dev merchant signs in, registers a webhook endpoint (a receiver on loopback started
// here), creates a product with two variants through the form, uploads a PNG made here, publishes it, sets stock
// with a reason and reads the ledger; the public catalog shows it with its image. A registered shopper buys it
// through the API (the local Stripe pays); the merchant finds the order, refunds it from the console, and sees the
// refund email (the mail sink), the webhook deliveries in the endpoint's log, each step in the audit log page and
// the order on the customer's page. Screenshots of the main pages go to .data/artifacts/console/ (journey-*.png).
// The refusals, the phone width, the keyboard and the other writes are in merchant-catalog-browser.test.ts and
// merchant-orders-browser.test.ts, which do not repeat these steps.
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { copied } from './admin-orders-helpers';
import { addToCart, checkout, checkoutBody, waitForStatus } from './checkout-helpers';
import {
  browserForFile,
  consoleContext,
  navLink,
  overflows,
  scriptErrorsOf,
  shot,
  signInToConsole,
  submit,
  unlabelled,
} from './console-browser-kit';
import { client, eventually, primary, uniqueWord } from './helpers';
import { newEmail, registered } from './identity-helpers';
import {
  auditInConsole,
  deleteWebhookInConsole,
  findOrderInConsole,
  orderFacts,
  refundInConsole,
  registerWebhookInConsole,
  seeDeliveryInConsole,
} from './merchant-journey-orders';
import {
  createProductInConsole,
  ledgerInConsole,
  levelsInConsole,
  setStatusInConsole,
  setStockInConsole,
  solidPng,
  uploadImageInConsole,
} from './merchant-journey-steps';
import { mailOf } from './notify-helpers';

const files = browserForFile({ receiver: true });

describe('the merchant journey in Chromium', () => {
  it('sign in, create a product with an image, stock it, a shopper buys it, refund it: email, webhook, audit', {
    timeout: 300_000,
  }, async () => {
    const { context, page } = await consoleContext(files.browser);
    const scriptErrors = scriptErrorsOf(page);
    try {
      // No session: a console page sends the browser to the sign-in form.
      await page.goto('/admin/products');
      expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
      await shot(page, 'journey-sign-in');
      await signInToConsole(page, 'merchant');
      await shot(page, 'journey-overview');

      const hookUrl = files.receiver.url(`/journey-${uniqueWord()}`);
      const { endpointId } = await registerWebhookInConsole(page, hookUrl, ['order.paid', 'order.refunded'], 'ERP');
      await shot(page, 'journey-webhook-secret');

      // The product, through the new-product form, with two variants.
      await navLink(page, 'Products').click();
      await page.waitForURL((u) => u.pathname === '/admin/products');
      const slug = uniqueWord('journey');
      const sku = slug.toUpperCase();
      await createProductInConsole(page, {
        title: `Journey Linen Shirt ${slug}`,
        slug,
        brand: 'Harbor',
        category: 'footwear',
        options: [{ name: 'Size', values: ['S', 'M'] }],
        variants: [
          { sku: `${sku}-S`, values: ['S'], price: 4500, stock: 7 },
          { sku: `${sku}-M`, values: ['M'], price: 4200, stock: 3 },
        ],
      });
      expect(await unlabelled(page)).toEqual([]);
      const [row] = await primary<{ id: string }>('select id from products where slug = $1', [slug]);
      const productId = row!.id;

      // An image never stored before (its own colour and size): uploaded, then served as a PNG, immutable.
      const png = solidPng(40 + randomInt(40), [randomInt(256), randomInt(256), randomInt(256)]);
      const imageUrl = await uploadImageInConsole(page, slug, png, 'journey-shirt.png');
      expect(imageUrl).toMatch(/^\/images\/[0-9a-f]{64}\.png$/);
      const served = await page.request.get(imageUrl);
      expect(served.status()).toBe(200);
      expect(served.headers()['content-type']).toBe('image/png');
      expect(served.headers()['cache-control']).toContain('immutable');
      expect(Buffer.from(await served.body()).equals(png)).toBe(true);

      await setStatusInConsole(page, slug, 'Publish');
      await page.getByText('Published: shoppers see it').waitFor();
      await shot(page, 'journey-product');

      // Stock: the small size set to 12 with a reason; the ledger's newest entry says who, why and the levels.
      await setStockInConsole(page, slug, { sku: `${sku}-S`, kind: 'set', quantity: 12, reason: 'stock count' });
      await page.getByText('Stock saved').waitFor();
      expect(await levelsInConsole(page, `${sku}-S`)).toEqual({ onHand: 12, held: 0, sold: 0, available: 12 });
      const [newest] = await ledgerInConsole(page);
      expect(newest).toMatchObject({ kind: 'set', delta: '+5', why: 'stock count', levels: '12 · 0 · 0 · 12' });
      expect(newest!.who).toMatch(/^merchant /);
      await shot(page, 'journey-stock');

      // The public catalog has it, both variants and the image, within the invalidation bound.
      const seen = await eventually(
        'the product in the public catalog with its image',
        async () => {
          const { data } = await client().GET('/v1/products/{slug}', { params: { path: { slug } } });
          return data?.images.includes(imageUrl) ? data : undefined;
        },
        10_000,
      );
      expect(seen.variants.map((v) => v.sku).sort()).toEqual([`${sku}-M`, `${sku}-S`]);
      await page.goto(`/admin/products?q=${encodeURIComponent(sku)}`);
      await page.locator(`#products tr[data-slug="${slug}"]`).waitFor();
      await shot(page, 'journey-products');

      // A registered shopper buys two of the small size through the API (the local Stripe pays).
      const email = newEmail();
      const shopper = await registered(email);
      await addToCart(shopper.accessToken, `${sku}-S`, 2);
      const bought = await checkout(shopper.accessToken, checkoutBody('pm_card_visa', { email }));
      expect(bought.response.status, JSON.stringify(bought.error)).toBe(202);
      const orderId = bought.data!.orderId;
      await waitForStatus(shopper.accessToken, orderId, 'paid');
      await copied(orderId, 'paid');

      await findOrderInConsole(page, email, orderId);
      expect(await orderFacts(page)).toMatchObject({ status: 'paid', refunds: 0 });
      await shot(page, 'journey-order');
      await page.goto(`/admin/orders?email=${encodeURIComponent(email)}`);
      await shot(page, 'journey-orders');

      // The refund, from the console, restocked, with a reason the shopper is told.
      const refund = await refundInConsole(page, orderId, { restock: true, reason: 'changed their mind' });
      expect(refund.notice).toContain('Refund');
      await expect
        .poll(
          async () => {
            await page.reload();
            return (await orderFacts(page)).status;
          },
          { timeout: 20_000, interval: 500 },
        )
        .toBe('refunded');
      expect((await orderFacts(page)).refunds).toBe(1);
      await shot(page, 'journey-order-refunded');

      // The refund email, from the local mail sink.
      const [mail] = await mailOf(orderId, 'refund', 1);
      expect(mail!.to).toBe(email);
      expect(mail!.text).toContain('changed their mind');

      // The webhook deliveries, in the console's delivery log, and at the receiver.
      expect(await seeDeliveryInConsole(page, endpointId, { eventType: 'order.refunded', orderId })).toContain('204');
      await seeDeliveryInConsole(page, endpointId, { eventType: 'order.paid', orderId });
      expect(files.receiver.received(new URL(hookUrl).pathname).length).toBeGreaterThanOrEqual(2);
      await shot(page, 'journey-webhook-deliveries');

      // Each step in the audit log page, filtered by its target and action.
      const steps = [
        { targetType: 'webhook', targetId: endpointId, action: 'webhook.create' },
        { targetType: 'product', targetId: productId, action: 'product.create' },
        { targetType: 'image', targetId: imageUrl.split('/').pop()!, action: 'image.upload' },
        { targetType: 'product', targetId: productId, action: 'product.update' }, // the image attached
        { targetType: 'product', targetId: productId, action: 'product.publish' },
        { targetType: 'sku', targetId: `${sku}-S`, action: 'stock.set' },
        { targetType: 'order', targetId: orderId, action: 'order.refund' },
      ];
      for (const step of steps) {
        const entries = await auditInConsole(page, step);
        expect(
          entries.filter((e) => e.action === step.action && e.outcome === 'succeeded').length,
          `${step.action} of ${step.targetId}`,
        ).toBeGreaterThanOrEqual(1);
      }
      // The unfiltered log, newest first: the journey's writes as the page lists them.
      await page.goto('/admin/audit');
      await shot(page, 'journey-audit');

      // The customer's page lists the order.
      await page.goto(`/admin/customers?q=${encodeURIComponent(email)}`);
      await submit(page, page.locator('#customers').getByRole('link', { name: email }));
      expect(await page.locator('#orders').getByRole('link', { name: orderId }).count()).toBe(1);
      await shot(page, 'journey-customer');

      await deleteWebhookInConsole(page, hookUrl);
      expect(await page.locator('.notice').textContent()).toContain('deleted');
      await shot(page, 'journey-webhooks');
      expect(await overflows(page)).toBe(false);
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
