// One webhook call of AlertsDO: the Slack-compatible JSON of a notification (`text` for a human, `alert` for a
// program), signed (lib/alerts/signature.ts) and bounded by a deadline. A non-2xx answer (a redirect too, never
// followed) is a failure, retried by the
// object's alarm with backoff; the `x-storefront-alert-id` header lets a receiver drop a retry it already has.
import type { AlertEvent } from '../../lib/contracts/alerts';
import { postSigned } from '../../lib/webhooks/signed-post';
import type { AlertsObjectConfig } from './config';

export const ALERT_ID_HEADER = 'x-storefront-alert-id';

/** The notification as sent. */
export function payloadOf(e: AlertEvent) {
  const status = e.kind === 'resolved' ? 'resolved' : 'firing';
  const head = { firing: '[FIRING]', reminder: '[STILL FIRING]', resolved: '[RESOLVED]' }[e.kind];
  const reading = e.value === null ? 'unread' : `${e.value} (threshold ${e.threshold})`;
  return {
    text: `${head} ${e.rule}: ${e.summary}: ${reading}${e.detail ? ` (${e.detail})` : ''}`,
    alert: {
      id: e.id,
      rule: e.rule,
      status,
      kind: e.kind,
      summary: e.summary,
      value: e.value,
      threshold: e.threshold,
      detail: e.detail,
      at: e.at,
      since: e.since,
    },
  };
}

/** Sends one notification; throws on a timeout, a network error or a non-2xx answer. */
export async function sendWebhook(c: AlertsObjectConfig, e: AlertEvent): Promise<void> {
  const res = await postSigned(c.ALERT_WEBHOOK_URL!, c.ALERT_WEBHOOK_SECRET!, JSON.stringify(payloadOf(e)), {
    timeoutMs: c.ALERT_WEBHOOK_TIMEOUT_MS,
    headers: { [ALERT_ID_HEADER]: String(e.id) },
  });
  if (res.status < 200 || res.status > 299)
    throw new Error(`webhook answered ${res.status}${res.location ? ' (a redirect)' : ''}`);
}
