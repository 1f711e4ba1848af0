/** @jsxImportSource hono/jsx */
// The product page: images, description, the variant picker (a GET form of the options: works without script),
// the chosen variant's price, its live availability and the add-to-cart form (POST here, CSRF-checked, then 303 to
// the cart). The page is cached under the catalog generation (cached.ts) per selection; availability and the
// form's button are a slot filled per request from GET /v1/inventory/{sku}, at most SHOP_AVAILABILITY_MS old.
import { Hono } from 'hono';
import type { Schemas } from '../../../../lib/client';
import { failedStatus, queryOf } from './browse';
import { canonicalPath, sendCachedPage } from './cached';
import { CARD_IMAGE, price } from './components';
import { shopConfig } from './config';
import { ShopPage } from './layout';
import { MessagePage, messagePage, renderPage } from './page';
import { productPath } from './paths';
import { CatalogReads } from './reads';
import { checkedShopForm, ensureShopper, keepCartCount, type ShopApp, type ShopContext, shopApi } from './session';
import { slot } from './slots';
import { availabilityOf, optionsOf, type Selection, selectVariant } from './variants';

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SKU = /^[A-Z0-9][A-Z0-9-]{0,63}$/;
/** The most units one add-to-cart takes (the API's own maximum). */
const MAX_QUANTITY = 1000;

/** Text for the markup of a slot (slots are strings: hono's renderer does not escape them). */
const escapeText = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

type View = { available: number; maxPerCustomer: number | null } | 'unknown' | 'not-sold';
const views = new Map<string, { view: View; at: number } | Promise<View>>();

/** The SKU's live stock, shared by the requests of this isolate for SHOP_AVAILABILITY_MS (one read at a time). */
async function stockOf(c: ShopContext, sku: string, opts: { fresh?: boolean } = {}): Promise<View> {
  const ttl = shopConfig(c.env).SHOP_AVAILABILITY_MS;
  const known = views.get(sku);
  if (known instanceof Promise && !opts.fresh) return known;
  if (known && !(known instanceof Promise) && !opts.fresh && Date.now() - known.at < ttl) return known.view;
  const read = (async (): Promise<View> => {
    try {
      const { data, response } = await shopApi(c).GET('/v1/inventory/{sku}', { params: { path: { sku } } });
      if (data) return { available: data.available, maxPerCustomer: data.maxPerCustomer };
      return response.status === 404 ? 'not-sold' : 'unknown';
    } catch {
      return 'unknown';
    }
  })();
  views.set(sku, read);
  const view = await read;
  views.set(sku, { view, at: Date.now() });
  if (views.size > 5000) views.delete(views.keys().next().value!);
  return view;
}

/** The slot: the availability line and the form's button (disabled when sold out). */
async function availabilitySlot(c: ShopContext, sku: string): Promise<string> {
  const a = availabilityOf(await stockOf(c, sku));
  const line = `<p class="availability ${a.kind}" id="availability">${escapeText(a.text)}</p>`;
  if (a.kind === 'out')
    return `${line}<button type="submit" disabled aria-describedby="availability">Sold out</button>`;
  return `${line}<button type="submit">Add to cart</button>`;
}

function Gallery(props: { images: string[]; title: string }) {
  if (props.images.length === 0) return null;
  return (
    <div class="gallery">
      {props.images.map((src, i) => (
        <img
          src={src}
          alt={i === 0 ? props.title : `${props.title}, view ${i + 1}`}
          width={CARD_IMAGE.width * 2}
          height={CARD_IMAGE.height * 2}
          loading={i === 0 ? 'eager' : 'lazy'}
          fetchpriority={i === 0 ? 'high' : undefined}
          decoding="async"
        />
      ))}
    </div>
  );
}

function Picker(props: { product: Schemas['ProductDetail']; chosen: Record<string, string> }) {
  const options = optionsOf(props.product.variants);
  if (options.length === 0 || props.product.variants.length < 2) return null;
  return (
    <form class="picker" method="get" action={productPath(props.product.slug)} data-autosubmit>
      <p class="muted" data-autosubmit-hint hidden>
        Clicking or tapping an option shows that variant; with the keyboard, choose with the arrow keys, then press
        “Show this variant”.
      </p>
      {options.map((o) => (
        <fieldset>
          <legend>{o.name[0]?.toUpperCase() + o.name.slice(1)}</legend>
          <div class="choices">
            {o.values.map((value) => (
              <label>
                <input type="radio" name={o.name} value={value} checked={props.chosen[o.name] === value} />
                <span>{value}</span>
              </label>
            ))}
          </div>
        </fieldset>
      ))}
      <button type="submit" class="quiet">
        Show this variant
      </button>
    </form>
  );
}

