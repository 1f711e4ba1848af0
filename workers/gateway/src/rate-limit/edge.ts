// The edge tier, which runs before anything costly: an overload gauge (requests in flight in this isolate, with a
// cap per route class) and the Workers Rate Limiting bindings, counters local to the Cloudflare location
// (`[[ratelimits]]` in wrangler.toml; `wrangler dev` keeps them in memory). The address binding counts every
// request before its token is verified, so forged or junk bearers are limited like anything else (issue 11,
// finding 5); the subject binding counts signed-in callers after verification. Their verdict is the one that
// stands when the global store is slow or down (store.ts).
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../../../../lib/errors';
import { type GatewayConfig, gatewayConfig } from '../config';
import type { GatewayApp } from '../types';
import { type RouteClass, routeClass } from './rules';

/** The period of both bindings in wrangler.toml (10 or 60 s): a refused caller is told to wait that long. */
export const EDGE_PERIOD_SECONDS = 10;

// Under overload, checkout and Stripe's webhooks (money already moving) give way last, carts and sign-ins next,
// browsing first: a catalog read is cached, idempotent and retried by a reload, while a refused checkout may be a
// lost sale and a refused webhook a delayed order.
const capOf: Record<RouteClass, (c: GatewayConfig) => number> = {
  browse: (c) => c.OVERLOAD_MAX_INFLIGHT_BROWSE,
  cart: (c) => c.OVERLOAD_MAX_INFLIGHT_CART,
  auth: (c) => c.OVERLOAD_MAX_INFLIGHT_CART,
  guestCreation: (c) => c.OVERLOAD_MAX_INFLIGHT_CART,
  checkout: (c) => c.OVERLOAD_MAX_INFLIGHT_CHECKOUT,
  webhook: (c) => c.OVERLOAD_MAX_INFLIGHT_CHECKOUT,
};

/** Requests of any class in flight in this isolate (one gauge: the classes share its CPU and memory). */
let inFlight = 0;
export const inFlightNow = () => inFlight;

/** Asks an edge binding; a binding that fails does not block anyone (the global tier still counts). */
export async function edgeAllows(c: Context<GatewayApp>, binding: RateLimit | undefined, key: string) {
  if (!binding) return true;
  try {
    return (await binding.limit({ key })).success;
  } catch (err) {
    console.warn(JSON.stringify({ requestId: c.get('requestId'), msg: 'edge rate limit failed', error: String(err) }));
    return true;
  }
}

export function edgeRefusal(): AppError {
  return new AppError('RATE_LIMITED', `Too many requests; try again in ${EDGE_PERIOD_SECONDS} s.`, {
    retryAfter: EDGE_PERIOD_SECONDS,
  });
}

/** Before authentication: overload shedding, then the per-address edge count. */
export function edgeLimits(): MiddlewareHandler<GatewayApp> {
  return async function edgeLimitsMiddleware(c, next) {
    const config = gatewayConfig(c.env);
    if (config.RATE_LIMIT_BACKEND === 'off') return next();
    const cls = routeClass(c.req.method, c.req.path);
    // Refused at once: an overloaded isolate must answer in milliseconds, not queue the request behind the others.
    if (inFlight >= capOf[cls](config)) {
      throw new AppError('SERVICE_UNAVAILABLE', 'The storefront is very busy; try again in a moment.', {
        retryAfter: 1,
      });
    }
    inFlight++;
    try {
      const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
      if (!(await edgeAllows(c, c.env.EDGE_LIMIT_ADDRESS, `ip:${ip}`))) throw edgeRefusal();
      await next();
    } finally {
      inFlight--;
    }
  };
}
