// The storefront in a real browser (Debian's Chromium via playwright-core, the console's launcher): a shopper goes
// home → a category → searches → opens a product → picks a variant with the picker (the script submits a choice
// made with the pointer; arrow keys only move the choice, the button loads it), on a phone-sized screen; no page logs a script error or a CSP refusal. Screenshots of each page go to
// .data/artifacts/shop/. The cart, checkout and account journeys are their own files.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, consoleContext, launchChromium, scriptErrorsOf } from './console-browser-kit';

const SHOTS = path.join(ARTIFACTS, '..', 'shop');
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
}, 90_000);
afterAll(async () => {
  await browser?.close();
});

describe('storefront in a browser', () => {
  it('browses home → category → search → product and picks a variant', async () => {
    const { context, page } = await consoleContext(browser, 390);
    // The seed's images live on a host this machine cannot reach: refused at once, not waited for.
    await context.route('https://images.storefront.example/**', (route) => route.abort());
    const errors = scriptErrorsOf(page);
    try {
      await page.goto('/');
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await page.getByRole('heading', { name: 'Featured: new in' }).count()).toBe(1);
      await shot(page, '1-home');

      await Promise.all([
        page.waitForURL('**/c/apparel'),
        page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: 'Apparel' }).click(),
      ]);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Apparel');
      await shot(page, '2-category');

      await page.getByLabel('Search products').fill('linen shirt');
      await Promise.all([page.waitForURL(/\/search\?q=/), page.getByLabel('Search products').press('Enter')]);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Results for “linen shirt”');
      expect(await page.locator('mark').count()).toBeGreaterThan(0);
      await shot(page, '3-search');

      const first = page.getByRole('list', { name: 'Search results' }).getByRole('link').first();
      await Promise.all([page.waitForURL(/\/p\//), first.click()]);
      await expect(page.locator('#availability').textContent()).resolves.toMatch(/In stock|Only \d+ left|Sold out/);
      await shot(page, '4-product');

      // The picker: with the script, choosing an option with the pointer loads that variant.
      // The script has run (it shows the hint) before an option is chosen, and again on the variant's page.
      const hint = page.locator('[data-autosubmit-hint]');
      await hint.waitFor();
      const show = page.getByRole('button', { name: 'Show this variant' });
      expect(await show.isVisible()).toBe(true);
      const sku = await page.locator('input[name="sku"]').getAttribute('value');
      const value = await page.locator('form.picker input[type="radio"]:not(:checked)').first().getAttribute('value');
      // Pinned by its value: a `:not(:checked)` locator would find another radio if the action were retried.
      const choice = page.locator(`form.picker input[value="${value}"]`);
      await Promise.all([page.waitForURL((u) => u.search !== ''), choice.check()]);
      await hint.waitFor();
      expect(await page.locator(`form.picker input[value="${value}"]`).isChecked()).toBe(true);
      // Another variant, or no form for a combination that is not made.
      const next = await page
        .locator('input[name="sku"]')
        .getAttribute('value', { timeout: 1000 })
        .catch(() => null);
      expect(next).not.toBe(sku);
      await shot(page, '5-variant');

      // With the keyboard, an arrow key moves the choice without sending the form (a submit would be counted here,
      // and stopped); the button then loads the variant chosen.
      type Counted = { submits: number; stopSubmits: (e: Event) => void };
      await page.evaluate(() => {
        const w = window as unknown as Counted;
        w.submits = 0;
        w.stopSubmits = (e) => {
          w.submits++;
          e.preventDefault();
        };
        window.addEventListener('submit', w.stopSubmits, true);
      });
      const group = page.locator('form.picker fieldset').first();
      const before = await group.locator('input:checked').getAttribute('value');
      await group.locator('input:checked').focus();
      await page.keyboard.press('ArrowRight');
      const arrowed = await group.locator('input:checked').getAttribute('value');
      expect(arrowed).not.toBe(before);
      expect(await page.evaluate(() => (window as unknown as Counted).submits)).toBe(0);
      await page.evaluate(() => window.removeEventListener('submit', (window as unknown as Counted).stopSubmits, true));
      const name = await group.locator('input:checked').getAttribute('name');
      await Promise.all([page.waitForURL((u) => u.searchParams.get(name!) === arrowed), show.press('Enter')]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
