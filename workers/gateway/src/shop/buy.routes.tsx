/** @jsxImportSource hono/jsx */
// The cart, checkout and order pages (/cart, /checkout, /orders/:id) and their forms. Each page is a client of the
// public API (/v1/cart, /v1/checkout, /v1/orders) called in-process as the shopper whose session the cookies hold
// (session.ts); each form is a plain POST (size, origin and CSRF token checked first), sent to the API, then a 303
// to the page that shows the result, or the page again with the API's refusal next to the form and the values
// typed kept. Pages: cart.page.tsx, checkout.page.tsx, order.page.tsx; forms: buy.forms.ts;
// docs/storefront.md#cart-checkout-and-order-pages.
import { Hono } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { SHIPPING_COUNTRIES } from '../../../../lib/checkout/pricing';
import type { Schemas, StorefrontClient } from '../../../../lib/client';
import { money } from '../web/format';
import { shopAssets } from './assets';
import { isTrackingParam } from './browse';
import { buyConfig } from './buy.config';
import { changesSince, checkoutFormOf, ifMatchOf, quantityOf, quoteOf, shippingProblems } from './buy.forms';
import { type Answer, call, pendingStatus } from './buy.kit';
import { CartContent, type CartContentProps, RECENT_ORDER_HOURS } from './cart.page';
import { CheckoutContent, type CheckoutContentProps } from './checkout.page';
import { ShopPage } from './layout';
import { OrderContent, OrderStatus, PaymentStep, POLL_SECONDS } from './order.page';
import { messagePage, shopPage } from './page';
import {
  checkedShopForm,
  currentShopper,
  keepCartCount,
  type ShopApp,
  type ShopContext,
  shopApi,
  shopCsrf,
  UNAVAILABLE,
} from './session';

type Cart = Schemas['Cart'];

// The generated type cannot say "Money or null" (lib/client/schema.d.ts): the API answers null for an empty cart.
const EMPTY_CART: Cart = {
  lines: [],
  subtotal: null as unknown as Cart['subtotal'],
  itemCount: 0,
  currency: null,
  version: 0,
  expiresAt: null,
};
const STRIPE_JS = 'https://js.stripe.com/v3/';

/** What a redirect's `done` says on the cart page. */
const CART_DONE: Record<string, string> = {
  updated: 'Quantity updated.',
  removed: 'Removed from your cart.',
};

/** The status a page answers for an API call that failed: the API's 4xx as is, a 5xx 502, no answer 503. */
const failureStatus = (status: number) => (status >= 400 && status < 500 ? status : status ? 502 : 503);

/** The shopper's API client; none without a session (nothing is created by looking); UNAVAILABLE if it cannot be renewed now. */
async function shopperApi(c: ShopContext): Promise<StorefrontClient | undefined | typeof UNAVAILABLE> {
  const shopper = await currentShopper(c);
  if (shopper === UNAVAILABLE) return UNAVAILABLE;
  return shopper ? shopApi(c, shopper.accessToken) : undefined;
}
const sessionUnavailable = (c: ShopContext) =>
  messagePage(c, 503, 'Your session could not be renewed right now; it is kept. Reload the page in a few seconds.', {
    retryAfter: '5',
  });

/** A personal page (never cached) in the shop's layout, with its own scripts (content-hashed, or Stripe.js). */
function page(c: ShopContext, title: string, content: JSX.Element, status = 200, scripts: string[] = []) {
  return shopPage(
    c,
    <ShopPage title={title} noindex>
      {/* In the body (allowed for a stylesheet link): the layout's head is shared with the cached pages. */}
      <link rel="stylesheet" href={shopAssets['buy.css']} />
      {content}
      {scripts.map((src) => (
        <script src={src} defer />
      ))}
    </ShopPage>,
    { status, personal: true },
  );
}

/** The shopper's cart (an empty one without a session). */
async function readCart(api: StorefrontClient | undefined): Promise<Answer<Cart>> {
  if (!api) return { ok: true, data: EMPTY_CART, status: 200 };
  return call(api.GET('/v1/cart')) as Promise<Answer<Cart>>;
}

async function cartPage(
  c: ShopContext,
  api: StorefrontClient | undefined,
  shown: Omit<CartContentProps, 'cart' | 'csrf'>,
  status = 200,
) {
  const cart = await readCart(api);
  if (!cart.ok) return messagePage(c, failureStatus(cart.status), 'Your cart could not be loaded: try again shortly.');
  // The header's count follows the cart whenever the page reads it.
  if (api) keepCartCount(c, cart.data.itemCount);
  const recentOrder = api && cart.data.lines.length === 0 ? await latestOrder(api) : undefined;
  return page(
    c,
    'Your cart',
    <CartContent cart={cart.data} csrf={await shopCsrf(c)} recentOrder={recentOrder} {...shown} />,
    status,
  );
}

