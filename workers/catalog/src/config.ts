// The catalog's vars (wrangler.toml [vars]), validated once per isolate by configOf: a bad one is a ConfigError
// naming it. The database settings (DATABASE_URL, DATABASE_REPLICA_URL, DB_TIMEOUT_MS) are DbVars in
// lib/db/client.ts, validated when the database is first used; /health reports them as the databases' status.
import { z } from 'zod';
import { configOf, intVar } from '../../../lib/config';
import type { CachePolicy } from './cache';

// Every window may be 0: 0 fresh seconds revalidates on each read, 0 SWR/stale-if-error seconds turn that
// behaviour off, and a 0 ms generation TTL reads KV on every cache lookup.
export const CatalogVars = z.object({
  CACHE_FRESH_SECONDS: intVar(60),
  CACHE_SWR_SECONDS: intVar(300),
  CACHE_STALE_IF_ERROR_SECONDS: intVar(86_400),
  // How long an isolate trusts its copy of the catalog generation (part of the invalidation bound).
  GENERATION_TTL_MS: intVar(1000),
});
export type CatalogConfig = z.output<typeof CatalogVars>;

export const catalogConfig = (env: object): CatalogConfig => configOf(env, CatalogVars, 'storefront-catalog');

export function cachePolicy(config: CatalogConfig): CachePolicy {
  return {
    freshSeconds: config.CACHE_FRESH_SECONDS,
    swrSeconds: config.CACHE_SWR_SECONDS,
    staleIfErrorSeconds: config.CACHE_STALE_IF_ERROR_SECONDS,
  };
}
