// The merchant journey's steps in the console, as a person would take them in Chromium (playwright-core): each is
// a function of the page, so the catalog's steps here and the orders' steps can be joined into one whole journey
// (issue 13's proof). Each step waits for the page its form leads to and checks the page says it was done.
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';

export interface ConsoleVariant {
  sku: string;
  /** Option values, in the order of the product's options. */
  values: string[];
  /** Minor units. */
  price: number;
  stock: number;
}

export interface ConsoleProduct {
  title: string;
  slug: string;
  brand: string;
  /** A category slug. */
  category: string;
  options: { name: string; values: string[] }[];
  variants: ConsoleVariant[];
  description?: string;
}

/** Fills the new-product form: the product, its options and one row per variant (the rest left empty). */
export async function fillNewProduct(page: Page, p: ConsoleProduct) {
  await page.goto('/admin/new-product');
  await page.getByLabel('Title', { exact: true }).fill(p.title);
  await page.getByLabel('Slug (web address; default: from the title)').fill(p.slug);
  await page.getByLabel('Brand', { exact: true }).fill(p.brand);
  await page.getByLabel('Category', { exact: true }).selectOption(p.category);
  await page.getByLabel('Description', { exact: true }).fill(p.description ?? `${p.title}, made in the console.`);
  for (const [i, o] of p.options.entries()) {
    await page.getByLabel(`Option ${i + 1} name`, { exact: true }).fill(o.name);
    await page.getByLabel(`Option ${i + 1} values (comma-separated)`).fill(o.values.join(', '));
  }
  for (const [i, v] of p.variants.entries()) {
    const row = page.locator('fieldset.variant').nth(i);
    await row.getByLabel('SKU', { exact: true }).fill(v.sku);
    for (const [n, value] of v.values.entries())
      await row.getByLabel(`Option ${n + 1} value`, { exact: true }).fill(value);
    await row.getByLabel('Price (minor units: 4500 is 45.00)', { exact: true }).fill(String(v.price));
    await row.getByLabel('Initial stock', { exact: true }).fill(String(v.stock));
  }
}

/** Creates a product with its variants through the new-product form; lands on its edit page. */
export async function createProductInConsole(page: Page, p: ConsoleProduct) {
  await fillNewProduct(page, p);
  await Promise.all([
    page.waitForURL((u) => u.pathname === `/admin/products/${p.slug}`),
    page.getByRole('button', { name: 'Create product' }).click(),
  ]);
  await page.getByText('Product created.').waitFor();
}

/** A real PNG of `size`×`size` pixels in one colour, made here (no file on disk). */
export function solidPng(size = 32, rgb: [number, number, number] = [11, 92, 173]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => rgb).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: size }, () => row)));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

/** Uploads an image on the product's edit page; answers the URL it is served at (/images/<hash>.png). */
export async function uploadImageInConsole(page: Page, slug: string, png: Buffer, name = 'product.png') {
  if (new URL(page.url()).pathname !== `/admin/products/${slug}`) await page.goto(`/admin/products/${slug}`);
  const before = await page.locator('ul.images img').count();
  await page.getByLabel(/^Upload an image/).setInputFiles({ name, mimeType: 'image/png', buffer: png });
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('done') === 'image-added'),
    page.getByRole('button', { name: 'Upload', exact: true }).click(),
  ]);
  const images = page.locator('ul.images img');
  await images.nth(before).waitFor();
  return (await images.nth(before).getAttribute('src'))!;
}

/** Publishes (or unpublishes, archives) the product from its edit page. */
export async function setStatusInConsole(page: Page, slug: string, action: 'Publish' | 'Unpublish' | 'Archive') {
  if (new URL(page.url()).pathname !== `/admin/products/${slug}`) await page.goto(`/admin/products/${slug}`);
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('done') === action.toLowerCase()),
    page.getByRole('button', { name: action, exact: true }).click(),
  ]);
}

/** Sets (a count) or adjusts (a delta) a SKU's stock with a reason on the product's stock page. */
export async function setStockInConsole(
  page: Page,
  slug: string,
  change: { sku: string; kind: 'set' | 'adjust'; quantity: number; reason: string },
) {
  await page.goto(`/admin/products/${slug}/stock?sku=${encodeURIComponent(change.sku)}`);
  await page.getByLabel('SKU', { exact: true }).selectOption(change.sku);
  await page.getByLabel('Change', { exact: true }).selectOption(change.kind);
  await page.getByLabel('Quantity', { exact: true }).fill(String(change.quantity));
  await page.getByLabel('Reason (kept in the ledger)', { exact: true }).fill(change.reason);
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('done') === 'stock-saved'),
    page.getByRole('button', { name: 'Save stock' }).click(),
  ]);
}

/** A SKU's live levels as the stock page shows them. */
export async function levelsInConsole(page: Page, sku: string) {
  const row = page.locator(`#levels tr[data-sku="${sku}"]`);
  const level = async (name: string) => Number(await row.locator(`td[data-level="${name}"]`).textContent());
  return {
    onHand: await level('onHand'),
    held: await level('held'),
    sold: await level('sold'),
    available: await level('available'),
  };
}

/** The ledger rows on the stock page, newest first, as text cells. */
export async function ledgerInConsole(page: Page) {
  return page.locator('#ledger tbody tr').evaluateAll((rows) =>
    rows.map((r) => {
      const [seq, at, kind, delta, who, why, levels] = Array.from(r.children, (c) => (c.textContent ?? '').trim());
      return { seq: Number(seq), at, kind, delta, who, why, levels };
    }),
  );
}
