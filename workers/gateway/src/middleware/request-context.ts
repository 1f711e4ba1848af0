// A W3C traceparent for every request (a child of a valid incoming one, else a new trace), ambient for the whole
// request (lib/trace.ts) so every log line and every hop (checkout RPC, OrdersDO, Queue, Stripe) carries it, and
// echoed on the answer. Request id on every answer (always the gateway's own: a client-chosen id could be spoofed
// or collide in logs; a client's `x-request-id`, when well-formed, is kept apart as the correlation id, logged and
// echoed back), the figures of every request (middleware/figures.ts), and a structured log line for the requests
// worth reading: REQUEST_LOG = "errors" (default: status >= 400 or slower
// than SLOW_REQUEST_MS, except the refusals a burst gives by the thousand, `quietCodes`), "all", or "none". Per-request logging of every success is left to Workers
// observability, which records each invocation anyway; a console.log per request also costs real throughput.
import type { MiddlewareHandler } from 'hono';
import { log } from '../../../../lib/log';
import { cacheDimension } from '../../../../lib/metrics/figures';
import { childTraceparent, enterTrace } from '../../../../lib/trace';
import { gatewayConfig } from '../config';
import type { GatewayApp } from '../types';
import { recordFigures } from './figures';
import { isOwnTraffic } from './own-requests';

/**
 * Refusals that a flash sale or a flood answers by the thousand (sold out, over a cap, rate limited, shed under
 * overload): counted by code in the figures (refusals by reason), logged only when slow. A log line costs about as
 * much as the refusal itself (under `wrangler dev`, as much as an RPC hop: issue 10).
 */
export const quietCodes = new Set(['OUT_OF_STOCK', 'CUSTOMER_LIMIT_EXCEEDED', 'RATE_LIMITED']);

/** What a client's correlation id may look like; anything else is dropped, never logged (no log injection). */
const acceptableId = /^[A-Za-z0-9._:-]{8,128}$/;

/** The client's `x-request-id`, if it is safe to keep as a correlation field. */
export function correlationIdOf(header: string | undefined): string | undefined {
  return header && acceptableId.test(header) ? header : undefined;
}

export function requestContext(): MiddlewareHandler<GatewayApp> {
  return async function requestContextMiddleware(c, next) {
    const requestId = crypto.randomUUID();
    const correlationId = correlationIdOf(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    if (correlationId) c.set('correlationId', correlationId);
    // Read first: a bad config fails the request here (a logged 500 naming the variable), before any work.
    const { REQUEST_LOG: mode, SLOW_REQUEST_MS: slowMs } = gatewayConfig(c.env);
    const started = Date.now();
    const traceparent = childTraceparent(c.req.header('traceparent'));
    await enterTrace({ traceparent, requestId }, next);
    c.header('x-request-id', requestId);
    c.header('traceparent', traceparent);
    if (correlationId) c.header('x-correlation-id', correlationId);
    const ms = Date.now() - started;
    const route = c.req.routePath || 'unmatched';
    const slow = ms >= slowMs;
    const quiet = c.get('quiet') === true || quietCodes.has(c.get('errorCode') ?? '');
    if (mode === 'all' || (mode === 'errors' && ((c.res.status >= 400 && !quiet) || slow))) {
      enterTrace({ traceparent, requestId }, () =>
        log.info('request', {
          requestId,
          correlationId,
          method: c.req.method,
          path: c.req.path,
          route,
          status: c.res.status,
          ms,
          cache: c.get('cacheStatus'),
          tier: c.get('cacheTier'),
          slow: slow || undefined,
        }),
      );
    }
    recordFigures(
      c,
      {
        method: c.req.method,
        route,
        status: c.res.status,
        cache: cacheDimension(c.get('cacheStatus'), c.get('cacheTier')),
        code: c.get('errorCode') ?? '',
        event: c.get('figureEvent') ?? '',
      },
      started,
      ms,
      isOwnTraffic(c.req.raw, c.req.path),
    );
  };
}
