// Helpers for the shop's cart and checkout tests: a browser-like cookie jar with the storefront's cookies
// (console-helpers.ts's Browser), fresh products (one SKU, or one per size for the browser journeys), adding to the
// cart through the product page's form, the CSRF token and cart version of the cart page's forms, the checkout
// form's fields as the page renders them, and the order a checkout's redirect names.
import { setStock } from './checkout-helpers';
import { Browser } from './console-helpers';
import { insertProduct, ok, primary } from './helpers';

export const SHOP_ACCESS = '__Host-shop-access';

/** The fields the checkout page's form sends, filled as a shopper would (the visa test card). */
export const checkoutFields = (over: Record<string, string> = {}): Record<string, string> => ({
  email: 'ada@example.com',
  name: 'Ada Shopper',
  line1: '1 Main Street',
  city: 'Springfield',
  postalCode: '62701',
  country: 'US',
  shippingMethod: 'standard',
  paymentMethod: 'pm_card_visa',
  intent: 'pay',
  ...over,
});

const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

export class ShopBrowser extends Browser {
  /** The shopper's access token, as the cookie holds it (the test reads the API as this shopper). */
  token(): string {
    const t = this.cookies.get(SHOP_ACCESS);
    if (!t) throw new Error('no shopper session yet');
    return t;
  }

  /** Adds `quantity` of the product's SKU with its page's add-to-cart form (the first add starts a guest session). */
  async add(item: { slug: string; sku: string }, quantity = 1): Promise<void> {
    const path = `/p/${item.slug}`;
    const csrf = await this.csrf(`${path}?sku=${encodeURIComponent(item.sku)}`);
    const res = await this.request(path, { method: 'POST', form: { csrf, sku: item.sku, quantity: String(quantity) } });
    if (res.status !== 303) throw new Error(`add to cart: ${res.status} ${await res.text()}`);
  }

  /** The CSRF token, version and seen lines the cart page's forms carry. */
  async cartForm(): Promise<{ csrf: string; version: string; seen: string }> {
    const html = await (await this.request('/cart')).text();
    const csrf = hidden(html, 'csrf');
    const version = hidden(html, 'version');
    if (!csrf || !version) throw new Error(`cart page without a line form: ${html.slice(0, 300)}`);
    return { csrf, version, seen: hidden(html, 'seen') ?? '' };
  }

  /** The checkout form's fields as the page renders them (its key, version, total), filled in. */
  async checkoutForm(over: Record<string, string> = {}): Promise<Record<string, string>> {
    const res = await this.request('/checkout');
    const html = await res.text();
    if (res.status !== 200) throw new Error(`checkout page: ${res.status} ${html.slice(0, 300)}`);
    const fields: Record<string, string> = {};
    for (const name of ['csrf', 'key', 'version', 'expectedTotal', 'currency']) fields[name] = hidden(html, name) ?? '';
    return { ...fields, ...checkoutFields(over) };
  }

  /** Sends the checkout form once. */
  async checkout(over: Record<string, string> = {}): Promise<Response> {
    return this.request('/checkout', { method: 'POST', form: await this.checkoutForm(over) });
  }
}

/** The order id a checkout's 303 names. */
export function orderIdOf(res: Response): string {
  const m = /^\/orders\/([^/?]+)$/.exec(res.headers.get('location') ?? '');
  if (!m) throw new Error(`not an order redirect: ${res.status} ${res.headers.get('location')}`);
  return decodeURIComponent(m[1]!);
}

/**
 * A published product titled with `word` (so a search finds it alone), option Size with one variant per entry of
 * `stock` (its units on hand), 25.00 each. Written to the primary as the seed writes products, stock through the
 * admin API.
 */
export async function variantProduct<Size extends string>(word: string, stock: Record<Size, number>) {
  const title = `Journey tee ${word}`;
  const slug = `journey-tee-${word}`;
  const sizes = Object.keys(stock) as Size[];
  const [row] = await primary<{ id: string }>(
    `insert into products (slug, title, description, brand, category_id, price_amount, currency, images, options)
     values ($1, $2, 'A soft tee for the browser journey.', 'Testbrand', (select id from categories where slug = 'kitchen'),
             2500, 'USD', '[]', $3) returning id`,
    [slug, title, JSON.stringify([{ name: 'Size', values: sizes }])],
  );
  const skus = {} as Record<Size, string>;
  // Each variant at its own position, in the order given: the product page's first variant (the one shown when
  // the address names none) is then `sizes[0]`, not whichever the catalog's tie-break (the SKU) puts first.
  for (const [position, size] of sizes.entries()) {
    const sku = `JT-${word}-${size}`.toUpperCase().slice(0, 60);
    await primary(
      `insert into product_variants (product_id, sku, title, options, price_amount, currency, position)
       values ($1, $2, $3, $4, 2500, 'USD', $5)`,
      [row!.id, sku, size, JSON.stringify({ Size: size }), position],
    );
    await ok('set stock', setStock(sku, stock[size]));
    skus[size] = sku;
  }
  return { slug, title, skus };
}

/** A fresh product with one SKU and `onHand` units (25.00 each): a test's own stock that no other test touches. */
export async function freshProduct(onHand: number): Promise<{ slug: string; sku: string }> {
  const slug = await insertProduct({ title: 'Shop test item', price: 2500 });
  const [row] = await primary<{ sku: string }>(
    'select v.sku from product_variants v join products p on p.id = v.product_id where p.slug = $1',
    [slug],
  );
  await ok('set stock', setStock(row!.sku, onHand));
  return { slug, sku: row!.sku };
}
