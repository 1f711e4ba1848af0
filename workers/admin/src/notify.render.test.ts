// The shopper's emails: every merchant or shopper string is escaped in the HTML part, amounts are in the currency's
// own decimals, and each kind says what it is about.
import { describe, expect, it } from 'vitest';
import type { EmailJob } from '../../../lib/contracts/notifications';
import { money, renderAccountEmail, renderEmail } from './notify.render';

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

describe('account emails', () => {
  const job = {
    type: 'account_email' as const,
    key: 'account:abc',
    to: 'ada@example.com',
    name: 'Ada <b>',
    link: 'https://shop.example/account/reset?token=abc&x="1"',
    expiresAt: '2026-11-30T12:30:00Z',
  };

  it('carries the link, when it stops working, and escapes the name and the link in the HTML part', () => {
    const reset = renderAccountEmail({ ...job, kind: 'password_reset' }, 'Shop');
    expect(reset.subject).toBe('Shop: reset your password');
    expect(reset.text).toContain(`Choose a new password: ${job.link}`);
    expect(reset.text).toContain('until 2026-11-30 12:30 UTC');
    expect(reset.html).toContain('href="https://shop.example/account/reset?token=abc&amp;x=&quot;1&quot;"');
    expect(reset.html).toContain('Hello Ada &lt;b&gt;,');
    expect(reset.html).not.toContain('<b>');
    const verify = renderAccountEmail({ ...job, kind: 'verify_email', name: null }, 'Shop');
    expect(verify.subject).toBe('Shop: confirm your email address');
    expect(verify.text.startsWith('Hello,\n')).toBe(true);
  });
});