/** The shopper's latest order if placed within RECENT_ORDER_HOURS; none when the API cannot say (the page renders). */
async function latestOrder(api: StorefrontClient): Promise<CartContentProps['recentOrder']> {
  const answer = await call(api.GET('/v1/orders', { params: { query: { limit: 1 } } }));
  const order = answer.ok ? answer.data.orders[0] : undefined;
  if (!order || Date.now() - Date.parse(order.createdAt) > RECENT_ORDER_HOURS * 3_600_000) return undefined;
  return order;
}

/** A refused cart write, in the shopper's words. */
function cartRefusal(a: Answer<unknown>): string {
  if (a.ok) return '';
  if (a.code === 'CART_LIMIT_EXCEEDED') return `Too many: ${a.message}`;
  if (a.status === 404) return 'This item is no longer in your cart, or no longer sold.';
  if (a.status === 429) return 'Too many changes at once: wait a few seconds and try again.';
  if (a.status >= 500 || a.status === 0) return 'Your cart could not be changed right now: try again in a moment.';
  return a.message;
}

const FORM_REFUSED = {
  403: 'This form has expired or did not come from this shop: reload the page and send it again.',
  415: 'Send the form from the shop page.',
} as const;

export function buyRoutes(): Hono<ShopApp> {
  const r = new Hono<ShopApp>();

  r.get('/cart', async (c) => {
    const done = c.req.query('done');
    const notice = done && Object.hasOwn(CART_DONE, done) ? CART_DONE[done] : undefined;
    const api = await shopperApi(c);
    if (api === UNAVAILABLE) return sessionUnavailable(c);
    return cartPage(c, api, { notice });
  });

  // A line's quantity (0 removes it), or its removal: sent with the cart version the page showed (If-Match).
  r.post('/cart/items/:sku/:remove{remove}?', async (c) => {
    const checked = await checkedShopForm(c);
    if ('refused' in checked) return messagePage(c, checked.refused, FORM_REFUSED[checked.refused]);
    const { form } = checked;
    const sku = c.req.param('sku');
    const api = await shopperApi(c);
    if (api === UNAVAILABLE) return sessionUnavailable(c);
    const quantity = c.req.param('remove') ? { ok: true as const, value: 0 } : quantityOf(form.get('quantity'));
    if (!quantity.ok) return cartPage(c, api, { error: { sku, message: quantity.problems.quantity! } }, 400);
    if (!api) return c.redirect('/cart', 303);
    const ifMatch = ifMatchOf(form);
    const header = ifMatch ? { 'if-match': ifMatch } : {};
    const path = { sku };
    const answer = await call(
      quantity.value === 0
        ? api.DELETE('/v1/cart/items/{sku}', { params: { path, header } })
        : api.PATCH('/v1/cart/items/{sku}', { params: { path, header }, body: { quantity: quantity.value } }),
    );
    if (answer.ok) {
      keepCartCount(c, answer.data.itemCount);
      return c.redirect(`/cart?done=${quantity.value === 0 ? 'removed' : 'updated'}`, 303);
    }
    if (answer.status === 412) {
      const now = await readCart(api);
      return cartPage(c, api, { changes: now.ok ? changesSince(form.get('seen'), now.data) : [] }, 412);
    }
    return cartPage(c, api, { error: { sku, message: cartRefusal(answer) } }, failureStatus(answer.status));
  });

  r.get('/checkout', async (c) => {
    const api = await shopperApi(c);
    if (api === UNAVAILABLE) return sessionUnavailable(c);
    const cart = await readCart(api);
    if (!cart.ok)
      return messagePage(c, failureStatus(cart.status), 'Your cart could not be loaded: try again shortly.');
    if (cart.data.lines.length === 0) return c.redirect('/cart', 303);
    return checkoutPage(c, cart.data, { values: {}, attemptKey: crypto.randomUUID() });
  });

  r.post('/checkout', async (c) => {
    const checked = await checkedShopForm(c);
    if ('refused' in checked) return messagePage(c, checked.refused, FORM_REFUSED[checked.refused]);
    const { form } = checked;
    const api = await shopperApi(c);
    if (api === UNAVAILABLE) return sessionUnavailable(c);
    if (!api) return c.redirect('/cart', 303);
    const values = Object.fromEntries(
      [...form].filter(([n]) => !['csrf', 'key', 'version', 'intent', 'expectedTotal', 'currency'].includes(n)),
    );
    const sentKey = form.get('key') ?? '';
    const again = async (shown: Shown, status: number) => {
      const cart = await readCart(api);
      if (!cart.ok)
        return messagePage(c, failureStatus(cart.status), 'Your cart could not be loaded: try again shortly.');
      if (cart.data.lines.length === 0) return c.redirect('/cart', 303);
      const extra = typeof shown === 'function' ? shown(cart.data) : shown;
      return checkoutPage(c, cart.data, { values, attemptKey: crypto.randomUUID(), ...extra }, status);
    };
    // "Update totals": the page again for the address and method chosen; nothing is sent, the attempt's key kept.
    if (form.get('intent') === 'quote') {
      const kept = { attemptKey: sentKey || crypto.randomUUID(), resume: Boolean(sentKey) };
      const problems = shippingProblems(form);
      return Object.keys(problems).length ? again({ ...kept, problems }, 400) : again(kept, 200);
    }
    const parsed = checkoutFormOf(form);
    if (!parsed.ok) return again({ problems: parsed.problems, attemptKey: sentKey || crypto.randomUUID() }, 400);
    const { body, key, ifMatch } = parsed.value;
    const answer = await call(
      api.POST('/v1/checkout', {
        params: { header: { 'idempotency-key': key, ...(ifMatch ? { 'if-match': ifMatch } : {}) } },
        body,
      }),
    );
    if (answer.ok) return accepted(c, api, answer.data);
    return refused(answer, key, again, () => c.redirect('/cart', 303));
  });

  r.get('/orders/:id', async (c) => {
    const part = c.req.query('part');
    const unknown = Object.keys(c.req.query()).some((k) => k !== 'part' && !isTrackingParam(k));
    if (unknown || (part !== undefined && part !== 'status'))
      return messagePage(c, 400, 'This page takes no parameter but part=status.');
    const api = await shopperApi(c);
    if (api === UNAVAILABLE) return sessionUnavailable(c);
    const id = c.req.param('id');
    // Without a session no order is this browser's: the same 404 as another shopper's order.
    const order = api ? await call(api.GET('/v1/orders/{id}', { params: { path: { id } } })) : undefined;
    if (!order || (!order.ok && order.status === 404))
      return messagePage(c, 404, 'There is no such order in this browser: sign in with the account that placed it.');
    if (!order.ok)
      return messagePage(c, failureStatus(order.status), 'The order could not be loaded: try again shortly.');
    if (part) {
      c.header('cache-control', 'no-store');
      return c.html(await (<OrderStatus order={order.data} />).toString());
    }
    return orderPage(c, order.data);
  });

  return r;
}

