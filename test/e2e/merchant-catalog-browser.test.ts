// The console's catalog pages in a real browser: Debian's Chromium driven by playwright-core, against the running
// stack (issue 13's proof, the catalog half of the merchant journey). The dev merchant signs in, creates a product
// with two variants through the form (a bad price and a refused delete shown next to their forms, what was typed
// kept), uploads a PNG made here, publishes, sets stock with a reason and sees the ledger entry; the product is then
// in the public catalog API with its image served from /images/... . Every input has a label, and the pages fit a
// 390 px wide phone. Screenshots go to .data/artifacts/console/ (catalog-*.png).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, eventually, freshIp, gateway, uniqueWord } from './helpers';
import {
  createProductInConsole,
  fillNewProduct,
  ledgerInConsole,
  levelsInConsole,
  setStatusInConsole,
  setStockInConsole,
  signInToConsole,
  solidPng,
  uploadImageInConsole,
} from './merchant-journey-steps';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.data/artifacts/console');
/** Every browser wait is bounded by this (a hung page fails the test, never the run). */
const WAIT_MS = 20_000;

let browser: Browser;

beforeAll(async () => {
  // Never skipped: a machine without the browser fails here, saying how to get it.
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) ` +
        'or point CHROMIUM_PATH at a Chromium or Chrome binary',
    );
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start: without the sandbox for that reason only.
    chromiumSandbox: false,
    args: ['--headless=new'],
    timeout: 60_000,
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Inputs a person could not name: every field must have a label (hidden fields aside). */
const unlabelled = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
      .filter((e) => !(e as HTMLInputElement).labels?.length)
      .map((e) => e.outerHTML),
  );
/** Whether the page scrolls sideways (wide tables scroll inside their own box instead). */
const overflows = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);

describe('the catalog pages in Chromium', () => {
  it('create a product with two variants and an image, publish it, set stock, see the ledger and the catalog', {
    timeout: 180_000,
  }, async () => {
    const context = await browser.newContext({
      baseURL: gateway(),
      extraHTTPHeaders: { 'cf-connecting-ip': freshIp() },
      viewport: { width: 1280, height: 1000 },
    });
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    // Script errors and CSP refusals (an inline style or script would be one); the refused forms' own 4xx answers
    // are logged by Chromium as failed loads, which is what they are meant to be.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) scriptErrors.push(m.text());
    });
    page.on('pageerror', (err) => scriptErrors.push(err.message));
    try {
      // No session: the products page sends the browser to the sign-in form.
      await page.goto('/admin/products');
      expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
      await signInToConsole(page, 'merchant');
      await page.getByRole('link', { name: 'Products', exact: true }).click();
      await page.waitForURL((u) => u.pathname === '/admin/products');
      expect(await unlabelled(page)).toEqual([]);

      const slug = uniqueWord('console');
      const sku = slug.toUpperCase();
      const product = {
        title: `Console Linen Shirt ${slug}`,
        slug,
        brand: 'Harbor',
        category: 'footwear',
        options: [{ name: 'Size', values: ['S', 'M'] }],
        variants: [
          { sku: `${sku}-S`, values: ['S'], price: 4500, stock: 7 },
          { sku: `${sku}-M`, values: ['M'], price: 4200, stock: 3 },
        ],
      };

      // A price with a decimal point is refused next to the form, naming the row; what was typed stays.
      await fillNewProduct(page, product);
      expect(await unlabelled(page)).toEqual([]);
      await page.locator('fieldset.variant').nth(1).getByLabel('Price (minor units: 4500 is 45.00)').fill('42.00');
      await page.getByRole('button', { name: 'Create product' }).click();
      await page.locator('#new-errors').waitFor();
      expect(await page.locator('#new-errors').textContent()).toContain(
        'Variant 2 price: a whole number of minor units',
      );
      expect(await page.getByLabel('Title', { exact: true }).inputValue()).toBe(product.title);
      expect(await page.locator('fieldset.variant').nth(0).getByLabel('SKU').inputValue()).toBe(`${sku}-S`);
      await shot(page, 'catalog-new-refused');

      await createProductInConsole(page, product);
      expect(await page.locator('h1').textContent()).toBe(product.title);
      expect(await unlabelled(page)).toEqual([]);

      // The API's refusal of a second variant with a taken SKU is shown by the add-variant form, values kept.
      const add = page.locator('form:has(legend:text-is("Add a variant"))');
      await add.getByLabel('SKU').fill(`${sku}-S`);
      await add.getByLabel('Size').fill('S');
      await add.getByLabel('Price (minor units: 4500 is 45.00)').fill('100');
      await add.getByRole('button', { name: 'Add variant' }).click();
      await page.locator('#add-variant-errors').waitFor();
      expect(await page.locator('#add-variant-errors').textContent()).toMatch(/SKU_TAKEN|VARIANT_OPTIONS_TAKEN/);
      expect(await page.locator('#add-price').inputValue()).toBe('100');

      const png = solidPng(48);
      const imageUrl = await uploadImageInConsole(page, slug, png, 'console-shirt.png');
      expect(imageUrl).toMatch(/^\/images\/[0-9a-f]{64}\.png$/);
      // The browser shows it: the gateway serves it as a PNG, immutable.
      const served = await page.request.get(imageUrl);
      expect(served.status()).toBe(200);
      expect(served.headers()['content-type']).toBe('image/png');
      expect(served.headers()['cache-control']).toContain('immutable');
      expect(Buffer.from(await served.body()).equals(png)).toBe(true);
      expect(
        await page
          .locator('ul.images img')
          .first()
          .evaluate((img: HTMLImageElement) => img.naturalWidth),
      ).toBe(48);

      await setStatusInConsole(page, slug, 'Publish');
      await page.getByText('Published: shoppers see it').waitFor();
      // Deleting a published product is refused by the API; the page says why, next to the delete button.
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.locator('#delete-errors').waitFor();
      expect(await page.locator('#delete-errors').textContent()).toContain('PRODUCT_PUBLISHED');
      await page.goto(`/admin/products/${slug}`);
      await shot(page, 'catalog-edit');

      // Stock: set the small size to 12 with a reason; the ledger's newest entry says who, why and the levels.
      await setStockInConsole(page, slug, { sku: `${sku}-S`, kind: 'set', quantity: 12, reason: 'stock count' });
      await page.getByText('Stock saved').waitFor();
      expect(await levelsInConsole(page, `${sku}-S`)).toEqual({ onHand: 12, held: 0, sold: 0, available: 12 });
      const [newest] = await ledgerInConsole(page);
      expect(newest).toMatchObject({ kind: 'set', delta: '+5', why: 'stock count', levels: '12 · 0 · 0 · 12' });
      expect(newest!.who).toMatch(/^merchant /);
      expect(await unlabelled(page)).toEqual([]);
      await setStockInConsole(page, slug, { sku: `${sku}-S`, kind: 'adjust', quantity: -2, reason: 'damaged' });
      const entries = await ledgerInConsole(page);
      expect(entries.slice(0, 2).map((e) => [e.kind, e.delta, e.why])).toEqual([
        ['adjust', '-2', 'damaged'],
        ['set', '+5', 'stock count'],
      ]);
      // A change without a reason never reaches the API: the browser asks for it (required), and a blank one
      // (spaces pass the browser) is refused by the console next to the form; the ledger is as it was.
      const reason = page.getByLabel('Reason (kept in the ledger)', { exact: true });
      await page.getByLabel('Quantity', { exact: true }).fill('3');
      await page.getByRole('button', { name: 'Save stock' }).click();
      expect(await reason.evaluate((e: HTMLInputElement) => e.validity.valueMissing)).toBe(true);
      await reason.fill('   ');
      await page.getByRole('button', { name: 'Save stock' }).click();
      await page.locator('#stock-errors').waitFor();
      expect(await page.locator('#stock-errors').textContent()).toContain('Give the reason');
      expect(await page.getByLabel('Quantity', { exact: true }).inputValue()).toBe('3');
      expect((await ledgerInConsole(page)).length).toBe(entries.length);
      await page.goto(`/admin/products/${slug}/stock?sku=${sku}-S`);
      await shot(page, 'catalog-stock');

      // The public catalog has it, with both variants and the image, within the invalidation bound.
      const shopper = client();
      const seen = await eventually(
        'the product in the public catalog with its image',
        async () => {
          const { data } = await shopper.GET('/v1/products/{slug}', { params: { path: { slug } } });
          return data?.images.includes(imageUrl) ? data : undefined;
        },
        10_000,
      );
      expect(seen.variants.map((v) => v.sku).sort()).toEqual([`${sku}-M`, `${sku}-S`]);

      // The list finds it by SKU, published.
      await page.goto('/admin/products');
      await page.getByLabel('Search (title, slug or SKU)').fill(`${sku}-M`);
      await page.getByLabel('Status').selectOption('published');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator(`#products tr[data-slug="${slug}"]`).waitFor();
      expect(await page.locator('#products tbody tr').count()).toBe(1);
      await shot(page, 'catalog-list');

      // A phone, 390 px wide: the pages fit without scrolling sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      for (const url of ['/admin/products', `/admin/products/${slug}`, `/admin/products/${slug}/stock`]) {
        await page.goto(url);
        expect(await overflows(page), url).toBe(false);
      }
      await page.goto(`/admin/products/${slug}`);
      await shot(page, 'catalog-edit-390');
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
