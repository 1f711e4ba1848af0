// The shopper's emails: every merchant or shopper string is escaped in the HTML part, amounts are in the currency's
// own decimals, and each kind says what it is about.
import { describe, expect, it } from 'vitest';
import type { EmailJob } from '../../../lib/contracts/notifications';
import { money, renderEmail } from './notify.render';

const order: EmailJob['order'] = {
  id: 'ord_1',
  status: 'paid',
  email: 'ada@example.com',
  ownerSub: 'sub',
  lines: [{ sku: 'SKU-1', title: '<script>alert("x")</script> & Co', quantity: 2, unitAmount: 1250, lineTotal: 2500 }],
  totals: { subtotal: 2500, shipping: 500, tax: 200, total: 3200, currency: 'USD' },
  shipTo: { name: 'Ada <b>Lovelace</b>', city: 'Springfield', country: 'US' },
  createdAt: 0,
};

describe('order emails', () => {
  it('escapes every merchant and shopper string in the HTML part, keeps them as they are in the text part', () => {
    const m = renderEmail({ type: 'email', key: 'k', kind: 'order_confirmation', order }, 'Shop "A" & B');
    expect(m.html).not.toContain('<script>');
    expect(m.html).not.toContain('<b>Lovelace');
    expect(m.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(m.html).toContain('Shop &quot;A&quot; &amp; B');
    expect(m.text).toContain('2 × <script>alert("x")</script> & Co (SKU-1)');
    expect(m.text).toContain('$32.00');
    expect(m.subject).toBe('Shop "A" & B: your order ord_1 is confirmed');
  });

  it('refund and shipping emails carry the amount, the reason, the carrier and the tracking number', () => {
    const refund = renderEmail(
      { type: 'email', key: 'k', kind: 'refund', order, refund: { id: 're_1', amount: 1250, reason: 'a <dent>' } },
      'Shop',
    );
    expect(refund.subject).toBe('Shop: a refund of $12.50 for order ord_1');
    expect(refund.text).toContain('Reason: a <dent>');
    expect(refund.html).toContain('Reason: a &lt;dent&gt;');
    const shipping = renderEmail(
      { type: 'email', key: 'k', kind: 'shipping', order, fulfillment: { carrier: 'UPS', trackingNumber: '1Z<9>' } },
      'Shop',
    );
    expect(shipping.subject).toBe('Shop: your order ord_1 has shipped');
    expect(shipping.text).toContain('Tracking number: 1Z<9>');
    expect(shipping.html).toContain('Tracking number: 1Z&lt;9&gt;');
  });

  it("shows amounts in the currency's own decimals", () => {
    expect(money(2599, 'USD')).toBe('$25.99');
    expect(money(500, 'JPY')).toBe('¥500');
    expect(money(1234, 'EUR')).toBe('€12.34');
  });
});
