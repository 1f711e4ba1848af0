// The console's catalog pages in a real browser (Chromium + playwright-core, against the running stack): what the
// whole journey (merchant-journey.test.ts: create, upload, publish, set stock, catalog) does not cover. A product
// made through the merchant API is enough here: a bad price and a taken SKU are refused next to their forms with
// what was typed kept, deleting a published product is refused, a stock adjustment lands in the ledger and a blank
// reason is refused without writing; every input has a label and the pages fit a 390 px wide phone. Screenshots go
// to .data/artifacts/console/ (catalog-*.png).
import { describe, expect, it } from 'vitest';
import {
  browserForFile,
  consoleContext,
  navLink,
  overflows,
  scriptErrorsOf,
  shot,
  signInToConsole,
  unlabelled,
} from './console-browser-kit';
import { client, merchantToken, ok, uniqueWord } from './helpers';
import { fillNewProduct, ledgerInConsole, setStockInConsole } from './merchant-journey-steps';

const files = browserForFile();

/** A published product with sizes S and M, made through the merchant API (the journey makes one in the form). */
async function publishedProduct() {
  const slug = uniqueWord('console');
  const sku = slug.toUpperCase();
  await ok(
    'create product',
    client(await merchantToken()).POST('/v1/admin/products', {
      body: {
        slug,
        title: `Console Linen Shirt ${slug}`,
        description: 'Made for the console test.',
        brand: 'Harbor',
        category: 'footwear',
        currency: 'USD',
        status: 'published',
        options: [{ name: 'Size', values: ['S', 'M'] }],
        variants: [
          { sku: `${sku}-S`, title: 'S', options: { Size: 'S' }, priceAmount: 4500, initialStock: 7 },
          { sku: `${sku}-M`, title: 'M', options: { Size: 'M' }, priceAmount: 4200, initialStock: 3 },
        ],
      },
    }),
  );
  return { slug, sku };
}

describe('the catalog pages in Chromium', () => {
  it('refusals shown next to their forms, a stock adjustment in the ledger, labels, and a 390 px phone', {
    timeout: 180_000,
  }, async () => {
    const { slug, sku } = await publishedProduct();
    const { context, page } = await consoleContext(files.browser);
    const scriptErrors = scriptErrorsOf(page);
    try {
      await signInToConsole(page, 'merchant');
      // The nav's link, not the overview's body link of the same name.
      await navLink(page, 'Products').click();
      await page.waitForURL((u) => u.pathname === '/admin/products');
      expect(await unlabelled(page)).toEqual([]);

      // A price with a decimal point is refused next to the form, naming the row; what was typed stays.
      const fresh = uniqueWord('console');
      await fillNewProduct(page, {
        title: `Console Refused ${fresh}`,
        slug: fresh,
        brand: 'Harbor',
        category: 'footwear',
        options: [{ name: 'Size', values: ['S', 'M'] }],
        variants: [
          { sku: `${fresh.toUpperCase()}-S`, values: ['S'], price: 4500, stock: 7 },
          { sku: `${fresh.toUpperCase()}-M`, values: ['M'], price: 4200, stock: 3 },
        ],
      });
      expect(await unlabelled(page)).toEqual([]);
      await page.locator('fieldset.variant').nth(1).getByLabel('Price (minor units: 4500 is 45.00)').fill('42.00');
      await page.getByRole('button', { name: 'Create product' }).click();
      await page.locator('#new-errors').waitFor();
      expect(await page.locator('#new-errors').textContent()).toContain(
        'Variant 2 price: a whole number of minor units',
      );
      expect(await page.getByLabel('Title', { exact: true }).inputValue()).toBe(`Console Refused ${fresh}`);
      expect(await page.locator('fieldset.variant').nth(0).getByLabel('SKU').inputValue()).toBe(
        `${fresh.toUpperCase()}-S`,
      );
      await shot(page, 'catalog-new-refused');

      // The API's refusal of a second variant with a taken SKU is shown by the add-variant form, values kept.
      await page.goto(`/admin/products/${slug}`);
      expect(await unlabelled(page)).toEqual([]);
      const add = page.locator('form:has(legend:text-is("Add a variant"))');
      await add.getByLabel('SKU').fill(`${sku}-S`);
      await add.getByLabel('Size').fill('S');
      await add.getByLabel('Price (minor units: 4500 is 45.00)').fill('100');
      await add.getByRole('button', { name: 'Add variant' }).click();
      await page.locator('#add-variant-errors').waitFor();
      expect(await page.locator('#add-variant-errors').textContent()).toMatch(/SKU_TAKEN|VARIANT_OPTIONS_TAKEN/);
      expect(await page.locator('#add-price').inputValue()).toBe('100');

      // Deleting a published product is refused by the API; the page says why, next to the delete button.
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.locator('#delete-errors').waitFor();
      expect(await page.locator('#delete-errors').textContent()).toContain('PRODUCT_PUBLISHED');
      await shot(page, 'catalog-delete-refused');

      // An adjustment (a delta) lands in the ledger with its reason.
      await setStockInConsole(page, slug, { sku: `${sku}-S`, kind: 'adjust', quantity: -2, reason: 'damaged' });
      expect(await unlabelled(page)).toEqual([]);
      const entries = await ledgerInConsole(page);
      expect(entries[0]).toMatchObject({ kind: 'adjust', delta: '-2', why: 'damaged', levels: '5 · 0 · 0 · 5' });
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
      await shot(page, 'catalog-stock-refused');

      // A phone, 390 px wide: the pages fit without scrolling sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      for (const url of [
        '/admin/products',
        '/admin/new-product',
        `/admin/products/${slug}`,
        `/admin/products/${slug}/stock`,
      ]) {
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