/** The order page: while pending, followed by order.js (and, without JavaScript, a <noscript> refresh). */
function orderPage(c: ShopContext, order: Schemas['Order'], nextActionUrl?: string) {
  const pending = pendingStatus(order.status);
  return page(
    c,
    `Order ${order.id}`,
    <>
      {pending && (
        <noscript>
          <meta http-equiv="refresh" content={String(POLL_SECONDS)} />
        </noscript>
      )}
      <OrderContent order={order} nextActionUrl={nextActionUrl} />
    </>,
    200,
    pending ? [shopAssets['order.js']] : [],
  );
}

async function checkoutPage(
  c: ShopContext,
  cart: Cart,
  shown: Pick<CheckoutContentProps, 'values' | 'attemptKey'> & Partial<CheckoutContentProps>,
  status = 200,
) {
  // The totals shown are for a country and method the form offers (one it does not is refused next to its field).
  const country = (SHIPPING_COUNTRIES as readonly string[]).includes(shown.values.country ?? '')
    ? shown.values.country!
    : 'US';
  const method = shown.values.shippingMethod === 'express' ? 'express' : 'standard';
  const publishableKey = buyConfig(c.env).STRIPE_PUBLISHABLE_KEY;
  keepCartCount(c, cart.itemCount);
  const content = (
    <CheckoutContent
      cart={cart}
      quote={quoteOf(cart, country, method)}
      csrf={await shopCsrf(c)}
      publishableKey={publishableKey}
      {...shown}
      values={{ ...shown.values, country }}
    />
  );
  return page(c, 'Checkout', content, status, publishableKey ? [STRIPE_JS, shopAssets['checkout.js']] : []);
}

/** The checkout took the order: its page, or the payment's step first when the bank asks for one (3-D Secure). */
async function accepted(c: ShopContext, api: StorefrontClient, a: Schemas['CheckoutAccepted']) {
  // The ordered lines leave the cart once the order is accepted (docs/carts.md); the next cart read corrects the
  // header's count if the shopper added something meanwhile.
  keepCartCount(c, 0);
  const href = `/orders/${encodeURIComponent(a.orderId)}`;
  if (a.payment.status !== 'requires_action' || !a.payment.nextAction) return c.redirect(href, 303);
  const publishableKey = buyConfig(c.env).STRIPE_PUBLISHABLE_KEY;
  if (publishableKey && a.payment.clientSecret)
    return page(
      c,
      'Confirm your payment',
      <PaymentStep orderId={a.orderId} clientSecret={a.payment.clientSecret} publishableKey={publishableKey} />,
      200,
      [STRIPE_JS, shopAssets['checkout.js']],
    );
  // Locally: the order page, linking the local Stripe's authentication page.
  const order = await call(api.GET('/v1/orders/{id}', { params: { path: { id: a.orderId } } }));
  if (!order.ok || !a.payment.nextAction.url) return c.redirect(href, 303);
  return orderPage(c, order.data, a.payment.nextAction.url);
}

