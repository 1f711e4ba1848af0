// The shopper's buying journeys in a real browser (issue 15's proof; Debian's Chromium driven by playwright-core,
// against the running stack). (1) A guest searches, opens a product, picks a variant, adds two, changes the cart,
// checks out with the visa test card and sees the order become paid on its page (the status script follows it).
// (3) A sold-out product is refused clearly: its page says sold out and offers no add, and a checkout that loses a
// race for the last units shows the 409 next to the form, nothing charged. (Journey 2, sign-in with a merged cart,
// is in the account tests.) One browser for the file; screenshots go to .data/artifacts/shop/.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, checkoutBody, inventory, shopperWith } from './checkout-helpers';
import { ARTIFACTS, consoleContext, launchChromium, scriptErrorsOf, submit, unlabelled } from './console-browser-kit';
import { ok, uniqueWord } from './helpers';
import { variantProduct } from './shop-buy-helpers';

const SHOTS = path.join(ARTIFACTS, '../shop');
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  await browser?.close();
});

/** The checkout form filled as a shopper types it (the visa test card is the default choice). */
async function fillCheckout(page: Page) {
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Full name').fill('Ada Shopper');
  await page.getByLabel('Street address').fill('1 Main Street');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('Postal code').fill('62701');
}

describe('shopper journeys in Chromium', () => {
  it('(1) a guest searches, picks a variant, adds two, changes the cart, pays with the visa test card: paid', {
    timeout: 120_000,
  }, async () => {
    const word = uniqueWord();
    const product = await variantProduct(word, { S: 20, M: 20 });
    const { context, page } = await consoleContext(browser);
    const scriptErrors = scriptErrorsOf(page);
    try {
      await page.goto('/');
      await page.getByLabel('Search products').fill(word);
      await submit(page, page.getByRole('button', { name: 'Search' }));
      await shot(page, 'journey-search');
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: product.title }).first().click()]);
      expect(new URL(page.url()).pathname).toBe(`/p/${product.slug}`);

      // The variant picker: size M (the shop's script shows it as soon as it is chosen).
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('Size') === 'M'),
        page.getByRole('radio', { name: 'M' }).check(),
      ]);
      await shot(page, 'journey-product');
      await page.getByLabel('Quantity').fill('2');
      await submit(page, page.getByRole('button', { name: 'Add to cart' }));
      expect(new URL(page.url()).pathname).toBe('/cart');
      await expect.poll(() => page.locator('.cart-line').count()).toBe(1);
      expect(await page.locator('.cart-line').getAttribute('data-sku')).toBe(product.skus.M);
      expect(await page.getByLabel('Quantity').inputValue()).toBe('2');

      // Changes the cart: three of them, then the subtotal follows.
      await page.getByLabel('Quantity').fill('3');
      await submit(page, page.getByRole('button', { name: 'Update' }));
      expect(await page.getByRole('status').first().textContent()).toContain('Quantity updated.');
      expect(await page.locator('#cart-subtotal').textContent()).toBe('$75.00');
      expect(await unlabelled(page)).toEqual([]);
      await shot(page, 'journey-cart');

      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Checkout' }).click()]);
      await fillCheckout(page);
      expect(await page.getByLabel('Visa test card (succeeds)').isChecked()).toBe(true);
      // US: 75.00 + 5.00 shipping + 7.25 % tax = 85.80.
      expect(await page.locator('#total').textContent()).toBe('$85.80');
      expect(await unlabelled(page)).toEqual([]);
      await shot(page, 'journey-checkout');
      await submit(page, page.getByRole('button', { name: /Place order and pay/ }));
      expect(new URL(page.url()).pathname).toMatch(/^\/orders\/[^/]+$/);
      // The status script follows the payment: paid within seconds, without a reload.
      await page.locator('#order-status[data-status="paid"]').waitFor();
      expect(await page.locator('#order-status').textContent()).toBe('Paid');
      await shot(page, 'journey-order-paid');
      expect(await inventory(product.skus.M)).toMatchObject({ sold: 3 });
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('(3) a sold-out product is refused clearly: its page, and a checkout that lost the race (409)', {
    timeout: 120_000,
  }, async () => {
    const word = uniqueWord();
    const product = await variantProduct(word, { S: 0, M: 2 });
    const { context, page } = await consoleContext(browser);
    const scriptErrors = scriptErrorsOf(page);
    try {
      // Size S has none: the page says so and offers no add.
      await page.goto(`/p/${product.slug}?sku=${product.skus.S}`);
      expect(await page.locator('#availability').textContent()).toMatch(/sold out/i);
      expect(await page.getByRole('button', { name: 'Sold out' }).isDisabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Add to cart' }).count()).toBe(0);
      await shot(page, 'sold-out-product');

      // Size M: the shopper puts the last two in the cart and opens checkout...
      await page.goto(`/p/${product.slug}?sku=${product.skus.M}`);
      await page.getByLabel('Quantity').fill('2');
      await submit(page, page.getByRole('button', { name: 'Add to cart' }));
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Checkout' }).click()]);
      await fillCheckout(page);
      // ...while another shopper buys them.
      const rival = await shopperWith(product.skus.M, 2);
      await ok('rival checkout', checkout(rival, checkoutBody()));
      await submit(page, page.getByRole('button', { name: /Place order and pay/ }));
      expect(new URL(page.url()).pathname).toBe('/checkout');
      const alert = await page.locator('#checkout-error').textContent();
      expect(alert).toContain('Sold out while you were checking out');
      expect(alert).toContain(product.skus.M);
      expect(alert).toContain(product.title); // named as the cart names it, not by its SKU alone
      // The address typed is kept; nothing was ordered.
      expect(await page.getByLabel('City').inputValue()).toBe('Springfield');
      await shot(page, 'sold-out-checkout');
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
