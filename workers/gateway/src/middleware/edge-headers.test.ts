// The shop's CSP: its own files only (no inline script), and Stripe's origins on the checkout only when a Stripe
// publishable key is configured (the Payment Element); the other shop pages never get them.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { securityHeaders } from './edge-headers';

const app = new Hono();
app.use('*', securityHeaders() as never);
app.all('*', (c) => c.text('ok'));
const csp = async (path: string, env: Record<string, string> = {}) =>
  (await app.request(path, {}, env)).headers.get('content-security-policy') ?? '';

describe('shop security headers', () => {
  it('allow only the shop’s own scripts, and Stripe.js on the checkout only with a publishable key', async () => {
    const plain = await csp('/checkout');
    expect(plain).toContain("script-src 'self';");
    expect(plain).not.toContain('stripe');
    const stripe = await csp('/checkout', { STRIPE_PUBLISHABLE_KEY: 'pk_test_abc123' });
    expect(stripe).toContain("script-src 'self' https://js.stripe.com https://*.js.stripe.com;");
    expect(stripe).toContain('frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com');
    expect(stripe).toContain("connect-src 'self' https://api.stripe.com");
    expect(stripe).not.toContain('unsafe-inline');
    for (const path of ['/cart', '/orders/ord_1', '/'])
      expect(await csp(path, { STRIPE_PUBLISHABLE_KEY: 'pk_test_abc123' }), path).not.toContain('stripe');
  });
});
