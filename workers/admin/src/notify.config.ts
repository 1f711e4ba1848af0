// The notifications consumer's vars (workers/admin/wrangler.toml), read once per env through configOf.
import { z } from 'zod';
import { configOf, enumVar, intVar, optionalText, textVar } from '../../../lib/config';

export const NotifyVars = z.object({
  MAIL_FROM: textVar('orders@storefront.example'),
  SHOP_NAME: textVar('Storefront'),
  /** Dev/test only: every email sent is also POSTed to this local sink (dev/mail-sink.ts). */
  MAIL_SINK_URL: optionalText(z.url()),
  /** Retry n waits base * 2^(n-1) seconds, at most 12 h. */
  NOTIFY_RETRY_BASE_SECONDS: intVar(30, { min: 1, max: 3600 }),
  WEBHOOK_TIMEOUT_MS: intVar(10_000, { min: 100, max: 30_000 }),
  /** Dev/test only: http endpoints on 127.0.0.1 / localhost are accepted. */
  WEBHOOK_ALLOW_LOOPBACK: enumVar(['true', 'false'], 'false'),
});

export type NotifyConfig = z.output<typeof NotifyVars>;

export const notifyConfig = (env: object): NotifyConfig =>
  configOf(env, NotifyVars, 'notifications (storefront-admin)');

/** Seconds before retry `attempts` (1, 2, ...): base * 2^(attempts-1), at most 12 h (the Queue's limit). */
export function notifyRetryDelay(c: NotifyConfig, attempts: number): number {
  return Math.min(43_200, c.NOTIFY_RETRY_BASE_SECONDS * 2 ** Math.max(0, attempts - 1));
}
