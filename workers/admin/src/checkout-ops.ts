// The admin worker's one way to call the checkout worker's CheckoutOps binding: traced, and every call bounded in
// time (a hung OrdersDO or InventoryDO behind it must not hold a merchant's request open). A call that does not
// answer in time is a 503 SERVICE_UNAVAILABLE; whether a write behind it was made is then unknown (the audit row
// stays pending, audit.ts).
import { AppError } from '../../../lib/errors';
import { TimeoutError, withTimeout } from '../../../lib/resilience';
import { traced } from '../../../lib/trace';

/**
 * Long enough for the slowest call: a refund goes CheckoutOps -> Postgres -> OrdersDO -> Stripe (its own timeout
 * and one retry) before it answers.
 */
export const CHECKOUT_OPS_TIMEOUT_MS = 20_000;

export function checkoutOps<T extends object>(env: { CHECKOUT_OPS: T }): T {
  const ops = traced(env.CHECKOUT_OPS) as Record<string, (...a: unknown[]) => Promise<unknown>>;
  return new Proxy(ops, {
    get(target, prop) {
      const member = Reflect.get(target, prop);
      if (typeof member !== 'function' || typeof prop === 'symbol') return member;
      return (...args: unknown[]) =>
        withTimeout(target[prop]!(...args), CHECKOUT_OPS_TIMEOUT_MS, `CheckoutOps.${prop}`).catch((err) => {
          if (!(err instanceof TimeoutError)) throw err;
          throw new AppError('SERVICE_UNAVAILABLE', 'The checkout service did not answer in time; try again.', {
            retryAfter: 5,
            cause: err,
          });
        });
    },
  }) as T;
}
