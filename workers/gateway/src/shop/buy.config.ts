// The checkout page's one setting. STRIPE_PUBLISHABLE_KEY (a var, not a secret: Stripe publishes it in every page
// that takes a card): set, the checkout page loads Stripe.js and its Payment Element and completes 3-D Secure with
// it; unset (locally, and in tests), it offers the local Stripe's test payment methods and loads no script.
import { z } from 'zod';
import { configOf, optionalText } from '../../../../lib/config';

export const BuyVars = z.object({
  STRIPE_PUBLISHABLE_KEY: optionalText(
    z.string().regex(/^pk_(test|live)_[A-Za-z0-9]+$/, 'a Stripe publishable key (pk_…)'),
  ),
});

export const buyConfig = (env: object): z.output<typeof BuyVars> => configOf(env, BuyVars, 'the checkout page');
