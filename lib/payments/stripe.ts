// Stripe for the checkout worker's webhook and for OrdersDO's payments port: the real SDK over fetch (workerd),
// pointed at the local Stripe server in development, with a per-request timeout, the SDK's own retries
// (exponential backoff with jitter, and the same idempotency key on every retry), and a circuit breaker so an
// outage fails fast instead of piling up.
import Stripe from 'stripe';
import { z } from 'zod';
import { configOf, intVar, optionalText, secret } from '../config';
import { CircuitBreaker, CircuitOpenError, withTimeout } from '../resilience';
import { outgoingTrace } from '../trace';

/** Stripe's part of the env of the worker that calls it (vars in wrangler.toml, secrets by `wrangler secret put`). */
export interface StripeEnv {
  /** Secret: sk_live_... / sk_test_... */
  STRIPE_SECRET_KEY?: string;
  /** Secret: the webhook endpoint's signing secret (whsec_...). */
  STRIPE_WEBHOOK_SECRET?: string;
  /** Empty for Stripe itself; http://127.0.0.1:<port> for the local Stripe server. */
  STRIPE_API_BASE?: string;
  STRIPE_TIMEOUT_MS?: string;
  STRIPE_CHECKOUT_TIMEOUT_MS?: string;
  STRIPE_LOOKUP_TIMEOUT_MS?: string;
}

const required = (name: string) => {
  const error = `required: set it with \`wrangler secret put ${name}\``;
  return secret(z.string({ error }).trim().min(1, { error }));
};

/** What calling Stripe's API needs; read on the first call. */
const StripeApiConfig = z.object({
  STRIPE_SECRET_KEY: required('STRIPE_SECRET_KEY'),
  STRIPE_API_BASE: optionalText(z.url()),
  STRIPE_TIMEOUT_MS: intVar(5000, { min: 1, max: 60_000 }),
  /** The whole create-and-confirm of a checkout, SDK retries included: the shopper waits for it. */
  STRIPE_CHECKOUT_TIMEOUT_MS: intVar(4000, { min: 1, max: 60_000 }),
  /** A read a checkout can go on without (the card's fingerprint): a part of the checkout's budget above. */
  STRIPE_LOOKUP_TIMEOUT_MS: intVar(1000, { min: 1, max: 60_000 }),
});

/** What verifying a webhook needs; read on the first webhook. */
const StripeWebhookConfig = z.object({ STRIPE_WEBHOOK_SECRET: required('STRIPE_WEBHOOK_SECRET') });

const SCOPE = 'Stripe (storefront-checkout)';

/**
 * fetch with the current span as a `traceparent` header (the local Stripe records it), for every call to Stripe.
 * Added here, under the SDK, not as the SDK's per-request `headers` option: with that option, 10 concurrent
 * create-and-confirm calls of a flash sale timed out (503 PAYMENT_PROVIDER_UNAVAILABLE) in the e2e race test.
 */
const tracedFetch: typeof fetch = (input, init) => {
  const trace = outgoingTrace();
  if (!trace) return fetch(input, init);
  const headers = new Headers(init?.headers);
  headers.set('traceparent', trace.traceparent);
  return fetch(input, { ...init, headers });
};
const clients = new WeakMap<object, Stripe>();

