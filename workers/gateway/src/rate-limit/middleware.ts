// The rate-limit middleware: picks the rule and key for the request, asks the configured backend, sets
// RateLimit-* headers, and answers 429 with Retry-After when the caller is over. When the backend is slow
// or down, rules marked failClosed answer 503 and the others let the request through (logged).
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../../../lib/errors';
import type { GatewayApp, GatewayBindings } from '../types';
import { durableObjectLimiter, type Limiter, upstashLimiter } from './backends';
import { classify, rules } from './rules';

const limiters = new WeakMap<object, Limiter | null>();

/** The backend chosen by RATE_LIMIT_BACKEND (auto: Upstash when its URL is set, else the Durable Object). */
export function limiterFor(env: GatewayBindings): Limiter | null {
  if (limiters.has(env)) return limiters.get(env)!;
  const choice = env.RATE_LIMIT_BACKEND ?? 'auto';
  const timeout = Number(env.RATE_LIMIT_TIMEOUT_MS ?? 300);
  let limiter: Limiter | null;
  if (choice === 'off') limiter = null;
  else if (choice === 'upstash' || (choice === 'auto' && env.UPSTASH_REDIS_REST_URL)) {
    if (!env.UPSTASH_REDIS_REST_URL || !env.UPSTASH_REDIS_REST_TOKEN) {
      throw new Error('RATE_LIMIT_BACKEND=upstash needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN');
    }
    limiter = upstashLimiter(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_REDIS_REST_TOKEN, timeout);
  } else if (choice === 'durable-object' || choice === 'auto') {
    limiter = durableObjectLimiter(env.RATE_LIMITER, Math.max(1, Number(env.RATE_LIMIT_SHARDS ?? 32) || 32));
  } else throw new Error(`RATE_LIMIT_BACKEND must be auto, upstash, durable-object or off, not "${choice}"`);
  limiters.set(env, limiter);
  return limiter;
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`rate limiter did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => timer !== undefined && clearTimeout(timer));
}

export function rateLimit(): MiddlewareHandler<GatewayApp> {
  return async function rateLimitMiddleware(c, next) {
    const limiter = limiterFor(c.env);
    if (!limiter) return next();
    const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
    const { rule, key } = classify(rules(c.env), c.req.path, ip, c.get('identity'));
    let result: Awaited<ReturnType<typeof limiter.limit>>;
    try {
      result = await withDeadline(limiter.limit(rule, key), Number(c.env.RATE_LIMIT_TIMEOUT_MS ?? 300));
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
