// Warming after a merchant write: once the new catalog generation is published, the catalog worker is asked, in the
// background (waitUntil: the merchant's answer does not wait), to load the hot entries under it (the categories, the
// home page's lists, the products most requested lately) and put them in the shared tier and its own location's
// tiers, instead of leaving each to its first shopper (workers/catalog/src/index.ts `warm`, docs/catalog.md). A warm
// that fails changes nothing but that: the first shopper's read loads the entry as it always did.
import { waitUntil } from 'cloudflare:workers';
import { log } from '../../../lib/log';
import { traced } from '../../../lib/trace';

export type WarmEnv = Partial<Pick<AdminEnv, 'CATALOG'>>;

/** Asks the catalog to warm `generation` in the background; nothing when the catalog is not bound. */
export function warmCatalog(env: WarmEnv, generation: string): void {
  const catalog = env.CATALOG;
  if (!catalog) return;
  waitUntil(
    traced(catalog)
      .warm(generation)
      .then(
        (result) => {
          // Narrowed by hand: the RPC stub's type loses the union's discriminant.
          if (!result.ok)
            log.warn('catalog warm refused', { generation, error: (result as { error?: unknown }).error });
        },
        (err: unknown) => log.warn('catalog warm failed', { generation, error: String(err) }),
      ),
  );
}
