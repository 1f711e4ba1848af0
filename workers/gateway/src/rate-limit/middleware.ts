// The rate-limit middleware after authentication: the global token bucket of the request's rule (rules.ts), with
// RateLimit-* headers and 429 + Retry-After when the caller is over. The global store is asked through store.ts;
// whatever it does not answer in time is counted by the edge tier (edge.ts) under the same key: a slow store
// leaves the edge tier's verdict standing, a failing one (breaker) makes fail-closed rules answer 503 +
// Retry-After and fail-open ones rely on the edge tier alone.
//
// Why the edge tier counts only what the store did not answer: while the store answers, its verdict is the exact
// one (global, per rule), and an edge count as well cost every request a call (under `wrangler dev` a Durable
// Object fetch, the largest cost of a cached read: issue 10). A caller who slows the store is counted by the edge
// tier from then on, so the limit holds per location, as it did.
import type { Context, MiddlewareHandler } from 'hono';
import type { LimitResult } from '../../../../durable-objects/rate-limiter/rate-limiter.do';
import { AppError } from '../../../../lib/errors';
import { log } from '../../../../lib/log';
import { gatewayConfig } from '../config';
import type { GatewayApp } from '../types';
import { refillOf } from './backends';
import { type EdgeCounter, edgeCount, overloaded } from './edge';
import { classify, edgeOf, type Rule, type RuleName, routeClass, rules, storeWaitMs } from './rules';
import { storeFor } from './store';

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
    const { rule, key } = classify(rules(config), cls, ip, who);
    // The edge tier, for what the store did not answer: the fail-closed routes on a counter of their own at the
    // global rule's figure, the rest per subject or per address. `held`: the request waits for the count.
    const edge = edgeOf[cls];
    const classCounted = edge !== undefined && (edge.key === 'address' || who !== undefined);
    const edgeTier = async (held: boolean) => {
      if (classCounted) return edgeCount(c, cls as EdgeCounter, key, held);
      if (who) return edgeCount(c, 'subject', `sub:${who.sub}`, held);
      if (!c.get('addressCounted')) return edgeCount(c, 'address', `ip:${ip}`, held); // once per request
    };
    // Credential routes and guest creation are counted on their edge counters always, held: they are few, and a
    // counter that has seen the caller's recent attempts holds at once when the store turns slow (one started empty
    // then would give an address another full allowance: issue 11, finding 1). Checkout, the hot path of a flash
    // sale, is counted there only when the store does not answer.
    const counted = classCounted && cls !== 'checkout';
    if (counted) await edgeCount(c, cls as EdgeCounter, key);
    const verdict = await store.check(rule, key, storeWaitMs(rule, config), (p) => {
      try {
        c.executionCtx.waitUntil(p);
      } catch {
        // No execution context (a direct app.request in a test): the call still runs, unheld.
      }
    });
    if (verdict.kind === 'unwaited') {
      // A fail-open rule (browse, cart, webhook): while the store is healthy its verdict applies from the caller's next request; while it
      // is not, the edge tier counts too (held once the isolate is half-way to shedding browse). Slow counts as not
      // healthy: a refusal that arrives after the bucket's next refill (every 500 ms for anonymous callers) is
      // already void, so a flood that slows the store would otherwise go unlimited.
      if (store.degraded) await edgeTier(overloaded(config));
      return next();
    }
    if (verdict.kind === 'late') {
      if (!counted) await edgeTier(true); // the edge tier decides now; the store's verdict follows
      return next();
    }
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
      if (!counted) await edgeTier(true);
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

/**
 * A rule on a key that only the handler knows (the email address in a body): the store's verdict, with the same
 * headers and 429 as the middleware's. Called after the middleware counted the request per address on the edge
 * tier, so a store that answers late leaves that verdict standing; a store that is down refuses (fail-closed rule).
 */
export async function limitByKey(c: Context<GatewayApp>, name: RuleName, key: string): Promise<void> {
  const config = gatewayConfig(c.env);
  const store = storeFor(c.env, config);
  if (!store) return;
  const rule = rules(config)[name];
  const verdict = await store.check(rule, key, config.RATE_LIMIT_TIMEOUT_MS, (p) => {
    try {
      c.executionCtx.waitUntil(p);
    } catch {
      // No execution context (a direct app.request in a test): the call still runs, unheld.
    }
  });
  if (verdict.kind === 'down' && rule.failClosed) {
    const retryAfter = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    throw new AppError('RATE_LIMITER_UNAVAILABLE', 'This operation is paused for a moment; try again shortly.', {
      retryAfter,
    });
  }
  if (verdict.kind !== 'answer' || verdict.result.success) return;
  const now = Date.now();
  const retryAfter = Math.max(1, Math.ceil((verdict.result.reset - now) / 1000));
  throw new AppError('RATE_LIMITED', `Too many emails asked for this address; try again in ${retryAfter} s.`, {
    retryAfter,
    headers: rateHeaders(rule, verdict.result, now),
  });
}
