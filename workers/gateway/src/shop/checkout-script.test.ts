// The production checkout script (workers/storefront/shop/checkout.js, Stripe's Payment Element) run against a
// stand-in page and Stripe: one attempt sends one payment method under its key. Sent again (back from the browser's
// cache after a lost answer, or from the server's page resuming an attempt after a 5xx) it sends the same one, so
// the retry has the same body; a double click sends once; a page with a new key (after a decline) makes a new one.
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

const script = readFileSync(new URL('../../../storefront/shop/checkout.js', import.meta.url), 'utf8');

function page(fields: { key: string; paymentMethod?: string }) {
  const values = { key: { value: fields.key }, paymentMethod: { value: fields.paymentMethod ?? '' } };
  const sent: { key: string; paymentMethod: string }[] = [];
  const listeners: Record<string, (e: unknown) => unknown> = {};
  let made = 0;
  const attributes: Record<string, string> = { 'data-publishable-key': 'pk_test_1', 'data-amount': '6971' };
  const form = {
    getAttribute: (name: string) => attributes[name] ?? null,
    elements: { namedItem: (name: 'key' | 'paymentMethod') => values[name] },
    addEventListener: (type: string, f: (e: unknown) => unknown) => {
      listeners[`form:${type}`] = f;
    },
    submit: () => void sent.push({ key: values.key.value, paymentMethod: values.paymentMethod.value }),
    prepend: () => {},
  };
  const stripe = {
    elements: () => ({ create: () => ({ mount: () => {} }), submit: async () => ({}) }),
    createPaymentMethod: async () => ({ paymentMethod: { id: `pm_made${++made}` } }),
  };
  const window = {
    Stripe: () => stripe,
    addEventListener: (type: string, f: (e: unknown) => unknown) => {
      listeners[`window:${type}`] = f;
    },
  };
  const document = { getElementById: (id: string) => (id === 'checkout-form' ? form : null) };
  runInNewContext(script, { window, document });
  const placeOrder = () => listeners['form:submit']!({ submitter: { value: 'pay' }, preventDefault: () => {} });
  const backFromCache = () => listeners['window:pageshow']!({ persisted: true });
  return { sent, placeOrder, backFromCache, made: () => made };
}

describe('checkout.js (the Payment Element path)', () => {
  it('makes one payment method per attempt: sent again after a lost answer, the same key and body', async () => {
    const p = page({ key: 'key-1' });
    await Promise.all([p.placeOrder(), p.placeOrder()]);
    expect(p.sent).toEqual([{ key: 'key-1', paymentMethod: 'pm_made1' }]);
    p.backFromCache();
    await p.placeOrder();
    expect(p.sent).toEqual([
      { key: 'key-1', paymentMethod: 'pm_made1' },
      { key: 'key-1', paymentMethod: 'pm_made1' },
    ]);
    expect(p.made()).toBe(1);
  });

  it("resumes the server's kept attempt with its payment method, and makes a new one for a new key", async () => {
    const resumed = page({ key: 'key-1', paymentMethod: 'pm_made1' });
    await resumed.placeOrder();
    expect(resumed.sent).toEqual([{ key: 'key-1', paymentMethod: 'pm_made1' }]);
    expect(resumed.made()).toBe(0);
    const afterDecline = page({ key: 'key-2' });
    await afterDecline.placeOrder();
    expect(afterDecline.sent).toEqual([{ key: 'key-2', paymentMethod: 'pm_made1' }]);
    expect(afterDecline.made()).toBe(1);
  });
});
