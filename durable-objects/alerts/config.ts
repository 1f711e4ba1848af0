// AlertsDO's settings, read through configOf: where notifications go (a webhook, optional: without one they are
// still recorded and served by the ops API), how each call is signed, bounded and retried, and how often a rule
// that keeps firing is notified again. The rules' thresholds are the gateway's (workers/gateway/src/ops/).
import { z } from 'zod';
import { configOf, intVar, optionalText, secret } from '../../lib/config';

/** Loopback hosts may take plain http (the local sink); any other receiver gets the alerts over TLS only. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const webhookUrl = z.url({ protocol: /^https?$/ }).refine(
  (u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || LOOPBACK.has(url.hostname);
  },
  { message: 'must be an https URL (plain http only for 127.0.0.1 or localhost)' },
);

export const AlertsObjectVars = z
  .object({
    // Slack-compatible incoming webhook (JSON with `text`); unset or blank: notifications are recorded, not sent. A
    // secret (`wrangler secret put ALERT_WEBHOOK_URL`): a Slack webhook's URL is all it takes to post to the channel.
    ALERT_WEBHOOK_URL: secret(optionalText(webhookUrl)),
    // HMAC-SHA256 key of the x-storefront-signature header (lib/alerts/signature.ts); required with a URL.
    ALERT_WEBHOOK_SECRET: secret(optionalText()),
    // Deadline of one webhook call.
    ALERT_WEBHOOK_TIMEOUT_MS: intVar(5000, { min: 100, max: 30_000 }),
    // Calls per notification before it is given up (marked failed, logged); waits double from the base, at most 5 min.
    ALERT_WEBHOOK_ATTEMPTS: intVar(6, { min: 1, max: 20 }),
    ALERT_WEBHOOK_RETRY_BASE_MS: intVar(2000, { min: 10, max: 300_000 }),
    // A notification still undelivered this long after it was recorded is given up (`expired`): an hour-old "firing"
    // helps nobody, and the later ones wait behind it.
    ALERT_DELIVERY_MAX_AGE_MINUTES: intVar(60, { min: 1, max: 7 * 24 * 60 }),
    // A firing rule resolves once this many evaluations in a row (one a minute) read its condition clear, so that a
    // value flapping around its threshold is one alert, not a firing and a resolved every other minute.
    ALERT_RESOLVE_AFTER_EVALUATIONS: intVar(3, { min: 1, max: 60 }),
    // A rule that keeps firing is notified again (a reminder) at most this often.
    ALERT_RENOTIFY_MINUTES: intVar(60, { min: 1, max: 7 * 24 * 60 }),
    // Notifications kept for the ops API's history.
    ALERT_HISTORY_DAYS: intVar(30, { min: 1, max: 365 }),
  })
  .refine((c) => !c.ALERT_WEBHOOK_URL || c.ALERT_WEBHOOK_SECRET, {
    path: ['ALERT_WEBHOOK_SECRET'],
    message: 'required when ALERT_WEBHOOK_URL is set (every call is signed)',
  });
export type AlertsObjectConfig = z.output<typeof AlertsObjectVars>;

export const alertsObjectConfig = (env: object): AlertsObjectConfig => configOf(env, AlertsObjectVars, 'AlertsDO');
