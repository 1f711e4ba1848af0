// The gateway worker entry: the only public worker. Requests go to the app; the Cron Triggers ([triggers] in
// wrangler.toml) evaluate the alert rules every minute, prune the refresh tokens that can never be used again,
// once an hour, and run archival once a day (the admin worker's, over its binding) (`wrangler dev --test-scheduled`
// runs them locally through /__scheduled?cron=...).
import { log } from '../../../lib/log';
import { startBreakerReports, startSlowQueryReports } from '../../../lib/metrics/breaker-reports.worker';
import { unwrap } from '../../../lib/rpc';
import { traced } from '../../../lib/trace';
import { app } from './app';
import { pruneRefreshTokens } from './auth/identity.service';
import { ALERTS_CRON, evaluateAlerts } from './ops/alerts.service';
import type { GatewayBindings } from './types';

/** Archival (workers/admin/src/archive.ts), once a day at 03:41 UTC (wrangler.toml [triggers]). */
const ARCHIVE_CRON = '41 3 * * *';

export { RateLimiterDO } from '../../../durable-objects/rate-limiter/rate-limiter.do';

// Its breakers (the rate limiter's) push their state to the catalog's MetricsDO `breakers` (docs/operations.md).
startBreakerReports('gateway', 'BREAKERS');
startSlowQueryReports('gateway', 'BREAKERS');

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    if (controller.cron === ALERTS_CRON) {
      // Awaited, not waitUntil: the invocation lasts as long as the evaluation, so a run that fails is a failed
      // invocation in the Cron Events log (and /__scheduled answers once it is done).
      try {
        await evaluateAlerts(env as GatewayBindings, controller.scheduledTime);
      } catch (err) {
        log.error('alert evaluation failed', { error: String(err) });
        throw err;
      }
      return;
    }
    if (controller.cron === ARCHIVE_CRON) {
      // Awaited, like the alerts: a failed run is a failed invocation. The admin worker audits it under this actor.
      const run = unwrap(
        await traced((env as GatewayBindings).ADMIN).archiveRun({
          sub: 'cron:archive',
          role: 'admin',
          requestId: `cron-${controller.scheduledTime}`,
          address: null,
        }),
      );
      log.info('archival run', { moved: run.moved, batches: run.batches.length, more: run.more });
      return;
    }
    ctx.waitUntil(pruneRefreshTokens(env as GatewayBindings));
  },
} satisfies ExportedHandler<GatewayEnv>;
export { AlertsDO } from '../../../durable-objects/alerts/alerts.do';
export { MetricsDO } from '../../../durable-objects/metrics/metrics.do';
