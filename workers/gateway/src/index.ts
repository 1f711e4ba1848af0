// The gateway worker entry: the only public worker. Requests go to the app; the Cron Trigger ([triggers] in
// wrangler.toml) prunes the refresh tokens that can never be used again (`wrangler dev --test-scheduled` runs it
// locally through /__scheduled).
import { app } from './app';
import { pruneRefreshTokens } from './auth/identity.service';
import type { GatewayBindings } from './types';

export { RateLimiterDO } from '../../../durable-objects/rate-limiter/rate-limiter.do';

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(pruneRefreshTokens(env as GatewayBindings));
  },
} satisfies ExportedHandler<GatewayEnv>;
export { MetricsDO } from '../../../durable-objects/metrics/metrics.do';
