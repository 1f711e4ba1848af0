// The rate-limit middleware after authentication: the per-subject edge count, then the global token bucket of the
// request's rule (rules.ts), with RateLimit-* headers and 429 + Retry-After when the caller is over. The global
// store is asked through store.ts: a slow store leaves the edge tier's verdict standing, a failing one (breaker)
// makes fail-closed rules answer 503 + Retry-After and fail-open ones rely on the edge tier alone.
import type { MiddlewareHandler } from 'hono';
import type { LimitResult } from '../../../../durable-objects/rate-limiter/rate-limiter.do';
import { AppError } from '../../../../lib/errors';
import { log } from '../../../../lib/log';
import { type GatewayConfig, gatewayConfig } from '../config';
import type { GatewayApp, GatewayBindings } from '../types';
import { durableObjectLimiter, type Limiter, refillOf, upstashLimiter } from './backends';
import { type EdgeCounter, edgeCount } from './edge';
import { classify, edgeOf, type Rule, routeClass, rules } from './rules';
import { GlobalStore } from './store';

const stores = new WeakMap<GatewayConfig, GlobalStore | null>();

/** The store chosen by RATE_LIMIT_BACKEND (auto: Upstash when its URL is set, else the Durable Object). */
export function storeFor(env: GatewayBindings, config: GatewayConfig): GlobalStore | null {
  if (stores.has(config)) return stores.get(config)!;
  const choice = config.RATE_LIMIT_BACKEND;
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = config;
  let limiter: Limiter | null = null;
  // The schema has checked that the Upstash backend has both its URL and its token.
  if ((choice === 'upstash' || choice === 'auto') && url && token) {
    limiter = upstashLimiter(url, token, config.RATE_LIMIT_STORE_TIMEOUT_MS);
  } else if (choice === 'durable-object' || choice === 'auto') {
    limiter = durableObjectLimiter(env.RATE_LIMITER, config.RATE_LIMIT_SHARDS);
  }
  const store = limiter
    ? new GlobalStore(limiter, {
        storeTimeoutMs: config.RATE_LIMIT_STORE_TIMEOUT_MS,
        breakerFailures: config.RATE_LIMIT_BREAKER_FAILURES,
        breakerOpenMs: config.RATE_LIMIT_BREAKER_OPEN_MS,
      })
    : null;
  stores.set(config, store);
  return store;
}

/**
 * RateLimit-Limit is the bucket's capacity, -Remaining its tokens left, -Reset the seconds until it is full
 * again, -Policy the sustained rate ("<count>;w=<seconds>", plus ";burst=<n>" when the capacity differs).
 */
export function rateHeaders(rule: Rule, result: LimitResult, now = Date.now()): Record<string, string> {
  const { refillRate, intervalMs } = refillOf(rule);
  const missing = result.limit - result.remaining;
  const fullAt = missing <= 0 ? now : result.reset + (Math.ceil(missing / refillRate) - 1) * intervalMs;
  const burst = rule.burst === rule.limit ? '' : `;burst=${rule.burst}`;
  return {
    'ratelimit-limit': String(result.limit),
    'ratelimit-remaining': String(result.remaining),
    'ratelimit-reset': String(Math.max(0, Math.ceil((fullAt - now) / 1000))),
    'ratelimit-policy': `${rule.limit};w=${rule.windowSeconds}${burst}`,
  };
}

export function rateLimit(): MiddlewareHandler<GatewayApp> {
  return async function rateLimitMiddleware(c, next) {
    const config = gatewayConfig(c.env);
    const store = storeFor(c.env, config);
    if (!store) return next();
    const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
    const cls = routeClass(c.req.method, c.req.path);
    const who = c.get('identity');
    if (who) await edgeCount(c, 'subject', `sub:${who.sub}`);
    const { rule, key } = classify(rules(config), cls, ip, who);
    // The fail-closed routes also count on an edge counter of their own, at the global rule's figure.
    const edge = edgeOf[cls];
    if (edge && (edge.key === 'address' || who)) await edgeCount(c, cls as EdgeCounter, key);
    const waitMs = cls === 'browse' ? config.RATE_LIMIT_BROWSE_WAIT_MS : config.RATE_LIMIT_TIMEOUT_MS;
    const verdict = await store.check(rule, key, waitMs, (p) => {
      try {
        c.executionCtx.waitUntil(p);
      } catch {
        // No execution context (a direct app.request in a test): the call still runs, unheld.
      }
    });
    if (verdict.kind === 'late') return next(); // the edge tier has let it through; the store's verdict follows
    if (verdict.kind === 'down') {
      log.warn('rate limiter unavailable', {
        requestId: c.get('requestId'),
        backend: store.backend.name,
        breaker: store.breaker.state,
        rule: rule.name,
        failClosed: rule.failClosed,
        error: String(verdict.error),
      });
      if (rule.failClosed) {
        const retryAfter = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
        throw new AppError('RATE_LIMITER_UNAVAILABLE', 'This operation is paused for a moment; try again shortly.', {
          retryAfter,
        });
      }
      return next();
    }
    const now = Date.now();
    const headers = rateHeaders(rule, verdict.result, now);
    if (!verdict.result.success) {
      // Retry-After: until one token is back (the next refill), at least 1 s.
      const retryAfter = Math.max(1, Math.ceil((verdict.result.reset - now) / 1000));
      throw new AppError('RATE_LIMITED', `Too many requests; try again in ${retryAfter} s.`, { retryAfter, headers });
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}
