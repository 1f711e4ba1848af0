// Helpers for the shop's cart and checkout tests over plain HTTP: a browser-like cookie jar with the storefront's
// cookies (console-helpers.ts's Browser), adding to the cart through the product page's form, the CSRF token and
// cart version of the cart page's forms, the checkout form's fields as the page renders them, and the order a
// checkout's redirect names.
import { createHmac, randomBytes } from 'node:crypto';
import { setStock } from './checkout-helpers';
import { Browser } from './console-helpers';
import { ok, primary } from './helpers';

export const SHOP_ACCESS = '__Host-shop-access';
export const SHOP_SID = '__Host-shop-sid';
/** The local stack's CONSOLE_SESSION_SECRET (dev/stack.ts), the key of every form's CSRF token. */
const DEV_FORM_SECRET = 'console_local_storefront_dev_secret_0123456789';

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

  /**
   * Adds `quantity` of `sku` with the add-to-cart form's POST (starting a guest session on the first one). Its
   * token is the one the product page's form carries, for the session id cookie this browser holds.
   */
  async add(sku: string, quantity = 1): Promise<void> {
    const res = await this.request('/cart/items', {
      method: 'POST',
      form: { csrf: this.formToken(), sku, quantity: String(quantity) },
    });
    if (res.status !== 303) throw new Error(`add to cart: ${res.status} ${await res.text()}`);
  }

  /**
   * The CSRF token of this browser's storefront forms, as web/csrf.ts derives it from the session id cookie (one
   * is made here when the browser has none yet, as the first page with a form would set it).
   */
  formToken(): string {
    let sid = this.cookies.get(SHOP_SID);
    if (!sid) {
      sid = randomBytes(16).toString('base64url');
      this.cookies.set(SHOP_SID, sid);
    }
    return createHmac('sha256', DEV_FORM_SECRET).update(`shop-csrf:${sid}`).digest('base64url');
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
export async function variantProduct(word: string, stock: Record<string, number>) {
  const title = `Journey tee ${word}`;
  const slug = `journey-tee-${word}`;
  const sizes = Object.keys(stock);
  const [row] = await primary<{ id: string }>(
    `insert into products (slug, title, description, brand, category_id, price_amount, currency, images, options)
     values ($1, $2, 'A soft tee for the browser journey.', 'Testbrand', (select id from categories where slug = 'kitchen'),
             2500, 'USD', '[]', $3) returning id`,
    [slug, title, JSON.stringify([{ name: 'Size', values: sizes }])],
  );
  const skus: Record<string, string> = {};
  for (const size of sizes) {
    const sku = `JT-${word}-${size}`.toUpperCase().slice(0, 60);
    await primary(
      `insert into product_variants (product_id, sku, title, options, price_amount, currency)
       values ($1, $2, $3, $4, 2500, 'USD')`,
      [row!.id, sku, size, JSON.stringify({ Size: size })],
    );
    await ok('set stock', setStock(sku, stock[size]!));
    skus[size] = sku;
  }
  return { slug, title, skus };
}
