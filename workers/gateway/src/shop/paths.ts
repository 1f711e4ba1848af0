// Which paths are the storefront's pages: one list, read by the routes' middleware (routes.tsx) and the security
// headers (middleware/edge-headers.ts). None collides with /v1, /admin, /docs, /health, /images or /.well-known.
const exact = ['/', '/search', '/cart', '/checkout', '/account'];
const prefixes = ['/c/', '/p/', '/cart/', '/checkout/', '/orders/', '/account/', '/shop/'];

/** Hono path patterns of the storefront's pages (each exact path, each prefix with `*`). */
export const SHOP_PATTERNS = [...exact, ...prefixes.map((p) => `${p}*`)];

export const isShopPath = (path: string) => exact.includes(path) || prefixes.some((p) => path.startsWith(p));

/** The path of a product's page: every link to a product page is built here (the API's is `/v1/products/{slug}`). */
export const productPath = (slug: string) => `/p/${encodeURIComponent(slug)}`;
