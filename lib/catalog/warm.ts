// What the catalog warms after a merchant write (workers/catalog/src/index.ts `warm`), besides the categories and the
// products most requested lately: the lists the storefront's home page reads (workers/gateway/src/shop/home.tsx takes
// them from here, so the two cannot drift apart) and the default product list.
export const HOME_FEATURED = { sort: 'newest', limit: 8 } as const;
export const HOME_TRENDING = { sort: 'trending', limit: 8 } as const;

/** The product lists warmed, as `GET /v1/products` queries. */
export const WARM_LISTS: readonly Record<string, string | number>[] = [HOME_FEATURED, HOME_TRENDING, {}];

/** At most this many warm loads at once, and the whole warm within this budget (what is left is not warmed). */
export const WARM_CONCURRENCY = 4;
export const WARM_BUDGET_MS = 10_000;
