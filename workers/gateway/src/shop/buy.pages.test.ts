// The cart, checkout and order pages as rendered: each cart form carries the CSRF token and the cart version it
// was rendered from, a changed price is flagged with the old one, the checkout form carries its attempt's key and
// the total it shows, offers the test cards locally and Stripe's Payment Element with a publishable key, and a
// pending order's status region names the source the script polls (a settled one does not).
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../../../lib/client';
import { quoteOf } from './buy.forms';
import { CartContent } from './cart.page';
import { CheckoutContent } from './checkout.page';
import { OrderContent, OrderStatus } from './order.page';

const usd = (amount: number) => ({ amount, currency: 'USD' });
const cart: Schemas['Cart'] = {
  lines: [
    {
      sku: 'MSH-1-M-NAVY',
      productSlug: 'shirt-1',
      title: 'Linen shirt — M / Navy',
      image: '/images/shirt.webp',
      quantity: 2,
      unitPrice: usd(3000),
      lineTotal: usd(6000),
      priceChanged: true,
      previousUnitPrice: usd(2500),
      available: true,
    },
  ],
  subtotal: usd(6000) as Schemas['Cart']['subtotal'],
  itemCount: 2,
  currency: 'USD',
  version: 7,
  expiresAt: null,
};
const order = (status: Schemas['Order']['status']): Schemas['Order'] => ({
  id: 'ord_0123456789abcdef',
  status,
  email: 'ada@example.com',
  lines: [
    { sku: 'MSH-1-M-NAVY', title: 'Linen shirt — M / Navy', quantity: 2, unitPrice: usd(3000), lineTotal: usd(6000) },
  ],
  totals: { subtotal: usd(6000), shipping: usd(500), tax: usd(471), total: usd(6971), taxRateBps: 725 },
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' },
  shippingMethod: 'standard',
  payment: { provider: 'stripe', paymentIntentId: 'pi_1', status: 'processing', amount: usd(6971), refunded: usd(0) },
  holdExpiresAt: '2026-11-30T10:00:00.000Z',
  createdAt: '2026-11-30T09:45:00.000Z',
  updatedAt: '2026-11-30T09:45:01.000Z',
  history: [],
});
const text = async (el: unknown) => (await (el as { toString(): string | Promise<string> }).toString()) as string;

describe('cart page', () => {
  it('shows image, product, variant, the changed price, and a quantity and a remove form per line', async () => {
    const html = await text(CartContent({ cart, csrf: 'tok' }));
    expect(html).toContain('src="/images/shirt.webp"');
    expect(html).toMatch(/width="96" height="96" loading="lazy"/);
    expect(html).toContain('<a href="/p/shirt-1">Linen shirt</a>');
    expect(html).toContain('M / Navy');
    expect(html).toContain('Price changed: was $25.00');
    expect(html).toContain('action="/cart/items/MSH-1-M-NAVY"');
    expect(html).toContain('action="/cart/items/MSH-1-M-NAVY/remove"');
    expect(html.match(/name="csrf" value="tok"/g)).toHaveLength(2);
    expect(html.match(/name="version" value="7"/g)).toHaveLength(2);
    expect(html).toContain('$60.00');
    // Each line's controls are named with its product (a screen reader's list of controls tells them apart).
    const named = 'Linen shirt — M / Navy</span>';
    expect(html).toContain(`Quantity<span class="visually-hidden"> of ${named}`);
    expect(html).toContain(`Update<span class="visually-hidden"> the quantity of ${named}`);
    expect(html).toContain(`Remove<span class="visually-hidden"> ${named}`);
  });

  it('says what changed when the cart was stale, and shows a refusal next to its line', async () => {
    const html = await text(
      CartContent({
        cart,
        csrf: 't',
        changes: ['B was removed.'],
        error: { sku: 'MSH-1-M-NAVY', message: 'Too many' },
      }),
    );
    expect(html).toContain('Your cart changed since that page was shown');
    expect(html).toContain('<li>B was removed.</li>');
    expect(html).toMatch(/role="alert" id="line-0-error">Too many/);
  });
});

describe('cart page, empty', () => {
  it('links the recent order, if any (a checkout whose answer was lost)', async () => {
    const empty = { ...cart, lines: [], itemCount: 0 };
    const html = await text(CartContent({ cart: empty, csrf: 't', recentOrder: order('paid') }));
    expect(html).toContain('Your cart is empty');
    expect(html).toContain('<a href="/orders/ord_0123456789abcdef">Order ord_0123456789abcdef</a>, $69.71');
    expect(html).toContain('<strong>Paid</strong>');
    expect(await text(CartContent({ cart: empty, csrf: 't' }))).not.toContain('recent-order');
  });
});

describe('checkout page', () => {
  const base = { cart, quote: quoteOf(cart, 'US', 'standard'), csrf: 'tok', attemptKey: 'key-1234567890', values: {} };

  it('carries the attempt key, the cart version and the total shown; offers the test cards locally', async () => {
    const html = await text(CheckoutContent(base));
    expect(html).toContain('name="key" value="key-1234567890"');
    expect(html).toContain('name="version" value="7"');
    expect(html).toContain(`name="expectedTotal" value="${base.quote.total}"`);
    expect(html).toContain('value="pm_card_visa"');
    expect(html).toContain('value="pm_card_chargeDeclined"');
    expect(html).not.toContain('payment-element');
    expect(html).toContain('id="total-tax"');
  });

  it('mounts the Payment Element instead with a publishable key', async () => {
    const html = await text(CheckoutContent({ ...base, publishableKey: 'pk_test_123' }));
    expect(html).toContain('data-publishable-key="pk_test_123"');
    expect(html).toContain('id="payment-element"');
    expect(html).not.toContain('pm_card_visa');
  });

  it('keeps the payment method sent on a page resuming an attempt, and none on a new attempt', async () => {
    const stripe = { ...base, publishableKey: 'pk_test_123', values: { paymentMethod: 'pm_1AbC' } };
    const resumed = await text(CheckoutContent({ ...stripe, resume: true }));
    expect(resumed).toContain('name="paymentMethod" value="pm_1AbC"');
    expect(resumed).toContain('id="payment-resumed"');
    const fresh = await text(CheckoutContent({ ...stripe, attemptKey: 'key-new-1234567' }));
    expect(fresh).toContain('name="paymentMethod" value=""');
    expect(fresh).not.toContain('id="payment-resumed"');
    const forged = await text(CheckoutContent({ ...stripe, resume: true, values: { paymentMethod: '"><x' } }));
    expect(forged).toContain('name="paymentMethod" value=""');
  });

  it('shows a refusal next to the form and the values typed', async () => {
    const html = await text(
      CheckoutContent({
        ...base,
        values: { email: 'ada@example.com' },
        problems: { form: 'Sold out', payment: 'Declined' },
      }),
    );
    expect(html).toMatch(/id="checkout-error">Sold out/);
    expect(html).toMatch(/id="payment-error">Declined/);
    expect(html).toContain('value="ada@example.com"');
  });
});

describe('order page', () => {
  it('names the polled source while the payment is pending, not once paid', async () => {
    const pending = await text(OrderStatus({ order: order('pending_payment') }));
    expect(pending).toContain('data-poll="/orders/ord_0123456789abcdef?part=status"');
    expect(pending).toContain('Check again');
    const paid = await text(OrderContent({ order: order('paid') }));
    expect(paid).not.toContain('data-poll=');
    expect(paid).toContain('data-status="paid"');
    expect(paid).toContain('$69.71');
  });
});
