// What the catalog worker (CatalogService) answers over its service binding: to the gateway (cached JSON
// answers), to the cart (variants) and to checkouts (prices at a catalog generation).
import type { RpcResult } from '../rpc';

export type CacheStatus = 'HIT' | 'MISS' | 'STALE';

/**
 * Which tier of the cache answered (docs/catalog.md#caching-and-the-invalidation-bound): the browser's own copy
 * (a 304 to If-None-Match), the gateway's memo, the catalog isolate's memory, the location's Cache API, the shared
 * tier (Upstash Redis, one for every location), or Postgres.
 */
export type CacheTier = 'browser' | 'memo' | 'memory' | 'cache-api' | 'shared' | 'origin';

/** A catalog answer as the edge cache holds it: the JSON body, ready to be sent as it is. */
export interface CachedAnswer {
  body: string;
  cache: CacheStatus;
  /** Seconds since the entry was stored. */
  age: number;
  cacheControl: string;
  /** For a CDN in front of the API (`CDN-Cache-Control`): how long it may keep the answer itself. */
  cdnCacheControl?: string;
  /** The catalog generation the answer belongs to (its cache key's): pages cached from it key on it too. */
  generation?: string;
  /** The body's weak validator (lib/catalog/etag.ts), sent as `ETag`. */
  etag?: string;
  /** The tier that answered. */
  tier?: CacheTier;
}

export type CatalogResult = RpcResult<CachedAnswer>;

/** One purchasable variant with its current price (minor units) and the product data a cart line shows. */
export interface VariantInfo {
  sku: string;
  title: string;
  productSlug: string;
  productTitle: string;
  image: string | null;
  price: { amount: number; currency: string };
}

/** `getVariants` answers this as the JSON body of a CachedAnswer. */
export interface VariantList {
  variants: VariantInfo[];
}

/**
 * Prices for a checkout at one catalog generation: from the versioned edge catalog (the same per-SKU entries the
 * cart shows), or read from the primary when that path fails.
 */
export interface CheckoutPrices {
  variants: VariantInfo[];
  /** The catalog generation the prices belong to (the order records it). */
  generation: string;
  source: 'edge' | 'primary';
}

/** What `warm` did after a merchant write: how many reads, answered by which tier (`origin`: loaded and put). */
export interface WarmReport {
  generation: string;
  reads: number;
  tiers: Partial<Record<CacheTier, number>>;
  /** Reads that failed (the database away): left for the first shopper. */
  failed: number;
  /** Reads not started within the budget. */
  skipped: number;
  ms: number;
}