function ProductBody(props: { product: Schemas['ProductDetail']; selection: Exclude<Selection, { kind: 'invalid' }> }) {
  const p = props.product;
  const s = props.selection;
  const variant = s.kind === 'variant' ? s.variant : undefined;
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumbs">
        <ol>
          <li>
            <a href="/">Home</a>
          </li>
          <li>
            <a href={`/c/${p.category.slug}`}>{p.category.name}</a>
          </li>
          <li aria-current="page">{p.title}</li>
        </ol>
      </nav>
      <div class="product">
        <Gallery images={p.images} title={p.title} />
        <div>
          <h1>{p.title}</h1>
          <p class="brand-name">{p.brand}</p>
          {slot('notice')}
          <p class="price" id="price">
            {variant ? price(variant.price) : `From ${price(p.price)}`}
          </p>
          <Picker product={p} chosen={s.chosen} />
          {variant ? (
            <form class="buy" method="post" action={productPath(p.slug)}>
              {slot('csrf')}
              <input type="hidden" name="sku" value={variant.sku} />
              <p class="muted">
                {variant.title} · SKU <span translate="no">{variant.sku}</span>
              </p>
              <div>
                <label for="quantity">Quantity</label>
                <input
                  id="quantity"
                  name="quantity"
                  type="number"
                  inputmode="numeric"
                  min={1}
                  max={MAX_QUANTITY}
                  value="1"
                  required
                />
              </div>
              {slot('availability')}
            </form>
          ) : (
            <p class="notice bad" role="status">
              This combination is not made. Choose another option above.
            </p>
          )}
          <section class="description" aria-labelledby="about">
            <h2 id="about">About this product</h2>
            {p.description
              .split(/\n\s*\n/)
              .filter((para) => para.trim())
              .map((para) => (
                <p>{para.trim()}</p>
              ))}
          </section>
        </div>
      </div>
    </>
  );
}

/** The product page (cached per selection), with a notice in its slot (a refused add-to-cart says why). */
async function sendProduct(
  c: ShopContext,
  slug: string,
  query: Record<string, string>,
  notice?: { status: number; text: string },
) {
  const path = canonicalPath(productPath(slug), query);
  return sendCachedPage(
    c,
    path,
    async () => {
      const reads = new CatalogReads(c);
      const [tree, product] = await Promise.all([reads.categories(), reads.product(slug)]);
      const nav = tree.ok ? tree.data.categories.map((cat) => ({ slug: cat.slug, name: cat.name })) : undefined;
      const message = async (status: number, text: string) => ({
        html: await renderPage(
          <MessagePage
            status={status}
            message={text}
            categories={nav}
            requestId={status >= 500 ? c.get('requestId') : undefined}
          />,
        ),
        status,
        generations: reads.generations,
      });
      if (!product.ok) {
        const status = failedStatus(product);
        if (status === 404)
          return message(404, 'There is no such product (it may have been removed). Search for it above.');
        if (status === 503)
          return message(503, 'Our catalog is not answering right now. Please try again in a few seconds.');
        return message(status, `That product could not be shown: ${product.message}`);
      }
      const selection = selectVariant(product.data.variants, query);
      if (selection.kind === 'invalid') return message(400, selection.message);
      const p = product.data;
      const top = nav && topCategoryOf(nav, p.category.path);
      const html = await renderPage(
        <ShopPage
          title={p.title}
          description={p.description.slice(0, 160)}
          categories={nav}
          currentCategory={top}
          script={p.variants.length > 1}
        >
          <ProductBody product={p} selection={selection} />
        </ShopPage>,
      );
      const sku = selection.kind === 'variant' ? selection.variant.sku : undefined;
      return { html, status: 200, generations: reads.generations, meta: sku ? { sku } : undefined };
    },
    async (page) => ({
      notice: notice ? `<p class="notice bad" role="alert">${escapeText(notice.text)}</p>` : '',
      availability: page.meta?.sku ? await availabilitySlot(c, page.meta.sku) : '',
    }),
  ).then((res) =>
    notice && res.status === 200 ? new Response(res.body, { status: notice.status, headers: res.headers }) : res,
  );
}

/**
 * The top-level category a category path ("apparel/mens/shirts") is under, by whole path segments: the nav marks
 * it current (aria-current), and `shirt` is never taken for `shirts`.
 */
