// Public catalog routes: validated here, answered by the catalog worker over RPC (which caches them).
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ifNoneMatchMatches } from '../../../../lib/catalog/etag';
import {
  CategoryTree,
  ProductDetail,
  ProductList,
  ProductListQuery,
  SlugParam,
  Suggestions,
  SuggestQuery,
} from '../../../../lib/catalog/schemas';
import type { CatalogResult } from '../../../../lib/contracts/catalog';
import { unwrap } from '../../../../lib/rpc';
import { currentTrace, traced } from '../../../../lib/trace';
import { type GatewayConfig, gatewayConfig } from '../config';
import type { GatewayApp } from '../types';
import { CatalogMemo } from './catalog-memo';
import * as example from './examples';
import { failure, failureWithRetry, json, rateLimited, rateLimitHeaders } from './openapi';
import { router } from './router';

const notModified = {
  304: { description: 'Not modified: `If-None-Match` names the answer’s `ETag` (or is `*`); no body' },
};
const errors = {
  400: failure('Invalid parameters'),
  429: rateLimited,
  503: failureWithRetry('Database unavailable and nothing cached (DB_UNAVAILABLE)'),
};
const cacheHeaders = z
  .object({
    'x-cache': z.enum(['HIT', 'MISS', 'STALE']).openapi({ description: 'Edge cache outcome' }),
    'cache-control': z.string().openapi({
      description:
        '`public, no-cache`: a browser keeps the answer and revalidates it with its `ETag` on every use (a `304` ' +
        'without a body when unchanged)',
    }),
    'cdn-cache-control': z
      .string()
      .optional()
      .openapi({
        description:
          'For a CDN in front of the API (RFC 9213): how long it may keep the answer, and serve it stale while ' +
          'revalidating or while the API fails, in seconds',
      }),
    etag: z.string().optional().openapi({
      description:
        'A weak validator of the body: send it back in `If-None-Match` and an unchanged answer is `304` with no body',
    }),
    'x-catalog-generation': z
      .string()
      .optional()
      .openapi({
        description:
          'The catalog generation the answer belongs to (the WAL position of the newest merchant write it ' +
          'includes): answers built from it, such as cached pages, can key on it',
      }),
  })
  .extend(rateLimitHeaders.shape);

const memos = new WeakMap<GatewayConfig, CatalogMemo>();
function memoOf(c: Context<GatewayApp>): CatalogMemo {
  const config = gatewayConfig(c.env);
  let memo = memos.get(config);
  if (!memo) {
    memo = new CatalogMemo(config.CATALOG_MEMO_MS);
    memos.set(config, memo);
  }
  return memo;
}

/**
 * The catalog's answer for this URL: from the isolate's memo (catalog-memo.ts) or the catalog worker, as the HTTP
 * response (a request with a catalog write's read-after token skips the memo); the catalog's error is thrown. An `If-None-Match` naming the answer's ETag (or `*`) is answered 304 with
 * no body: the browser tier. The tier that answered is counted in the figures (middleware/figures.ts).
 */
async function answer(c: Context<GatewayApp>, ask: () => Promise<CatalogResult>) {
  const memo = memoOf(c);
  const key = c.req.url;
  // A catalog write's read-after token (middleware/read-after.ts) may need a newer answer than the memo's: the
  // catalog is asked.
  let value = currentTrace()?.readAfterScope === 'catalog' ? undefined : memo.get(key);
  if (value) value = { ...value, tier: 'memo' };
  else {
    const askedAt = Date.now();
    value = unwrap(await ask());
    memo.set(key, value, askedAt);
  }
  c.set('cacheStatus', value.cache);
  const fresh = value.etag !== undefined && ifNoneMatchMatches(c.req.header('if-none-match'), value.etag);
  const tier = fresh ? 'browser' : value.tier;
  if (tier) c.set('cacheTier', tier);
  const headers = {
    'cache-control': value.cacheControl,
    ...(value.cdnCacheControl ? { 'cdn-cache-control': value.cdnCacheControl } : {}),
    'x-cache': value.cache,
    age: String(Math.floor(value.age)),
    ...(value.etag ? { etag: value.etag } : {}),
    ...(value.generation ? { 'x-catalog-generation': value.generation } : {}),
  };
  if (fresh) return c.body(null, 304, headers);
  return c.body(value.body, 200, { 'content-type': 'application/json; charset=utf-8', ...headers });
}

export const catalogRoutes = router();

catalogRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/products',
    tags: ['Catalog'],
    summary: 'List or search products',
    description:
      'Full-text search with `q` (web-search syntax: `"chef knife"`, `linen -dress`), a category with its ' +
      'subcategories, four sorts, and keyset pages that stay stable while products are added. A cursor only ' +
      'works with the query and filters that produced it. A plain `q` that finds nothing is searched again with its ' +
      'misspelt words corrected; the answer then names the corrected query in `didYouMean`. Filters (`brand`, ' +
      '`category`, `price_min`/`price_max`, `size`, `colour`) combine: every kind must match, any value of a kind ' +
      'does. `facets` adds counts per brand, category, price band, size and colour, each over the matches of `q` and ' +
      'the other filters.',
    request: { query: ProductListQuery },
    responses: {
      200: { description: 'A page of products', headers: cacheHeaders, ...json(ProductList, example.productList) },
      ...notModified,
      ...errors,
      400: failure('Invalid parameters, or a `q` that only leaves words out (`-zzz`)'),
      503: failureWithRetry(
        'Database unavailable and nothing cached (DB_UNAVAILABLE), or a search cut by its time limit and nothing cached (SEARCH_TIMEOUT)',
      ),
    },
  }),
  async (c) => (await answer(c, () => traced(c.env.CATALOG).listProducts(c.req.valid('query')))) as never,
);

// Before /products/{slug}, which would otherwise take `suggest` for a slug.
catalogRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/products/suggest',
    tags: ['Catalog'],
    summary: 'Autocomplete what a shopper is typing',
    description:
      'Up to 8 completions of the last word of `q` from the words of product titles and brands, the words most ' +
      'products use first; the words before it are kept as typed (`linen sh` → `linen shirt`). Cached like every ' +
      'catalog read, with an `ETag`.',
    request: { query: SuggestQuery },
    responses: {
      200: { description: 'Completions, best first', headers: cacheHeaders, ...json(Suggestions, example.suggestions) },
      ...notModified,
      ...errors,
    },
  }),
  async (c) => (await answer(c, () => traced(c.env.CATALOG).suggest(c.req.valid('query')))) as never,
);

catalogRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/products/{slug}',
    tags: ['Catalog'],
    summary: 'One product with its variants',
    request: { params: SlugParam },
    responses: {
      200: { description: 'The product', headers: cacheHeaders, ...json(ProductDetail, example.productDetail) },
      ...notModified,
      404: failure('No such product'),
      ...errors,
    },
  }),
  async (c) => (await answer(c, () => traced(c.env.CATALOG).getProduct(c.req.valid('param').slug))) as never,
);

catalogRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/categories',
    tags: ['Catalog'],
    summary: 'The category tree',
    responses: {
      200: { description: 'Categories as a tree', headers: cacheHeaders, ...json(CategoryTree, example.categoryTree) },
      ...notModified,
      429: errors[429],
      503: errors[503],
    },
  }),
  async (c) => (await answer(c, () => traced(c.env.CATALOG).listCategories())) as never,
);
