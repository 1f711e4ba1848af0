// The rate-limit middleware: picks the rule and key for the request, asks the configured backend, sets
// RateLimit-* headers, and answers 429 with Retry-After when the caller is over. When the backend is slow
// or down, rules marked failClosed answer 503 and the others let the request through (logged).
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../../../lib/errors';
import { withTimeout } from '../../../../lib/resilience';
import { type GatewayConfig, gatewayConfig } from '../config';
import type { GatewayApp, GatewayBindings } from '../types';
import { durableObjectLimiter, type Limiter, upstashLimiter } from './backends';
import { classify, rules } from './rules';

const limiters = new WeakMap<GatewayConfig, Limiter | null>();

/** The backend chosen by RATE_LIMIT_BACKEND (auto: Upstash when its URL is set, else the Durable Object). */
export function limiterFor(env: GatewayBindings, config: GatewayConfig): Limiter | null {
  if (limiters.has(config)) return limiters.get(config)!;
  const choice = config.RATE_LIMIT_BACKEND;
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = config;
  let limiter: Limiter | null = null;
  // The schema has checked that the Upstash backend has both its URL and its token.
  if ((choice === 'upstash' || choice === 'auto') && url && token) {
    limiter = upstashLimiter(url, token, config.RATE_LIMIT_TIMEOUT_MS);
  } else if (choice === 'durable-object' || choice === 'auto') {
    limiter = durableObjectLimiter(env.RATE_LIMITER, config.RATE_LIMIT_SHARDS);
  }
  limiters.set(config, limiter);
  return limiter;
}

export function rateLimit(): MiddlewareHandler<GatewayApp> {
  return async function rateLimitMiddleware(c, next) {
    const config = gatewayConfig(c.env);
    const limiter = limiterFor(c.env, config);
    if (!limiter) return next();
    const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
    const { rule, key } = classify(rules(config), c.req.path, ip, c.get('identity'));
    let result: Awaited<ReturnType<typeof limiter.limit>>;
    try {
      result = await withTimeout(limiter.limit(rule, key), config.RATE_LIMIT_TIMEOUT_MS, 'rate limiter');
    } catch (err) {
      console.warn(
        JSON.stringify({
          requestId: c.get('requestId'),
          msg: 'rate limiter unavailable',
          backend: limiter.name,
          rule: rule.name,
          failClosed: rule.failClosed,
          error: String(err),
        }),
      );
      if (rule.failClosed) {
        throw new AppError('RATE_LIMITER_UNAVAILABLE', 'This operation is paused for a moment; try again shortly.', {
          retryAfter: 5,
        });
      }
      return next();
    }
    const resetSeconds = Math.max(0, Math.ceil((result.reset - Date.now()) / 1000));
    const headers = {
      'ratelimit-limit': String(result.limit),
      'ratelimit-remaining': String(result.remaining),
      'ratelimit-reset': String(resetSeconds),
      'ratelimit-policy': `${rule.limit};w=${rule.windowSeconds}`,
    };
    if (!result.success) {
      throw new AppError('RATE_LIMITED', `Too many requests; try again in ${Math.max(1, resetSeconds)} s.`, {
        retryAfter: Math.max(1, resetSeconds),
        headers,
      });
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}
