// The cart's vars (wrangler.toml [vars]), validated once per isolate by configOf: a bad one is a ConfigError
// naming it. The cart reads no secrets.
import { z } from 'zod';
import { configOf, intVar } from '../../lib/config';
import type { CartLimits } from './types';

// Every bound and lifetime is at least 1: a cart that holds nothing, or expires at once, is a typo.
export const CartVars = z.object({
  CART_MAX_LINE_QUANTITY: intVar(10, { min: 1 }),
  CART_MAX_LINES: intVar(50, { min: 1 }),
  CART_MAX_ITEMS: intVar(100, { min: 1 }),
  // Idle time after which the cart's alarm empties it and frees its storage.
  CART_TTL_GUEST_SECONDS: intVar(7 * 86_400, { min: 1 }),
  CART_TTL_CUSTOMER_SECONDS: intVar(30 * 86_400, { min: 1 }),
  // How long this isolate reuses a SKU's catalog data (price, titles) for cart answers: a merchant's change shows
  // in carts this much later than in the catalog. 0 asks the catalog every time. Checkout never uses it.
  CART_VARIANT_MEMO_MS: intVar(500, { max: 5000 }),
});
export type CartConfig = z.output<typeof CartVars>;

export const cartConfig = (env: object): CartConfig => configOf(env, CartVars, 'storefront-cart');

/** Whose cart: a guest's lives a week by default, a signed-in shopper's (any other role) 30 days. */
export const CartRoleSchema = z.enum(['guest', 'customer']);
export type CartRole = z.infer<typeof CartRoleSchema>;

/** The cart role of a caller's identity role. */
export const cartRoleOf = (role: string): CartRole => (role === 'guest' ? 'guest' : 'customer');

/** The bounds and lifetime of a guest's cart or a signed-in shopper's. */
export function cartLimits(config: CartConfig, role: CartRole): CartLimits {
  return {
    maxLineQuantity: config.CART_MAX_LINE_QUANTITY,
    maxLines: config.CART_MAX_LINES,
    maxItems: config.CART_MAX_ITEMS,
    ttlSeconds: role === 'guest' ? config.CART_TTL_GUEST_SECONDS : config.CART_TTL_CUSTOMER_SECONDS,
  };
}
