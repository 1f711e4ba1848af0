// The cart, checkout and order pages over plain HTTP against the running stack (the browser journeys are
// shop-buy-browser.test.ts): a bad quantity is a 400 page that changes nothing, a form without its CSRF token is
// a 403 that changes nothing, a cart changed in another tab is a 412 page saying what changed, another shopper's
// order is a 404, the same checkout form sent twice at once makes one order, a decline is shown next to the
// payment choice (with a new key) and a 3-D Secure payment shows its step.
import { describe, expect, it } from 'vitest';
import { orders } from './checkout-helpers';
import { client, ok } from './helpers';
import { checkoutFields, freshProduct, orderIdOf, ShopBrowser } from './shop-buy-helpers';

describe('shop cart and checkout pages', () => {
  it('refuses a bad quantity with a 400 page and changes nothing', async () => {
    const item = await freshProduct(20);
    const { sku } = item;
    const b = new ShopBrowser();
    await b.add(item, 2);
    const before = await ok('cart', client(b.token()).GET('/v1/cart'));
    const { csrf, version } = await b.cartForm();
    for (const quantity of ['abc', '-1', '1.5', '']) {
      const res = await b.request(`/cart/items/${sku}`, { method: 'POST', form: { csrf, version, quantity } });
      expect(res.status, quantity).toBe(400);
      expect(await res.text()).toContain('Enter a whole number of items');
    }
    // Over the API's bound: its 422, shown next to the line.
    const over = await b.request(`/cart/items/${sku}`, { method: 'POST', form: { csrf, version, quantity: '50' } });
    expect(over.status).toBe(422);
    const after = await ok('cart', client(b.token()).GET('/v1/cart'));
    expect(after.version).toBe(before.version);
    expect(after.lines).toEqual(before.lines);
    // "Update totals" for a country we do not ship to: a 400 naming the field, the totals for one we do.
    const quote = await b.request('/checkout', {
      method: 'POST',
      form: { ...(await b.checkoutForm({ country: 'ZZ' })), intent: 'quote' },
    });
    expect(quote.status).toBe(400);
    const html = await quote.text();
    expect(html).toMatch(/id="f-country-error">Choose a country we ship to\./);
    expect(html).toContain('for US by standard shipping');
  });

  it('refuses a form without its CSRF token (403) or from another origin, and changes nothing', async () => {
    const item = await freshProduct(20);
    const { sku } = item;
    const b = new ShopBrowser();
    await b.add(item, 1);
    const { csrf, version } = await b.cartForm();
    const noToken = await b.request(`/cart/items/${sku}`, { method: 'POST', form: { version, quantity: '3' } });
    expect(noToken.status).toBe(403);
    const elsewhere = await b.request(`/cart/items/${sku}`, {
      method: 'POST',
      form: { csrf, version, quantity: '3' },
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(elsewhere.status).toBe(403);
    const checkoutNoToken = await b.request('/checkout', { method: 'POST', form: checkoutFields({ csrf: '' }) });
    expect(checkoutNoToken.status).toBe(403);
    expect((await ok('cart', client(b.token()).GET('/v1/cart'))).lines[0]!.quantity).toBe(1);
    expect((await ok('orders', orders(b.token()))).orders).toHaveLength(0);
  });

  it('answers a cart changed since the page was shown with a 412 page that says what changed', async () => {
    const item = await freshProduct(20);
    const { sku } = item;
    const other = (await freshProduct(20)).sku;
    const b = new ShopBrowser();
    await b.add(item, 1);
    const form = await b.cartForm();
    // Another tab adds a line.
    await ok('add', client(b.token()).POST('/v1/cart/items', { body: { sku: other, quantity: 2 } }));
    const res = await b.request(`/cart/items/${sku}`, { method: 'POST', form: { ...form, quantity: '4' } });
    expect(res.status).toBe(412);
    const html = await res.text();
    expect(html).toContain('Your cart changed since that page was shown');
    expect(html).toMatch(/was added \(2\)/);
    expect((await ok('cart', client(b.token()).GET('/v1/cart'))).lines.find((l) => l.sku === sku)!.quantity).toBe(1);
    // The page it answered carries the new version: sent again from it, the change goes through.
    const again = await b.request(`/cart/items/${sku}`, {
      method: 'POST',
      form: { csrf: form.csrf, version: /name="version" value="(\d+)"/.exec(html)![1]!, quantity: '4' },
    });
    expect(again.status).toBe(303);
  });

  it("shows a shopper their own order, and another shopper's (or no session) a 404", async () => {
    const item = await freshProduct(20);
    const a = new ShopBrowser();
    await a.add(item, 1);
    const res = await a.checkout();
    expect(res.status).toBe(303);
    const id = orderIdOf(res);
    const own = await a.request(`/orders/${id}`);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain(id);
    const b = new ShopBrowser();
    await b.add(item, 1);
    expect((await b.request(`/orders/${id}`)).status).toBe(404);
    expect((await new ShopBrowser().request(`/orders/${id}`)).status).toBe(404);
    expect((await a.request(`/orders/${id}?x=1`)).status).toBe(400);
    // A link from an email may carry tracking parameters: they are ignored.
    expect((await a.request(`/orders/${id}?utm_source=receipt&utm_medium=email`)).status).toBe(200);
    // Had the checkout's answer been lost, the (now empty) cart page links the order.
    const cart = await (await a.request('/cart')).text();
    expect(cart).toContain('Your cart is empty');
    expect(cart).toContain(`<a href="/orders/${id}">Order ${id}</a>`);
    expect(await (await b.request('/cart')).text()).not.toContain('id="recent-order"');
  });

  it('makes one order of the same checkout form sent twice at once', async () => {
    const item = await freshProduct(20);
    const { sku } = item;
    const b = new ShopBrowser();
    await b.add(item, 2);
    const fields = await b.checkoutForm();
    const [one, two] = await Promise.all([
      b.request('/checkout', { method: 'POST', form: fields }),
      b.request('/checkout', { method: 'POST', form: fields }),
    ]);
    expect([one.status, two.status]).toEqual([303, 303]);
    expect(orderIdOf(one)).toBe(orderIdOf(two));
    const list = (await ok('orders', orders(b.token()))).orders;
    expect(list.map((o) => o.id)).toEqual([orderIdOf(one)]);
    // A refused attempt gets a new key; the accepted one's page is the order.
    expect(list[0]!.lines).toEqual([expect.objectContaining({ sku, quantity: 2 })]);
  });
  it('gives a new key when the kept one already holds other details (a lost answer, then a change): no dead end', async () => {
    const item = await freshProduct(20);
    const b = new ShopBrowser();
    await b.add(item, 1);
    const fields = await b.checkoutForm({ paymentMethod: 'pm_card_chargeDeclined' });
    expect((await b.request('/checkout', { method: 'POST', form: fields })).status).toBe(402);
    // The same key again with other details, as a page that never saw the decline would send it.
    const reused = await b.request('/checkout', { method: 'POST', form: { ...fields, paymentMethod: 'pm_card_visa' } });
    expect(reused.status).toBe(422);
    const html = await reused.text();
    expect(html).toContain('already sent with other details');
    const next = /name="key" value="([^"]+)"/.exec(html)![1]!;
    expect(next).not.toBe(fields.key);
    // The page's own form now places the order.
    const placed = await b.request('/checkout', {
      method: 'POST',
      form: { ...(await b.checkoutForm()), key: next },
    });
    expect(placed.status).toBe(303);
    expect((await ok('orders', orders(b.token()))).orders.map((o) => o.id)).toContain(orderIdOf(placed));
  });

  it('shows a decline next to the payment choice with a new key, and the 3-D Secure step as a link', async () => {
    const item = await freshProduct(20);
    const b = new ShopBrowser();
    await b.add(item, 1);
    const fields = await b.checkoutForm({ paymentMethod: 'pm_card_chargeDeclined' });
    const declined = await b.request('/checkout', { method: 'POST', form: fields });
    expect(declined.status).toBe(402);
    const html = await declined.text();
    expect(html).toMatch(/id="payment-error">Your card was declined, and nothing was charged/);
    // The decline is stored under its key: the next attempt must get another one.
    const next = /name="key" value="([^"]+)"/.exec(html)![1];
    expect(next).not.toBe(fields.key);
    // The declined attempt is an order that failed its payment; nothing was charged.
    expect((await ok('orders', orders(b.token()))).orders.map((o) => o.status)).toEqual(['payment_failed']);

    const step = await b.checkout({ paymentMethod: 'pm_card_authenticationRequired' });
    expect(step.status).toBe(200);
    const page = await step.text();
    expect(page).toContain('Your bank asks you to confirm this payment');
    expect(page).toMatch(/href="http:\/\/127\.0\.0\.1:\d+\/_local\/authenticate\/pi_[^"]+"/);
    expect(page).toContain('data-status="pending_payment"');
  });
});
