// GET /docs: the API reference, Scalar's reader over /v1/openapi.json. Scalar's script is its standalone bundle
// from the installed @scalar/api-reference, a static asset of the storefront worker (workers/storefront/assets)
// that this route forwards to over the STOREFRONT binding; this page and its start script come from here. Nothing is loaded from
// another origin (no CDN, no web fonts, no telemetry), which the page's CSP enforces (middleware/edge-headers.ts).
import { z } from '@hono/zod-openapi';
import { noQuery, router } from './router';

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Edge Storefront API reference</title>
<meta name="description" content="Reference of the Edge Storefront API: catalog, cart, checkout, orders.">
</head>
<body>
<noscript>This reference needs JavaScript. The OpenAPI document is at <a href="/v1/openapi.json">/v1/openapi.json</a>.</noscript>
<div id="app"></div>
<script src="/docs/scalar.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>`;

// A script of our own rather than an inline one, so the CSP needs no 'unsafe-inline' or nonce for scripts.
const start = `Scalar.createApiReference('#app', {
  url: '/v1/openapi.json',
  servers: [{ url: window.location.origin, description: 'This gateway' }],
  defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
  withDefaultFonts: false,
  telemetry: false,
  hideClientButton: true,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
});
`;

export const docsRoutes = router();
docsRoutes.use('*', noQuery());
docsRoutes.get('/', (c) => c.html(page, 200, { 'cache-control': 'public, max-age=300' }));
// The file as the storefront's assets answer it (content type, ETag, 304 on a matching If-None-Match).
docsRoutes.get('/scalar.js', (c) => c.env.STOREFRONT.fetch(c.req.raw));
docsRoutes.get('/start.js', (c) =>
  c.body(start, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300' }),
);

docsRoutes.openAPIRegistry.registerPath({
  method: 'get',
  path: '/',
  tags: ['Service'],
  summary: 'This reference, as a web page',
  description:
    'Navigation by resource, examples, code samples, and a client to try each call against this gateway ' +
    '(sign in with a token from `/v1/auth/guest` or `/v1/auth/login` under Authentication).',
  responses: {
    200: { description: 'An HTML page', content: { 'text/html': { schema: z.string() } } },
  },
});
