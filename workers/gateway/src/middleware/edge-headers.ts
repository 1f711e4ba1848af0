// Security headers and the CORS allow-list (CORS_ORIGINS, comma separated).
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { gatewayConfig } from '../config';
import type { GatewayApp } from '../types';

const common = {
  strictTransportSecurity: 'max-age=63072000; includeSubDomains; preload',
  referrerPolicy: 'no-referrer',
  crossOriginResourcePolicy: 'same-site',
} as const;
// The API answers JSON only, so its pages may load nothing; /docs may load its own script and the spec.
const apiHeaders = secureHeaders({
  ...common,
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
});
const docsHeaders = secureHeaders({
  ...common,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'unsafe-inline'"],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

export function securityHeaders(): MiddlewareHandler<GatewayApp> {
  return async function securityHeadersMiddleware(c, next) {
    const path = c.req.path;
    return (path === '/docs' || path.startsWith('/docs/') ? docsHeaders : apiHeaders)(c, next);
  };
}

export function corsAllowList(): MiddlewareHandler<GatewayApp> {
  let cached: { origins: string[]; handler: MiddlewareHandler } | undefined;
  return async function corsMiddleware(c, next) {
    const origins = gatewayConfig(c.env).CORS_ORIGINS;
    if (cached?.origins !== origins) {
      const allowed = new Set(origins);
      cached = {
        origins,
        handler: cors({
          origin: (origin) => (allowed.has(origin) ? origin : null),
          allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
          allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-Id'],
          exposeHeaders: [
            'X-Request-Id',
            'X-Cache',
            'ETag',
            'Retry-After',
            'RateLimit-Limit',
            'RateLimit-Remaining',
            'RateLimit-Reset',
          ],
          maxAge: 600,
        }),
      };
    }
    return cached.handler(c, next);
  };
}
