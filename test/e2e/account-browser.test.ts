// The account pages in a real browser (Debian's Chromium driven by playwright-core, against the running stack): a
// guest adds to its cart on a product page, signs in and sees the merged cart and their order history; a wrong
// password is shown next to the form with the email kept; a password reset through the mail sink's link; the email
// verification link. Screenshots of each page go to .data/artifacts/shop/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customer, linkOf, mailTo } from './account-helpers';
import { addToCart, checkout, freshSku } from './checkout-helpers';
import { consoleContext, launchChromium, overflows, scriptErrorsOf, submit, unlabelled } from './console-browser-kit';
import { client, freshIp, gateway, ok, primary } from './helpers';
import { PASSWORD } from './identity-helpers';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.data/artifacts/shop');
const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

let browser: Browser;
beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  await browser?.close();
});

/** A browser whose shopper adds `quantity` of `sku` on its product page (the first cart action starts a guest). */
async function browserWithCart(sku: string, quantity: number) {
  const { context, page } = await consoleContext(browser, 390);
  const [row] = await primary<{ slug: string }>(
    'select p.slug from products p join product_variants v on v.product_id = p.id where v.sku = $1',
    [sku],
  );
  await page.goto(`/p/${row!.slug}`);
  await page.getByLabel('Quantity').fill(String(quantity));
  await submit(page, page.getByRole('button', { name: 'Add to cart' }));
  return { context, page };
}

describe('account pages in a browser', () => {
  it('a guest with a cart signs in, sees the merged cart (count and cart page) and their order history', async () => {
    const { email, token } = await customer();
    const sku = await freshSku(10);
    await addToCart(token, sku, 1);
    const placed = await checkout(token);
    expect(placed.response.status, JSON.stringify(placed.error)).toBe(202);
    const orderId = placed.data!.orderId;

    const before = (await ok('cart', client(token).GET('/v1/cart'))).lines.find((l) => l.sku === sku)?.quantity ?? 0;
    const { context, page } = await browserWithCart(sku, 2);
    const errors = scriptErrorsOf(page);
    try {
      await page.goto('/account');
      await page.waitForURL('**/account/sign-in');
      expect(await unlabelled(page)).toEqual([]);
      await shot(page, 'account-sign-in');

      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('not the password');
      await submit(page, page.getByRole('button', { name: 'Sign in' }));
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');
      expect(await page.getByLabel('Email').inputValue()).toBe(email);
      expect(await page.getByLabel('Password').inputValue()).toBe('');
      await shot(page, 'account-sign-in-refused');

      await page.getByLabel('Password').fill(PASSWORD);
      await submit(page, page.getByRole('button', { name: 'Sign in' }));
      await page.waitForURL('**/account');
      await expect.poll(() => page.locator('main').textContent()).toContain(orderId);
      expect(await page.getByRole('link', { name: `Order ${orderId}` }).getAttribute('href')).toBe(
        `/orders/${orderId}`,
      );
      expect(await overflows(page)).toBe(false);
      // The guest's 2 units joined the account's cart, and the header's count is the merged cart's.
      const cart = await ok('cart', client(token).GET('/v1/cart'));
      expect(cart.lines.find((l) => l.sku === sku)?.quantity).toBe(before + 2);
      const nav = await page.getByRole('navigation', { name: 'Your account and cart' }).textContent();
      expect(nav).toContain(`Cart, ${cart.itemCount} item`);
      expect(nav).toContain('Your account');
      expect(await unlabelled(page)).toEqual([]);
      await shot(page, 'account-home');

      // The cart page shows the merged cart: the guest's 2 units on the account's line for the SKU.
      await page.goto('/cart');
      const line = page.locator('div', { has: page.locator('p.sku', { hasText: `SKU ${sku}` }) }).last();
      expect(await line.locator('input[name="quantity"]').inputValue()).toBe(String(before + 2));
      expect(await unlabelled(page)).toEqual([]);
      await shot(page, 'account-merged-cart');

      await page.goto('/account/addresses');
      await page.getByLabel('Full name').fill('Ada Shopper');
      await page.getByLabel('Address', { exact: true }).fill('1 Main Street');
      await page.getByLabel('City').fill('Springfield');
      await page.getByLabel('Postal code').fill('62701');
      await page.getByLabel('Country code').fill('XX');
      await submit(page, page.getByRole('button', { name: 'Save address' }));
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('country');
      expect(await page.getByLabel('City').inputValue()).toBe('Springfield');
      await page.getByLabel('Country code').fill('US');
      await submit(page, page.getByRole('button', { name: 'Save address' }));
      await expect.poll(() => page.locator('main address').first().textContent()).toContain('1 Main Street');
      expect(await overflows(page)).toBe(false);
      await shot(page, 'account-addresses');

      await page.goto('/account');
      await submit(page, page.getByRole('button', { name: 'Sign out' }));
      await page.goto('/account');
      await page.waitForURL('**/account/sign-in');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('resets a password through the emailed link, then signs in with the new one', async () => {
    const { email } = await customer();
    const { context, page } = await consoleContext(browser, 390);
    const errors = scriptErrorsOf(page);
    try {
      await page.goto('/account/reset');
      await page.getByLabel('Email').fill(email);
      await shot(page, 'account-reset-request');
      await submit(page, page.getByRole('button', { name: 'Email me a link' }));
      await expect.poll(() => page.getByRole('status').textContent()).toContain('on its way');

      const { url } = linkOf(await mailTo(email, 'password_reset'));
      await page.goto(url.href);
      await page.getByLabel('New password', { exact: true }).fill('a brand new password');
      await shot(page, 'account-reset-new-password');
      await submit(page, page.getByRole('button', { name: 'Set the new password' }));
      await expect.poll(() => page.locator('h1').textContent()).toBe('Your password is changed');

      // The link works once.
      await page.goto(url.href);
      await page.getByLabel('New password', { exact: true }).fill('yet another password');
      await submit(page, page.getByRole('button', { name: 'Set the new password' }));
      await expect.poll(() => page.locator('main').textContent()).toContain('used or has expired');

      await page.goto('/account/sign-in');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('a brand new password');
      await submit(page, page.getByRole('button', { name: 'Sign in' }));
      await page.waitForURL('**/account');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('confirms an email address from the emailed link (opening it uses nothing up)', async () => {
    const { email, token } = await customer();
    const { url } = linkOf(await mailTo(email, 'verify_email'));
    const { context, page } = await consoleContext(browser, 390);
    try {
      await page.goto(url.href);
      expect((await ok('me', client(token).GET('/v1/me'))).emailVerified).toBe(false);
      await shot(page, 'account-verify');
      await submit(page, page.getByRole('button', { name: 'Confirm my email address' }));
      await expect.poll(() => page.locator('h1').textContent()).toBe('Your email address is confirmed');
      expect((await ok('me', client(token).GET('/v1/me'))).emailVerified).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('refuses a form posted without the CSRF token (403) and changes nothing', async () => {
    const res = await fetch(`${gateway()}/account/reset`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: gateway(),
        'cf-connecting-ip': freshIp(),
      },
      body: 'email=someone%40example.com',
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(403);
  });
});