export function topCategoryOf(nav: { slug: string }[], path: string): string | undefined {
  const top = path.split('/')[0];
  return nav.find((cat) => cat.slug === top)?.slug;
}

/** What a refused add-to-cart tells the shopper, by the API's code. */
export function refusalOf(status: number, code: string | undefined, message: string): { status: number; text: string } {
  if (code === 'OUT_OF_STOCK')
    return { status: 409, text: 'Not enough left to add that many: see what is available below.' };
  if (code === 'ITEM_UNAVAILABLE') return { status: 409, text: 'This variant is no longer sold.' };
  if (code === 'CART_LIMIT_EXCEEDED' || code === 'CUSTOMER_LIMIT_EXCEEDED')
    return { status: 409, text: `Your cart cannot take that: ${message}` };
  if (status === 404) return { status: 404, text: 'This variant is not sold (any more).' };
  if (status === 429) return { status: 429, text: 'Too many requests: wait a few seconds and try again.' };
  // Any other refusal (400, 409, 412, 422, ...): the API's own words, with its status.
  if (status >= 400 && status < 500) return { status, text: `That could not be added: ${message}` };
  return { status: 503, text: 'Your cart cannot be reached right now; nothing was added. Try again in a few seconds.' };
}

export function productRoutes(): Hono<ShopApp> {
  const r = new Hono<ShopApp>();

  r.get('/p/:slug', async (c) => {
    const slug = c.req.param('slug');
    const query = queryOf(c, ['sku', ...Object.keys(c.req.query())]);
    if (!query) return messagePage(c, 400, 'Choose each option once.');
    if (!SLUG.test(slug)) return messagePage(c, 404, 'There is no such product. Search for it above.');
    return sendProduct(c, slug, query);
  });

  r.post('/p/:slug', async (c) => {
    const slug = c.req.param('slug');
    const checked = await checkedShopForm(c);
    if ('refused' in checked)
      return messagePage(
        c,
        checked.refused,
        checked.refused === 415
          ? 'Send the form from the product page.'
          : 'This form has expired or did not come from this shop: go back, reload the page and send it again.',
      );
    const sku = (checked.form.get('sku') ?? '').trim().toUpperCase();
    const quantityText = checked.form.get('quantity') ?? '1';
    const quantity = Number(quantityText);
    if (!SLUG.test(slug) || !SKU.test(sku)) return messagePage(c, 400, 'Choose a variant on the product page.');
    if (!/^\d{1,4}$/.test(quantityText.trim()) || quantity < 1 || quantity > MAX_QUANTITY)
      return sendProduct(c, slug, { sku }, { status: 400, text: `Enter a quantity from 1 to ${MAX_QUANTITY}.` });
    // The SKU must be one of this product's: a form posted with another product's SKU is refused, not added.
    const product = await new CatalogReads(c).product(slug);
    if (!product.ok) return sendProduct(c, slug, { sku }, refusalOf(product.status, product.code, product.message));
    if (!product.data.variants.some((v) => v.sku === sku))
      return messagePage(c, 400, 'That variant is not one of this product’s: choose it on the product page.');
    // The cart holds no stock (checkout does), so a sold-out SKU would go in: the live figure refuses it here, as
    // the page said (a page left open, or a form sent without it). Unknown stock is left to the checkout.
    const stock = await stockOf(c, sku, { fresh: true });
    if (stock === 'not-sold' || (stock !== 'unknown' && stock.available < quantity))
      return sendProduct(c, slug, { sku }, refusalOf(409, 'OUT_OF_STOCK', ''));
    const shopper = await ensureShopper(c);
    if (!('accessToken' in shopper))
      return messagePage(c, shopper.status, shopper.message, { retryAfter: shopper.retryAfter });
    let answer: Awaited<ReturnType<ReturnType<typeof shopApi>['POST']>>;
    try {
      answer = await shopApi(c, shopper.accessToken).POST('/v1/cart/items', { body: { sku, quantity } });
    } catch {
      return sendProduct(c, slug, { sku }, refusalOf(0, undefined, 'no answer'));
    }
    const { data, error, response } = answer as {
      data?: Schemas['Cart'];
      error?: Schemas['Error'];
      response: Response;
    };
    if (!data)
      return sendProduct(c, slug, { sku }, refusalOf(response.status, error?.error.code, error?.error.message ?? ''));
    keepCartCount(c, data.itemCount);
    return c.redirect('/cart', 303);
  });

  return r;
}
