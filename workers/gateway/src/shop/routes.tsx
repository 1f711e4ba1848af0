/** @jsxImportSource hono/jsx */
// The storefront: pages for shoppers, server-rendered by the gateway and mounted at the root (paths.ts). Every page
// is a client of the public API called in-process (web/api.ts), so validation, limits and figures are the API's.
// Browse pages are cached at the edge under the catalog generation (page-cache.ts), their personal parts filled
// per request (slots.ts); forms are checked for origin and CSRF token (session.ts). docs/storefront.md.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppFetch } from '../web/api';
import { MAX_FORM_BYTES } from '../web/forms';
import { accountLinkPages } from './account.links';
import { accountPages } from './account.routes';
import { browseRoutes } from './browse';
import { buyRoutes } from './buy.routes';
import { messagePage } from './page';
import { SHOP_PATTERNS } from './paths';
import { productRoutes } from './product';
import type { ShopApp, ShopContext } from './session';

/** Content-hashed file names (dev/shop-assets.ts): `shop.<12 hex>.css`. */
const HASHED = /^[a-z0-9-]+\.[0-9a-f]{12}\.(css|js)$/;

export function shopRoutes(appFetch: AppFetch): Hono<ShopApp> {
  const r = new Hono<ShopApp>();
  const formLimit = bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: (c) => messagePage(c as ShopContext, 413, 'The form is too large.'),
  });
  for (const pattern of SHOP_PATTERNS) {
    r.use(pattern, async (c, next) => {
      c.set('appFetch', appFetch);
      if (c.req.method === 'POST') await formLimit(c, next);
      else await next();
      // Whatever a page did not say otherwise is not stored anywhere.
      if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
    });
  }

  // The storefront's script and styles, as the storefront worker's assets answer them (ETag, 304); a hashed name
  // never changes content, so it is cached for a year. Only what a static file needs is forwarded.
  r.get('/shop/:file', async (c) => {
    const file = c.req.param('file');
    if (!HASHED.test(file)) return c.body(null, 404);
    const headers = new Headers();
    for (const name of ['accept', 'if-none-match']) {
      const value = c.req.header(name);
      if (value) headers.set(name, value);
    }
    const res = await c.env.STOREFRONT.fetch(new Request(c.req.url, { headers }));
    const out = new Response(res.body, res);
    if (res.ok || res.status === 304) out.headers.set('cache-control', 'public, max-age=31536000, immutable');
    return out;
  });

  // Each section's pages are a Hono<ShopApp> mounted here at '/', their paths in paths.ts (so the middleware above
  // and the storefront's CSP apply to them).
  r.route('/', accountPages);
  r.route('/', accountLinkPages);
  r.route('/', browseRoutes());
  r.route('/', productRoutes());
  r.route('/', buyRoutes());
  return r;
}
