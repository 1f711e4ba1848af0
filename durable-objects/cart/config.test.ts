// The cart's config schema in plain Node: wrangler.toml's defaults, and a named error where the old parser fell back.
import { describe, expect, it } from 'vitest';
import { cartConfig, cartLimits } from './config';

describe('cart config', () => {
  it('defaults to 10 per line, 50 lines, 100 items, a week for guests and 30 days for customers', () => {
    const config = cartConfig({});
    expect(cartLimits(config, 'guest')).toEqual({
      maxLineQuantity: 10,
      maxLines: 50,
      maxItems: 100,
      ttlSeconds: 604_800,
    });
    expect(cartLimits(config, 'customer').ttlSeconds).toBe(2_592_000);
  });

  it("reads set values (the cart tests' 1 s guest lifetime)", () => {
    const config = cartConfig({ CART_TTL_GUEST_SECONDS: '1', CART_MAX_LINES: '3' });
    expect(cartLimits(config, 'guest')).toMatchObject({ ttlSeconds: 1, maxLines: 3 });
  });

  it('names a zero, negative or non-numeric bound instead of falling back to the default', () => {
    expect(() => cartConfig({ CART_MAX_ITEMS: '0' })).toThrow(/storefront-cart: CART_MAX_ITEMS: .*\(got "0"\)/);
    expect(() => cartConfig({ CART_TTL_CUSTOMER_SECONDS: '30d' })).toThrow(/CART_TTL_CUSTOMER_SECONDS: /);
    expect(() => cartConfig({ CART_MAX_LINE_QUANTITY: '-5' })).toThrow(/CART_MAX_LINE_QUANTITY: /);
  });
});
