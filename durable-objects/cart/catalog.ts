// The catalog data a cart shows (titles, images, current prices), asked of the catalog worker over the cart
// script's CATALOG binding and kept per isolate for CART_VARIANT_MEMO_MS: an add to cart and the cart answer it
// returns then cost one catalog call at most, and a hot SKU none. A SKU not sold is remembered as null for as long.
// Lookups are not shared while in flight: the memo is shared by every CartDO of the isolate, and a promise made
// by one object's call is not awaited by another's (each object's I/O stays its own).
import type { VariantInfo, VariantList } from '../../lib/contracts/catalog';
import { AppError } from '../../lib/errors';
import { log } from '../../lib/log';
import { withTimeout } from '../../lib/resilience';
import { type RpcResult, unwrap } from '../../lib/rpc';
import { traced } from '../../lib/trace';

/** The one catalog method a cart calls (the catalog worker's `CatalogService.getVariants`). */
export interface VariantsSource {
  getVariants(skus: string[]): Promise<RpcResult<{ body: string }>>;
}

/** A stuck catalog must not hold a cart write: the call fails (503 from the gateway) after this long. */
export const CATALOG_TIMEOUT_MS = 5000;

const memo = new Map<string, { variant: VariantInfo | null; at: number }>();
const MEMO_ENTRIES = 5000;

function remember(sku: string, variant: VariantInfo | null, at: number) {
  memo.delete(sku);
  memo.set(sku, { variant, at });
  if (memo.size > MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
}

/** Catalog data of `skus` (an unknown or unpublished SKU is absent), from the memo or one catalog call. */
export async function variantsOf(
  catalog: VariantsSource,
  skus: string[],
  memoMs: number,
): Promise<Map<string, VariantInfo>> {
  const now = Date.now();
  const missing = skus.filter((sku) => {
    const m = memo.get(sku);
    return !m || now - m.at >= memoMs;
  });
  if (missing.length) {
    const answer = unwrap(
      await withTimeout(traced(catalog).getVariants(missing), CATALOG_TIMEOUT_MS, 'catalog variants for a cart').catch(
        (err: unknown) => {
          // A catalog that fails or hangs is an outage the shopper can retry, not a bug of the cart's (503). The
          // cause stays here: it does not cross the RPC boundary.
          log.warn('cart: catalog variants failed', { skus: missing.length, error: String(err) });
          throw new AppError('SERVICE_UNAVAILABLE', 'The catalog did not answer for this cart; try again.', {
            retryAfter: 1,
            cause: err,
          });
        },
      ),
    );
    const found = new Map((JSON.parse(answer.body) as VariantList).variants.map((v) => [v.sku, v]));
    for (const sku of missing) remember(sku, found.get(sku) ?? null, now);
  }
  const out = new Map<string, VariantInfo>();
  for (const sku of skus) {
    const v = memo.get(sku)?.variant;
    if (v) out.set(sku, v);
  }
  return out;
}
