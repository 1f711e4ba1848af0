// The checkout worker's own vars, read once per env through configOf. The objects it hosts read theirs
// (durable-objects/*/config.ts), Stripe's are read by lib/payments/stripe.ts, the database's by lib/db/client.ts.
import { z } from 'zod';
import { configOf, intVar } from '../../../lib/config';

export const CheckoutVars = z.object({
  /** Queue consumer: a failed message is retried after base * 2^(attempt-1) seconds (at most 5 min). */
  ORDERS_RETRY_BASE_SECONDS: intVar(2, { min: 1, max: 300 }),
});

export type CheckoutConfig = z.output<typeof CheckoutVars>;

export const checkoutConfig = (env: object): CheckoutConfig => configOf(env, CheckoutVars, 'storefront-checkout');
