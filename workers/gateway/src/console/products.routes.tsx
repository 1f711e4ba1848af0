/** @jsxImportSource hono/jsx */
// The console's catalog pages (merchant role): products (list, search, create with variants, edit, publish,
// unpublish, archive, delete), variants, images (a multipart upload forwarded to POST /v1/admin/images, then
// attached with PATCH /v1/admin/products/:slug) and stock with its ledger. Every page and form is a client of the
// merchant API, called in-process as the signed-in user (session.ts): its rules, audit log and errors are the
// API's. A POST answers a 303 to the page that shows its result; a refused one shows the page again, the API's
// message next to the form and the values typed kept, with the API's 4xx status.
import { Hono } from 'hono';
import type { Schemas } from '../../../../lib/client';
import { api, failedBy, noticeOf, pathOf } from './catalog.kit';
import type { Failed } from './fields';
import {
  badRequest,
  checkedForm,
  checkedUpload,
  csrfOf,
  failedPage,
  html,
  imageProblem,
  notFound,
  pages,
  queryOf,
  statusOf,
} from './kit';
import { type Part, part } from './ops.data';
import { ProductPage } from './product.page';
import { parseNewProduct, parseProductPatch, parseVariantRow, valuesOf } from './products.form';
import { LIST_PARAMS, NewProductPage, PRODUCT_STATUSES, ProductsPage, productHref } from './products.page';
import { type ConsoleApp, type ConsoleContext, requireSession } from './session';
import { stockRoutes } from './stock.routes';

const NO_PRODUCT = 'There is no such product.';

/** The category tree, for a form's required select (a form without it could not be sent: its failure is shown). */
const categories = (c: ConsoleContext): Promise<Part<Schemas['CategoryNode'][]>> =>
  part(api(c).GET('/v1/categories')).then((t) => (t.ok ? { ok: true, data: t.data.categories } : t));
const categoriesFailed = (c: ConsoleContext, p: Part<unknown> & { ok: false }) =>
  failedPage(c, 'Could not read the categories', p);

/** A product read that failed: an unknown one (or a slug that cannot be one) 404, else the API's failure. */
const productFailed = (c: ConsoleContext, p: Part<unknown> & { ok: false }) =>
  p.status === 404 || p.status === 400 ? notFound(c, NO_PRODUCT) : failedPage(c, 'Could not read the product', p);

/** The edit page of `slug`, with a refused form shown again when there is one. */
async function productPage(c: ConsoleContext, slug: string, failed?: Failed, notice?: string) {
  const [product, cats] = await Promise.all([
    part(api(c).GET('/v1/admin/products/{slug}', pathOf(slug))),
    categories(c),
  ]);
  if (!product.ok) return productFailed(c, product);
  if (!cats.ok) return categoriesFailed(c, cats);
  const page = (
    <ProductPage
      product={product.data}
      categories={cats.data}
      failed={failed}
      notice={notice}
      session={c.get('session')}
      csrf={await csrfOf(c)}
    />
  );
  return html(c, page, failed?.status ?? 200);
}