export function stripeClient(env: StripeEnv): Stripe {
  let client = clients.get(env);
  if (client) return client;
  const config = configOf(env, StripeApiConfig, SCOPE);
  const base = config.STRIPE_API_BASE ? new URL(config.STRIPE_API_BASE) : null;
  client = new Stripe(config.STRIPE_SECRET_KEY, {
    httpClient: Stripe.createFetchHttpClient(tracedFetch),
    timeout: config.STRIPE_TIMEOUT_MS,
    maxNetworkRetries: 2,
    telemetry: false,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port) || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
  clients.set(env, client);
  return client;
}

export const stripeBreaker = new CircuitBreaker('stripe', { failureThreshold: 5, openMs: 10_000 });

/** Outages count against the breaker; Stripe's answers (a declined card, a bad request) do not. */
export function isStripeOutage(err: unknown): boolean {
  return (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    err instanceof Stripe.errors.StripeAuthenticationError ||
    (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
  );
}

/** A call to Stripe through the breaker. */
export function callStripe<T>(env: StripeEnv, fn: (stripe: Stripe) => Promise<T>): Promise<T> {
  return stripeBreaker.run(() => fn(stripeClient(env)), isStripeOutage);
}

/** Per-request options of a call someone waits for: one attempt's timeout and at most one SDK retry. */
export type WaitedCallOptions = { timeout: number; maxNetworkRetries: number };

/**
 * A call to Stripe that a shopper waits for (a checkout's create-and-confirm): it answers or fails within
 * STRIPE_CHECKOUT_TIMEOUT_MS whatever Stripe does, SDK retries included (5 s x 3 attempts held a checkout 16 s).
 * `since`: when the checkout's Stripe budget began (its card lookup came first), so the two together keep the bound.
 * The request may still reach Stripe after the deadline; the caller's idempotency key makes a retry find it.
 */
export function callStripeWithin<T>(
  env: StripeEnv,
  fn: (stripe: Stripe, opts: WaitedCallOptions) => Promise<T>,
  since = Date.now(),
) {
  const budget = configOf(env, StripeApiConfig, SCOPE).STRIPE_CHECKOUT_TIMEOUT_MS;
  const ms = Math.max(1, budget - (Date.now() - since));
  return stripeBreaker.run(
    () => withTimeout(fn(stripeClient(env), { timeout: ms, maxNetworkRetries: 1 }), ms, 'Stripe (checkout payment)'),
    isStripeOutage,
  );
}

/**
 * A read a checkout can go on without (the card's fingerprint for the stock caps): one attempt within
 * STRIPE_LOOKUP_TIMEOUT_MS, refused at once while the breaker is open. Its failures do not count against the
 * breaker: a few slow lookups must not turn the create-and-confirm that follows (which counts) into instant 503s,
 * and so into no PaymentIntent at all for a brownout's waiting checkouts.
 */
export async function lookupStripe<T>(env: StripeEnv, fn: (stripe: Stripe, opts: WaitedCallOptions) => Promise<T>) {
  if (stripeBreaker.state === 'open') throw new CircuitOpenError(stripeBreaker.name, 1000);
  const ms = configOf(env, StripeApiConfig, SCOPE).STRIPE_LOOKUP_TIMEOUT_MS;
  return withTimeout(fn(stripeClient(env), { timeout: ms, maxNetworkRetries: 0 }), ms, 'Stripe (lookup)');
}

let subtle: ReturnType<typeof Stripe.createSubtleCryptoProvider> | undefined;

/** How old a webhook's signature may be (Stripe's default tolerance, against replays). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
/**
 * How far in the future a signature's timestamp may be. The SDK only bounds the past, so a signature dated hours
 * ahead would stay replayable for hours; Stripe and Cloudflare both keep NTP time, so a few seconds of skew is all
 * an honest sender ever shows: 30 s is generous for that and useless for a replay.
 */
export const WEBHOOK_FUTURE_SKEW_SECONDS = 30;

/**
 * Verifies a webhook's signature with the SDK's async verifier (Web Crypto), then refuses a timestamp too far in
 * the future; throws StripeSignatureVerificationError on either, SyntaxError on a body that is not JSON.
 */
export async function verifyWebhook(env: StripeEnv, payload: string, signature: string): Promise<Stripe.Event> {
  const { STRIPE_WEBHOOK_SECRET } = configOf(env, StripeWebhookConfig, SCOPE);
  subtle ??= Stripe.createSubtleCryptoProvider();
  const event = await Stripe.webhooks.constructEventAsync(
    payload,
    signature,
    STRIPE_WEBHOOK_SECRET,
    WEBHOOK_TOLERANCE_SECONDS,
    subtle,
  );
  // The verifier accepted the header, so it has exactly one well-formed t=<unix seconds>.
  const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(signature)?.[1]);
  if (!(signedAt <= Date.now() / 1000 + WEBHOOK_FUTURE_SKEW_SECONDS)) {
    throw new Stripe.errors.StripeSignatureVerificationError(signature, payload, {
      message: `Timestamp is more than ${WEBHOOK_FUTURE_SKEW_SECONDS} s in the future`,
    });
  }
  return event;
}

export { Stripe };
