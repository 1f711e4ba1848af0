// Request id, one structured log line and one Analytics Engine data point per request.
import type { MiddlewareHandler } from 'hono';
import type { GatewayApp } from '../types';

const acceptableId = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestContext(): MiddlewareHandler<GatewayApp> {
  return async function requestContextMiddleware(c, next) {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && acceptableId.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    const started = Date.now();
    await next();
    c.header('x-request-id', requestId);
    const ms = Date.now() - started;
    const route = c.req.routePath || 'unmatched';
    console.log(
      JSON.stringify({
        requestId,
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        route,
        status: c.res.status,
        ms,
        cache: c.get('cacheStatus'),
      }),
    );
    try {
      c.env.ANALYTICS?.writeDataPoint({
        indexes: [route.slice(0, 96)],
        blobs: [c.req.method, route, String(c.res.status), c.get('cacheStatus') ?? ''],
        doubles: [ms, c.res.status],
      });
    } catch {
      // Analytics must never break a request.
    }
  };
}
