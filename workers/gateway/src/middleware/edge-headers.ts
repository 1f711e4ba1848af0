// Security headers and the CORS allow-list (CORS_ORIGINS, comma separated).
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { gatewayConfig } from '../config';
import { buyConfig } from '../shop/buy.config';
import { isShopPath } from '../shop/paths';
import type { GatewayApp } from '../types';

const common = {
  strictTransportSecurity: 'max-age=63072000; includeSubDomains; preload',
  referrerPolicy: 'no-referrer',
  crossOriginResourcePolicy: 'same-site',
} as const;
// Headers that only a browser rendering an HTML document reads (OWASP REST Security Cheat Sheet, "Security
// headers": an API's JSON needs Cache-Control, CSP frame-ancestors, Content-Type, HSTS, nosniff and X-Frame-Options).
// hono sets them by default; on the API's answers they were bytes every answer carried, and every hop copied, for
// nothing (issue 10: wrangler's proxy copies each header both ways). The pages keep them.
const forDocumentsOnly = {
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
} as const;
// The API answers JSON only, so its pages may load nothing. /docs (Scalar) runs its own scripts (same origin:
// /docs/scalar.js and /docs/start.js, no inline script), injects <style> elements and style attributes, shows
// data: images, and fetches the document and the calls a reader tries from this origin only.
const apiHeaders = secureHeaders({
  ...common,
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  ...forDocumentsOnly,
});
const docsHeaders = secureHeaders({
  ...common,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
});

// The console (/admin): its own script and stylesheet only (no inline script or style), its fragments fetched from
// here, forms posted here, never framed. Referrer-Policy same-origin, not no-referrer: under no-referrer a browser
// sends `Origin: null` with a form POST, and the console's CSRF check needs the real origin (console/csrf.ts).
const consoleHeaders = secureHeaders({
  ...common,
  referrerPolicy: 'same-origin',
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

// The storefront's pages (shop/paths.ts): the same as the console's (own script and stylesheet, nothing inline, never
// framed, same-origin referrer for the CSRF check), plus product images from anywhere over https (a product's
// images are https URLs or /images/ paths: lib/catalog/schemas.ts). The two files' hashed names are the only
// script and style, so no nonce is needed and the cached pages stay the same for everyone.
const shopHeaders = secureHeaders({
  ...common,
  referrerPolicy: 'same-origin',
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'https:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

// The checkout with Stripe's Payment Element (only when STRIPE_PUBLISHABLE_KEY is set: shop/buy.config.ts): the shop's
// policy plus what Stripe.js needs (docs.stripe.com/security/guide#content-security-policy): its script, its frames
// (the card fields, 3-D Secure) and its API. The checkout's POST answers too: the 3-D Secure step runs there.
const shopStripeHeaders = secureHeaders({
  ...common,
  referrerPolicy: 'same-origin',
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'", 'https://js.stripe.com', 'https://*.js.stripe.com'],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'https:'],
    connectSrc: ["'self'", 'https://api.stripe.com'],
    frameSrc: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

// Product images (/images/*) are embedded by storefront pages on other sites: readable cross-origin.
const imageHeaders = secureHeaders({
  ...common,
  crossOriginResourcePolicy: 'cross-origin',
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
});

export function securityHeaders(): MiddlewareHandler<GatewayApp> {
  return async function securityHeadersMiddleware(c, next) {
    const path = c.req.path;
    if (path.startsWith('/images/')) return imageHeaders(c, next);
    if (path === '/admin' || path.startsWith('/admin/')) return consoleHeaders(c, next);
    if (path === '/checkout' && buyConfig(c.env).STRIPE_PUBLISHABLE_KEY) return shopStripeHeaders(c, next);
    if (isShopPath(path)) return shopHeaders(c, next);
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
          allowHeaders: [
            'Authorization',
            'Content-Type',
            'Idempotency-Key',
            'If-Match',
            'If-None-Match',
            'X-Request-Id',
            'X-Read-After',
          ],
          exposeHeaders: [
            'X-Request-Id',
            'X-Read-After',
            'X-Cache',
            'X-Catalog-Generation',
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