export function productRoutes(): Hono<ConsoleApp> {
  const r = new Hono<ConsoleApp>();
  // `/products/*` covers `/products` too (once: a second check would refresh an expired session twice).
  r.use('/products/*', requireSession('merchant', pages));
  // The new-product form has its own address: under /products/ it would take the place of a product slugged `new`.
  r.use('/new-product', requireSession('merchant', pages));

  r.get('/products', async (c) => {
    const q = queryOf(c, LIST_PARAMS);
    if (!q) return badRequest(c, `Unknown parameter: the page takes ${LIST_PARAMS.join(', ')}.`);
    const { done, ...rest } = q;
    // Empty fields of the search form are no filter.
    const query = Object.fromEntries(Object.entries(rest).filter(([, v]) => v.trim() !== ''));
    const result = await part(
      api(c).GET('/v1/admin/products', { params: { query: { ...query, limit: 25 } as never } }),
    );
    const status = statusOf(result);
    const page = (
      <ProductsPage
        query={query}
        result={result}
        notice={noticeOf(done)}
        session={c.get('session')}
        csrf={await csrfOf(c)}
      />
    );
    return html(c, page, status);
  });

  r.get('/new-product', async (c) => {
    if (!queryOf(c, [])) return badRequest(c, 'Unknown parameter: the page takes none.');
    const cats = await categories(c);
    if (!cats.ok) return categoriesFailed(c, cats);
    return html(c, <NewProductPage categories={cats.data} session={c.get('session')} csrf={await csrfOf(c)} />);
  });

  r.post('/new-product', async (c) => {
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const values = valuesOf(checked.form);
    const again = async (failed: Failed) => {
      const cats = await categories(c);
      if (!cats.ok) return categoriesFailed(c, cats);
      const page = (
        <NewProductPage categories={cats.data} failed={failed} session={c.get('session')} csrf={await csrfOf(c)} />
      );
      return html(c, page, failed.status);
    };
    const parsed = parseNewProduct(values);
    if (!parsed.ok) return again({ form: 'new', status: 400, errors: parsed.errors, values });
    const created = await part(api(c).POST('/v1/admin/products', { body: parsed.body }));
    if (!created.ok) return again(failedBy('new', values, created));
    return c.redirect(`${productHref(created.data.product.slug)}?done=created`, 303);
  });

  r.get('/products/:slug', async (c) => {
    const q = queryOf(c, ['done']);
    if (!q) return badRequest(c, 'Unknown parameter: the page takes done.');
    return productPage(c, c.req.param('slug'), undefined, noticeOf(q.done));
  });

  r.post('/products/:slug', async (c) => {
    const slug = c.req.param('slug');
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const values = valuesOf(checked.form);
    const parsed = parseProductPatch(values);
    if (!parsed.ok) return productPage(c, slug, { form: 'product', status: 400, errors: parsed.errors, values });
    const saved = await part(api(c).PATCH('/v1/admin/products/{slug}', { ...pathOf(slug), body: parsed.body }));
    if (!saved.ok) return productPage(c, slug, failedBy('product', values, saved));
    return c.redirect(`${productHref(saved.data.product.slug)}?done=saved`, 303);
  });

  r.post('/products/:slug/status', async (c) => {
    const slug = c.req.param('slug');
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const action = checked.form.get('action');
    const call =
      action === 'publish'
        ? api(c).POST('/v1/admin/products/{slug}/publish', pathOf(slug))
        : action === 'unpublish'
          ? api(c).POST('/v1/admin/products/{slug}/unpublish', pathOf(slug))
          : action === 'archive'
            ? api(c).POST('/v1/admin/products/{slug}/archive', pathOf(slug))
            : undefined;
    if (!call)
      return badRequest(c, `The action is one of publish, unpublish, archive (statuses: ${PRODUCT_STATUSES}).`);
    const done = await part(call);
    if (!done.ok) return productPage(c, slug, failedBy('status', {}, done));
    return c.redirect(`${productHref(slug)}?done=${action}`, 303);
  });

  r.post('/products/:slug/delete', async (c) => {
    const slug = c.req.param('slug');
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const deleted = await part(api(c).DELETE('/v1/admin/products/{slug}', pathOf(slug)));
    if (!deleted.ok) return productPage(c, slug, failedBy('delete', {}, deleted));
    return c.redirect('/admin/products?done=deleted', 303);
  });

  /** The product's options, for a variant form: which fields name its option values. */
  const optionsOf = async (c: ConsoleContext, slug: string) => {
    const product = await part(api(c).GET('/v1/admin/products/{slug}', pathOf(slug)));
    return product.ok ? { ok: true as const, data: product.data.options } : product;
  };

  r.post('/products/:slug/variants', async (c) => {
    const slug = c.req.param('slug');
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const values = valuesOf(checked.form);
    const read = await optionsOf(c, slug);
    if (!read.ok) return productFailed(c, read);
    const row = parseVariantRow(values, '', read.data, 'The variant');
    if (!row.ok) return productPage(c, slug, { form: 'add-variant', status: 400, errors: row.errors, values });
    const added = await part(api(c).POST('/v1/admin/products/{slug}/variants', { ...pathOf(slug), body: row.body }));
    if (!added.ok) return productPage(c, slug, failedBy('add-variant', values, added));
    return c.redirect(`${productHref(slug)}?done=variant-added`, 303);
  });

  r.post('/products/:slug/variants/:sku', async (c) => {
    const { slug, sku } = c.req.param();
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const values = valuesOf(checked.form);
    const read = await optionsOf(c, slug);
    if (!read.ok) return productFailed(c, read);
    const options = read.data;
    const form = `variant-${sku}`;
    const row = parseVariantRow({ ...values, sku }, '', options, `Variant ${sku}`, false);
    if (!row.ok) return productPage(c, slug, { form, status: 400, errors: row.errors, values });
    const { title, priceAmount } = row.body;
    const body = { title, priceAmount, ...(options.length ? { options: row.body.options } : {}) };
    const saved = await part(
      api(c).PATCH('/v1/admin/products/{slug}/variants/{sku}', { params: { path: { slug, sku } }, body }),
    );
    if (!saved.ok) return productPage(c, slug, failedBy(form, values, saved));
    return c.redirect(`${productHref(slug)}?done=variant-saved`, 303);
  });

  r.post('/products/:slug/images', async (c) => {
    const slug = c.req.param('slug');
    const checked = await checkedUpload(c);
    if ('refusal' in checked) return checked.refusal;
    const file = checked.form.get('image');
    const problem = imageProblem(file);
    if (problem)
      return productPage(c, slug, { form: 'image', status: problem.status, errors: [problem.message], values: {} });
    const bytes = new Uint8Array(await (file as File).arrayBuffer());
    const uploaded = await part(
      api(c).POST('/v1/admin/images', {
        body: bytes as never,
        bodySerializer: (b: unknown) => b as never,
        headers: { 'content-type': (file as File).type },
      }),
    );
    if (!uploaded.ok) return productPage(c, slug, failedBy('image', {}, uploaded));
    return setImages(
      c,
      slug,
      (images) => (images.includes(uploaded.data.url) ? images : [...images, uploaded.data.url]),
      'image-added',
    );
  });

  r.post('/products/:slug/images/remove', async (c) => {
    const slug = c.req.param('slug');
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const url = checked.form.get('url') ?? '';
    return setImages(c, slug, (images) => images.filter((i) => i !== url), 'image-removed');
  });

  r.route('/', stockRoutes());

  return r;
}

/**
 * The product's images, changed by `change` and written whole with PATCH (the API keeps a product's images as one
 * list). Two merchants changing the images of one product at the same moment: the later write wins.
 */
async function setImages(c: ConsoleContext, slug: string, change: (images: string[]) => string[], done: string) {
  const product = await part(api(c).GET('/v1/admin/products/{slug}', pathOf(slug)));
  // After an upload the image is stored but not yet the product's: sending the form again adds it (same bytes,
  // same address), so the page says the image is not on the product rather than that nothing happened.
  if (!product.ok) {
    if (product.status === 404 || product.status === 400) return notFound(c, NO_PRODUCT);
    return failedPage(c, `The images were not changed: could not read the product (${done})`, product);
  }
  const images = change(product.data.images);
  const saved = await part(api(c).PATCH('/v1/admin/products/{slug}', { ...pathOf(slug), body: { images } }));
  if (!saved.ok) return productPage(c, slug, failedBy('image', {}, saved));
  return c.redirect(`${productHref(slug)}?done=${done}`, 303);
}