/** What the checkout page shows again: fixed, or drawn from the cart it is shown with (its line titles). */
type Shown = Partial<CheckoutContentProps> | ((cart: Cart) => Partial<CheckoutContentProps>);

/**
 * A checkout the API refused, shown next to the form. A refusal (4xx) took nothing, or (a decline) is stored under
 * its key, so the next attempt gets a new key (and, with the Payment Element, a new payment method); no answer or a
 * 5xx may have taken the order, so the form keeps its key and the payment method it sent (`resume`), and sending it
 * again resumes that attempt, with the same body, instead of making another.
 */
function refused(
  a: Answer<unknown> & { ok: false },
  key: string,
  again: (shown: Shown, status: number) => Promise<Response>,
  toCart: () => Response,
) {
  const status = failureStatus(a.status);
  const form = (message: string, keep = false) =>
    again({ problems: { form: message }, ...(keep ? { attemptKey: key, resume: true } : {}) }, status);
  switch (a.code) {
    case 'OUT_OF_STOCK': {
      const items = (a.details as { items?: { sku: string; requested: number; available: number }[] })?.items ?? [];
      // Named as the cart names them (the product and its variant), the SKU beside it for the shopper who asks.
      return again((cart) => {
        const list = items.map((i) => {
          const title = cart.lines.find((l) => l.sku === i.sku)?.title;
          const what = title ? `${title} (${i.sku})` : i.sku;
          return `${what}: ${i.available ? `only ${i.available} left` : 'sold out'} (you asked for ${i.requested})`;
        });
        return {
          problems: {
            form: `Sold out while you were checking out: ${list.join('; ')}. Nothing was charged: change your cart and try again.`,
          },
        };
      }, status);
    }
    case 'CUSTOMER_LIMIT_EXCEEDED':
      return form(`An item is limited per customer and you have reached it: ${a.message} Nothing was charged.`);
    case 'PAYMENT_DECLINED':
      return again(
        { problems: { payment: 'Your card was declined, and nothing was charged: choose another way to pay.' } },
        status,
      );
    case 'INVALID_PAYMENT_METHOD':
      return again({ problems: { payment: 'This payment method cannot be used: choose another.' } }, status);
    case 'PRICE_CHANGED': {
      const total = (a.details as { totals?: { total?: Schemas['Money'] } } | undefined)?.totals?.total;
      const now = total ? ` The total is now ${money(total.amount, total.currency)}.` : '';
      return form(
        `The total changed since this page was shown (a price, or shipping and tax for this address).${now} Nothing was charged: check it and place the order again.`,
      );
    }
    case 'PRECONDITION_FAILED':
      return form('Your cart changed since this page was shown (in another tab?): check the order and place it again.');
    case 'CART_EMPTY':
      return toCart();
    case 'ITEM_UNAVAILABLE':
      return form('An item in your cart is no longer sold: remove it from your cart, then check out.');
    case 'IDEMPOTENCY_KEY_REUSED':
      // The key already holds another attempt (its answer lost, then the details changed). Keeping it would refuse
      // every later submit the same way, so the page gets a new key. An attempt that placed an order emptied the
      // cart (again() then shows the cart, which links the recent order), so a cart still full here was not bought.
      return form(
        'This checkout was already sent with other details and its answer was lost. If an order was placed, it is in your email and your orders; otherwise check the details and place the order again.',
      );
    case 'CHECKOUT_CLOSED':
      return form('That checkout attempt has closed, and nothing was charged: place the order again.');
    case 'VALIDATION_FAILED': {
      const problems: Record<string, string> = {};
      for (const f of (a.details as { path: string; message: string }[] | undefined) ?? [])
        problems[f.path.split('.').pop() || 'form'] = f.message;
      return again({ problems: Object.keys(problems).length ? problems : { form: a.message } }, status);
    }
  }
  if (a.status === 429)
    return form(`Too many attempts: wait ${a.retryAfter ?? 'a few'} seconds and send the form again.`, true);
  if (a.status >= 500 || a.status === 0)
    return form(
      'The payment could not be confirmed right now. Send the form again: it is the same attempt, so you cannot be charged twice.',
      true,
    );
  return form(a.message);
}
