// The storefront pages' settings, apart from the gateway's (config.ts); each has a default, so the pages work on a
// deployment that sets none of them. The invalidation bound they add to the API's: docs/storefront.md#caching.
import { z } from 'zod';
import { configOf, intVar } from '../../../../lib/config';

export const ShopVars = z.object({
  // How long an isolate trusts its copy of the catalog generation that page cache keys start with (asked of the
  // catalog worker, which trusts its own copy for GENERATION_TTL_MS). Adds to the invalidation bound.
  SHOP_GENERATION_TTL_MS: intVar(250, { min: 0, max: 60_000 }),
  // How long a cached page answers under one generation: the backstop for a generation write that was lost.
  SHOP_PAGE_FRESH_SECONDS: intVar(60, { min: 0, max: 86_400 }),
  // How long the last good copy of a page is kept to answer while the catalog cannot (a 5xx, no answer).
  SHOP_PAGE_FALLBACK_SECONDS: intVar(86_400, { min: 0, max: 7 * 86_400 }),
  // How old the stock figure a product page shows may be: one InventoryDO read per SKU per isolate at most this
  // often (0: every view).
  SHOP_AVAILABILITY_MS: intVar(1000, { min: 0, max: 60_000 }),
});
export type ShopConfig = z.output<typeof ShopVars>;

export const shopConfig = (env: object): ShopConfig => configOf(env, ShopVars, 'the storefront pages');
