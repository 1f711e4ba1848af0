// OrdersDO's vars (the checkout worker's wrangler.toml), read once per env through configOf. Stripe's own vars
// and secrets are read by lib/payments/stripe.ts.
import { z } from 'zod';
import { configOf, intVar } from '../../lib/config';

export const OrdersVars = z.object({
  /** How long a checkout's stock is held; unpaid by then, the order expires and the stock returns. */
  HOLD_TTL_SECONDS: intVar(900, { min: 1, max: 7 * 86_400 }),
  /**
   * How long the stock stays held once the payment waits for the shopper (3-D Secure, `requires_action`): an
   * abandoned authentication gives the stock back after this, not after HOLD_TTL_SECONDS.
   */
  HOLD_ACTION_TTL_SECONDS: intVar(300, { min: 1, max: 7 * 86_400 }),
});

export type OrdersConfig = z.output<typeof OrdersVars>;

export const ordersConfig = (env: object): OrdersConfig => configOf(env, OrdersVars, 'OrdersDO (storefront-checkout)');
