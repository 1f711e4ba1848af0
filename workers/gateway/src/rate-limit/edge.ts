// The edge tier: the Workers Rate Limiting bindings, counters local to the Cloudflare location (`[[ratelimits]]` in
// wrangler.toml; `wrangler dev` keeps them in memory), and an overload gauge (requests in flight in this isolate,
// with a cap per route class). The counters stand in for the global store: they count what it did not answer in
// time, and their verdict is the one that stands while it is slow or down (middleware.ts); the per-class counters
// repeat the global rule's figure per location, so a slow store does not loosen a credential or checkout limit. A
// request with a bearer is counted on the address counter before its token is verified, so forged or junk bearers
// are limited like anything else (issue 11, finding 5), and one address cannot spread over many subjects.
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../../../../lib/errors';
import { log } from '../../../../lib/log';
import { type GatewayConfig, gatewayConfig } from '../config';
import type { GatewayApp, GatewayBindings } from '../types';
import { type RouteClass, routeClass } from './rules';
import { storeFor } from './store';

export type EdgeBinding = {
  [K in keyof GatewayBindings]: GatewayBindings[K] extends RateLimit ? K : never;
}[keyof GatewayBindings];

/** Each counter's binding and its period in wrangler.toml (10 or 60 s): a refused caller waits that long. */
export const edgeCounters = {
  address: { binding: 'EDGE_LIMIT_ADDRESS', periodSeconds: 10 },
  subject: { binding: 'EDGE_LIMIT_SUBJECT', periodSeconds: 10 },
  auth: { binding: 'EDGE_LIMIT_AUTH', periodSeconds: 60 },
  guestCreation: { binding: 'EDGE_LIMIT_GUEST_CREATION', periodSeconds: 60 },
  checkout: { binding: 'EDGE_LIMIT_CHECKOUT', periodSeconds: 60 },
} as const satisfies Record<string, { binding: EdgeBinding; periodSeconds: 10 | 60 }>;
export type EdgeCounter = keyof typeof edgeCounters;

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
/** The same per client address: more than ADDRESS_BURST at once from one address is a flood (or a big NAT). */
const inFlightByAddress = new Map<string, number>();
const ADDRESS_BURST = 8;

/** `counter:key` -> epoch ms until which its edge counter refused it: refused again here, without a call. */
const refusedAtEdge = new Map<string, number>();
const FORGET_ABOVE = 10_000;

function refusal(periodSeconds: number) {
  return new AppError('RATE_LIMITED', `Too many requests; try again in ${periodSeconds} s.`, {
    retryAfter: periodSeconds,
  });
}

function remember(id: string, until: number) {
  if (refusedAtEdge.size >= FORGET_ABOVE) {
    const now = Date.now();
    for (const [k, t] of refusedAtEdge) if (t <= now) refusedAtEdge.delete(k);
    while (refusedAtEdge.size >= FORGET_ABOVE) refusedAtEdge.delete(refusedAtEdge.keys().next().value!);
  }
  refusedAtEdge.set(id, until);
}

/**
 * Counts `key` on an edge counter and throws 429 (Retry-After: the counter's period) when it is over. A refusal is
 * remembered for the period, so a flood is refused in the isolate without further calls. `wait: false` counts
 * without holding the request (its refusal applies from the key's next request): for anonymous reads, which
 * verify nothing and are cached, so a cheap answer matters more than refusing the first few of a flood. A binding
 * that is missing or fails blocks nobody: the global tier still counts.
 */
export async function edgeCount(c: Context<GatewayApp>, counter: EdgeCounter, key: string, wait = true) {
  const { binding, periodSeconds } = edgeCounters[counter];
  const limiter = c.env[binding] as RateLimit | undefined;
  if (!limiter) return;
  const id = `${counter}:${key}`;
  const until = refusedAtEdge.get(id);
  if (until !== undefined) {
    if (until > Date.now()) throw refusal(periodSeconds);
    refusedAtEdge.delete(id);
  }
  const call = limiter.limit({ key }).then(
    ({ success }) => {
      if (!success) remember(id, Date.now() + periodSeconds * 1000);
      return success;
    },
    (err: unknown) => {
      log.warn('edge rate limit failed', { requestId: c.get('requestId'), error: String(err) });
      return true;
    },
  );
  if (!wait) {
    try {
      c.executionCtx.waitUntil(call);
    } catch {
      // No execution context (a direct app.request in a test): the call still runs, unheld.
    }
    return;
  }
  if (!(await call)) throw refusal(periodSeconds);
}

