// The alert rules' thresholds (wrangler.toml [vars]; defaults here, documented in docs/operations.md#alerts), read
// through configOf apart from the gateway's main config, like the figures' settings: a bad alert setting fails the
// evaluation (logged, naming the variable), never a shopper's request. The webhook's own settings are AlertsDO's
// (durable-objects/alerts/config.ts), which delivers.
import { z } from 'zod';
import { configOf, intVar } from '../../../../lib/config';

/** A decimal var (e.g. a burn rate of 14.4), above 0, with a default when unset or blank. */
const decimalVar = (defaultValue: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().gt(0).default(defaultValue),
  );

export const AlertVars = z.object({
  // The window of the error-rate and p99 rules (the last N whole minutes, the one under way included).
  ALERT_WINDOW_MINUTES: intVar(5, { min: 1, max: 60 }),
  // Too few events judge nothing, so that one bad request never pages. `error-rate` and the burn rules need this
  // many bad events (5xx, or slow for a latency burn) in their window, both windows for a burn pair (at a 99.9%
  // objective one 5xx of 20 requests is a burn of 50)...
  ALERT_MIN_BAD_EVENTS: intVar(5, { min: 1 }),
  // ... and `latency-p99` this many requests on a route (under 100 samples the p99 is the slowest one or next to it).
  ALERT_MIN_REQUESTS: intVar(100, { min: 1 }),
  // 5xx answers, as a percentage of all requests, at or over which `error-rate` fires.
  ALERT_ERROR_RATE_PERCENT: decimalVar(5),
  // Multi-window burn rates (Google SRE workbook, ch. 5): fast fires when both the last hour and the last 5 minutes
  // burn at least this fast; slow when both the last 6 hours and the last 30 minutes do.
  ALERT_BURN_FAST: decimalVar(14.4),
  ALERT_BURN_SLOW: decimalVar(6),
  // Dead letters waiting, and the age of the oldest one's first death, at or over which their rules fire.
  ALERT_DEAD_LETTERS: intVar(1, { min: 1 }),
  ALERT_DEAD_LETTER_AGE_MINUTES: intVar(60, { min: 1 }),
  // An OrdersDO task this long past its due time is stuck (its object's alarm is not running it; a failed run is
  // due again later, which `outbox-failing` counts).
  ALERT_OUTBOX_STUCK_MINUTES: intVar(10, { min: 1 }),
  // OrdersDO tasks whose last run failed, over all objects.
  ALERT_OUTBOX_FAILING: intVar(10, { min: 1 }),
  // Seconds the oldest order copy has waited for the `orders` consumer's confirmation (the Queue's oldest message
  // as the OrdersDOs see it), or an InventoryDO's stock change for its copy after a failure, the older: a healthy
  // copy is confirmed within a second or two; ORDERS_CONFIRM_SECONDS resends.
  ALERT_QUEUE_OLDEST_SECONDS: intVar(300, { min: 1 }),
  // Replica replay behind the primary (seconds since its last replayed commit while it has WAL to replay).
  ALERT_REPLICA_LAG_SECONDS: intVar(60, { min: 1 }),
  // Breakers not closed (open or half-open), over every worker's answering isolate.
  ALERT_BREAKERS_OPEN: intVar(1, { min: 1 }),
  // Slow Postgres queries (each at or over its worker's SLOW_QUERY_MS) over every worker in the last
  // ALERT_SLOW_QUERIES_MINUTES whole minutes (the one under way included), at or over which `slow-queries` fires.
  ALERT_SLOW_QUERIES: intVar(10, { min: 1 }),
  ALERT_SLOW_QUERIES_MINUTES: intVar(5, { min: 1, max: 60 }),
  // Required /health checks down (e.g. postgresPrimary), a worker that did not answer included.
  ALERT_DEPENDENCIES_DOWN: intVar(1, { min: 1 }),
  // A signal source (figures, SLO counts, business figures, health, breakers, slow queries) unreadable at every evaluation for this
  // many minutes fires `signals-unavailable`: the rules of a dead source keep their state, so they alone are silent.
  ALERT_SIGNALS_UNAVAILABLE_MINUTES: intVar(5, { min: 1, max: 24 * 60 }),
});
export type AlertConfig = z.output<typeof AlertVars>;

export const alertsConfig = (env: object): AlertConfig => configOf(env, AlertVars, 'storefront-gateway alerts');
