// The figures' and SLOs' settings (wrangler.toml [vars]; the Analytics Engine credentials are secrets), read through
// configOf apart from the gateway's main config so that a bad figures setting never fails a shopper's request: the
// recorder then records nothing and logs why, and the ops API answers 500 naming the variable.
import { z } from 'zod';
import { configOf, enumVar, intVar, optionalText, secret, textVar } from '../../../../lib/config';

/** An objective written as a percentage, e.g. "99.5": strictly between 0 and 100. */
const percentVar = (defaultValue: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().gt(0).lt(100).default(defaultValue),
  );

export const FiguresVars = z.object({
  // "off": no per-request rollups (the Analytics Engine data point is still written). For the bench's cost figure.
  FIGURES_RECORDING: enumVar(['on', 'off'], 'on'),
  // An isolate hands its rollups to its MetricsDO shard at most this often (and this long after its first request).
  FIGURES_FLUSH_MS: intVar(5000, { min: 100, max: 25_000 }), // waitUntil work ends ~30 s after the answer
  // MetricsDO objects the isolates spread over (each isolate picks one at random); the ops API reads all of them.
  FIGURES_SHARDS: intVar(4, { min: 1, max: 64 }),
  // Where the ops API reads request figures: the MetricsDO rollups, or the Analytics Engine SQL API (production).
  FIGURES_SOURCE: enumVar(['durable-object', 'analytics-engine'], 'durable-object'),
  FIGURES_QUERY_TIMEOUT_MS: intVar(5000, { min: 100, max: 60_000 }),
  // Analytics Engine SQL API credentials (secrets), needed when FIGURES_SOURCE is analytics-engine.
  CF_ACCOUNT_ID: secret(optionalText()),
  CF_ANALYTICS_TOKEN: secret(optionalText()),
  // The Cloudflare API's origin (tests: a local server speaking the Analytics Engine SQL API).
  CF_API_BASE: textVar('https://api.cloudflare.com').pipe(z.url({ protocol: /^https?$/ })),
  // SLOs: availability (not 5xx) and latency (answered within the bound, of the answers not 5xx) per journey.
  SLO_WINDOW_HOURS: intVar(168, { min: 1, max: 24 * 90 }),
  SLO_CATALOG_AVAILABILITY: percentVar(99.9),
  SLO_CATALOG_LATENCY: percentVar(99),
  SLO_CATALOG_LATENCY_MS: intVar(300, { min: 1 }),
  SLO_CART_AVAILABILITY: percentVar(99.9),
  SLO_CART_LATENCY: percentVar(99),
  SLO_CART_LATENCY_MS: intVar(500, { min: 1 }),
  SLO_CHECKOUT_AVAILABILITY: percentVar(99.5),
  SLO_CHECKOUT_LATENCY: percentVar(99),
  SLO_CHECKOUT_LATENCY_MS: intVar(3000, { min: 1 }),
  // Order paid: of the orders accepted, the share paid at all (availability) and within the bound (latency).
  SLO_ORDER_PAID_AVAILABILITY: percentVar(99.5),
  SLO_ORDER_PAID_LATENCY: percentVar(99),
  SLO_ORDER_PAID_WITHIN_SECONDS: intVar(60, { min: 1 }),
});
export type FiguresConfig = z.output<typeof FiguresVars>;

export const figuresConfig = (env: object): FiguresConfig => configOf(env, FiguresVars, 'storefront-gateway figures');
