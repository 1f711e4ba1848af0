// What the catalog worker (CatalogService) answers over its service binding: to the gateway (cached JSON
// answers), to the cart (variants) and to checkouts (prices from the primary).
import type { RpcResult } from '../rpc';

export type CacheStatus = 'HIT' | 'MISS' | 'STALE';

/** A catalog answer as the edge cache holds it: the JSON body, ready to be sent as it is. */
export interface CachedAnswer {
  body: string;
  cache: CacheStatus;
  /** Seconds since the entry was stored. */
  age: number;
  cacheControl: string;
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

/** Prices for a checkout: from the primary, or from the edge cache while the primary is unreachable. */
export interface CheckoutPrices {
  variants: VariantInfo[];
  source: 'primary' | 'cache';
}
