/** @jsxImportSource hono/jsx */
// The stock page's routes (/admin/products/:slug/stock, merchant role; the session is checked by productRoutes,
// which mounts these): the levels and the ledger of a product's SKUs, and a stock change (set or adjust) with its
// reason, through the merchant API (PUT /v1/admin/inventory/:sku, POST .../adjustments).
import { Hono } from 'hono';
import { api, failedBy, noticeOf, pathOf } from './catalog.kit';
import type { Failed } from './fields';
import { badRequest, checkedForm, csrfOf, failedPage, html, notFound, queryOf, statusOf } from './kit';
import { type Part, part } from './ops.data';
import { parseStockChange, valuesOf } from './products.form';
import { productHref } from './products.page';
import type { ConsoleApp, ConsoleContext } from './session';
import { LEDGER_PAGE, STOCK_PARAMS, StockPage } from './stock.page';

const readProduct = (c: ConsoleContext, slug: string) => part(api(c).GET('/v1/admin/products/{slug}', pathOf(slug)));
type Product = Extract<Awaited<ReturnType<typeof readProduct>>, { ok: true }>['data'];

const productFailed = (c: ConsoleContext, p: Part<unknown> & { ok: false }) =>
  p.status === 404 || p.status === 400
    ? notFound(c, 'There is no such product.')
    : failedPage(c, 'Could not read the product', p);
const hasSku = (p: Product, sku: string | undefined) => !!sku && p.variants.some((v) => v.sku === sku);

async function stockPage(c: ConsoleContext, slug: string, q: Record<string, string>, failed?: Failed, read?: Product) {
  let p = read;
  if (!p) {
    const product = await readProduct(c, slug);
    if (!product.ok) return productFailed(c, product);
    p = product.data;
  }
  const chosen = failed?.values.sku?.toUpperCase();
  const sku = hasSku(p, chosen) ? chosen : q.sku || p.variants[0]?.sku;
  if (!sku || !hasSku(p, sku)) return badRequest(c, 'This product has no such SKU.');
  const query = { limit: LEDGER_PAGE, ...(q.cursor ? { cursor: q.cursor } : {}) };
  const [levels, ledger] = await Promise.all([
    Promise.all(p.variants.map((v) => part(api(c).GET('/v1/inventory/{sku}', { params: { path: { sku: v.sku } } })))),
    part(api(c).GET('/v1/admin/inventory/{sku}/events', { params: { path: { sku }, query } })),
  ]);
  const page = (
    <StockPage
      product={p}
      sku={sku}
      levels={levels}
      ledger={ledger}
      failed={failed}
      notice={noticeOf(q.done)}
      session={c.get('session')}
      csrf={await csrfOf(c)}
    />
  );
  return html(c, page, failed?.status ?? statusOf(ledger));
}

export function stockRoutes(): Hono<ConsoleApp> {
  const r = new Hono<ConsoleApp>();
  r.get('/products/:slug/stock', async (c) => {
    const q = queryOf(c, STOCK_PARAMS);
    if (!q) return badRequest(c, `Unknown parameter: the page takes ${STOCK_PARAMS.join(', ')}.`);
    return stockPage(c, c.req.param('slug'), q);
  });

  r.post('/products/:slug/stock', async (c) => {
    const slug = c.req.param('slug');
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const values = valuesOf(checked.form);
    // The product first: a SKU that is not one of its own is refused here, before any stock is written.
    const product = await readProduct(c, slug);
    if (!product.ok) return productFailed(c, product);
    const parsed = parseStockChange(values);
    const refuse = (errors: string[]) =>
      stockPage(c, slug, {}, { form: 'stock', status: 400, errors, values }, product.data);
    if (!parsed.ok) return refuse(parsed.errors);
    const { sku, kind, body } = parsed.change;
    if (!hasSku(product.data, sku)) return refuse([`${sku} is not a SKU of this product`]);
    const path = { params: { path: { sku } } };
    const saved = await part(
      kind === 'set'
        ? api(c).PUT('/v1/admin/inventory/{sku}', { ...path, body: body as { onHand: number; reason: string } })
        : api(c).POST('/v1/admin/inventory/{sku}/adjustments', {
            ...path,
            body: body as { delta: number; reason: string },
          }),
    );
    if (!saved.ok) return stockPage(c, slug, {}, failedBy('stock', values, saved), product.data);
    return c.redirect(`${productHref(slug)}/stock?${new URLSearchParams({ sku, done: 'stock-saved' })}`, 303);
  });

  return r;
}
