// OrdersDO's vars (the checkout worker's wrangler.toml), read once per env through configOf. Stripe's own vars
// and secrets are read by lib/payments/stripe.ts.
import { z } from 'zod';
import { REFUND_WINDOW_DAYS } from '../../lib/checkout/order';
import { configOf, intVar, optionalText } from '../../lib/config';

export const OrdersVars = z.object({
  /** How long a checkout's stock is held; unpaid by then, the order expires and the stock returns. */
  HOLD_TTL_SECONDS: intVar(900, { min: 1, max: 7 * 86_400 }),
  /**
   * An order copy sent to the `orders` Queue and not confirmed by the consumer (written to Postgres, or kept as a
   * dead letter) within this is taken as lost and sent again (then after twice as long each time, at most 32x).
   * Longer than the Queue's whole retry budget, so a copy still being retried is not sent a second time.
   */
  ORDERS_CONFIRM_SECONDS: intVar(600, { min: 1, max: 86_400 }),
  /** Test fault, empty in production: order copies of this email lose their first send (see lossyQueue). */
  FAULT_LOSE_ORDER_COPIES_OF: optionalText(z.string().max(254)),
  /** Test fault, empty in production: every notification of this email's orders is sent to the Queue twice. */
  FAULT_DUPLICATE_NOTICES_OF: optionalText(z.string().max(254)),
  /** Test fault, empty in production: every notification send of this email's orders first waits 4 s. */
  FAULT_SLOW_NOTICES_OF: optionalText(z.string().max(254)),
  /**
   * How long the stock stays held once the payment waits for the shopper (3-D Secure, `requires_action`): an
   * abandoned authentication gives the stock back after this, not after HOLD_TTL_SECONDS.
   */
  HOLD_ACTION_TTL_SECONDS: intVar(300, { min: 1, max: 7 * 86_400 }),
  /**
   * An order just accepted (pending payment) waits this long before its Postgres copy and its notices are sent: the
   * payment usually lands within it, and the paid version then goes in the same copy and the same notify run (one
   * Queue message, Postgres write and confirmation per order instead of two). 0: sent at once.
   */
  ORDER_PUBLISH_DELAY_MS: intVar(1500, { max: 60_000 }),
  /**
   * Days from an order's creation during which a merchant may refund it or change its tracking number; past them
   * the order is closed (and archived once old enough: the admin worker's var of the same name must be equal).
   */
  ARCHIVE_REFUND_WINDOW_DAYS: intVar(REFUND_WINDOW_DAYS.default, {
    min: REFUND_WINDOW_DAYS.min,
    max: REFUND_WINDOW_DAYS.max,
  }),
});

export type OrdersConfig = z.output<typeof OrdersVars>;

export const ordersConfig = (env: object): OrdersConfig => configOf(env, OrdersVars, 'OrdersDO (storefront-checkout)');