/** True once the isolate is half-way to shedding browse: an edge count is then held, not left to run behind. */
export const overloaded = (config: GatewayConfig) => inFlight * 2 >= config.OVERLOAD_MAX_INFLIGHT_BROWSE;

/** Is `key` refused on `counter` right now (a refusal remembered in this isolate)? No call. */
function refusedNow(counter: EdgeCounter, key: string): boolean {
  const until = refusedAtEdge.get(`${counter}:${key}`);
  return until !== undefined && until > Date.now();
}

/**
 * A bearer that failed verification counts its address on the edge tier, held, before the 401: a flood of forged
 * or junk bearers meets 429 like any flood (issue 11, finding 5), and the refusal is then remembered, so the rest
 * of it is refused before any verification. A valid bearer is not counted here: its subject is counted by the
 * global store (middleware.ts), and under pressure the address is counted for every request (edgeLimits).
 */
export async function countRefusedBearer(c: Context<GatewayApp>): Promise<void> {
  if (gatewayConfig(c.env).RATE_LIMIT_BACKEND === 'off' || c.get('addressCounted')) return;
  c.set('addressCounted', true);
  await edgeCount(c, 'address', `ip:${c.req.header('cf-connecting-ip') ?? 'unknown'}`);
}

/**
 * Before authentication: an address the edge tier refused lately is refused again (no call), then overload
 * shedding. The address is counted on the edge tier only under pressure, when the global store does not answer in
 * time (middleware.ts), or when its bearer fails verification (countRefusedBearer).
 */
export function edgeLimits(opts: { countAddress?: boolean } = {}): MiddlewareHandler<GatewayApp> {
  return async function edgeLimitsMiddleware(c, next) {
    const config = gatewayConfig(c.env);
    if (config.RATE_LIMIT_BACKEND === 'off') return next();
    const cls = routeClass(c.req.method, c.req.path);
    const address = `ip:${c.req.header('cf-connecting-ip') ?? 'unknown'}`;
    if (refusedNow('address', address)) throw refusal(edgeCounters.address.periodSeconds);
    // The address is counted here, held, under pressure (more than ADDRESS_BURST of its requests in flight in this
    // isolate, the isolate half-way to shedding browse, or the store slow or down), so a flood from one address is
    // refused before it takes the places in the gauge that other callers need. Otherwise requests leave it to the
    // store (middleware.ts): an anonymous one is counted there per address, a signed-in one per subject, and a
    // bearer that fails verification on this counter (countRefusedBearer). Not counting every bearer here saves
    // each signed-in request a call (under `wrangler dev` two hops, ~2 ms of workerd CPU: issue 10). One address
    // spreading over many subjects is bounded by what mints subjects (guest creation and sign-in, counted per
    // address, fail-closed). Routes with no global rule (images) are always counted here, held only under pressure.
    const mine = inFlightByAddress.get(address) ?? 0;
    const pressed = mine >= ADDRESS_BURST || overloaded(config) || storeFor(c.env, config)?.degraded === true;
    if (pressed || opts.countAddress) {
      c.set('addressCounted', true);
      await edgeCount(c, 'address', address, pressed);
    }
    // Refused at once: an overloaded isolate must answer in milliseconds, not queue the request behind the others.
    if (inFlight >= capOf[cls](config)) {
      c.set('quiet', true); // counted in the figures; a log line each would add to the overload
      throw new AppError('SERVICE_UNAVAILABLE', 'The storefront is very busy; try again in a moment.', {
        retryAfter: 1,
      });
    }
    inFlight++;
    inFlightByAddress.set(address, (inFlightByAddress.get(address) ?? 0) + 1);
    try {
      await next();
    } finally {
      inFlight--;
      const left = (inFlightByAddress.get(address) ?? 1) - 1;
      if (left > 0) inFlightByAddress.set(address, left);
      else inFlightByAddress.delete(address);
    }
  };
}
