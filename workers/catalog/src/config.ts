// The catalog's vars (wrangler.toml [vars]), validated once per isolate by configOf: a bad one is a ConfigError
// naming it. The database settings (DATABASE_URL, DATABASE_REPLICA_URL, DB_TIMEOUT_MS) are DbVars in
// lib/db/client.ts, validated when the database is first used; /health reports them as the databases' status.
import { z } from 'zod';
import { configOf, intVar, optionalText, secret } from '../../../lib/config';
import type { CachePolicy } from './cache';
import type { SharedTierOptions } from './shared';

// Every window may be 0: 0 fresh seconds revalidates on each read, 0 SWR/stale-if-error seconds turn that
// behaviour off, and a 0 ms generation TTL reads KV on every cache lookup.
export const CatalogVars = z
  .object({
    CACHE_FRESH_SECONDS: intVar(60),
    CACHE_SWR_SECONDS: intVar(300),
    CACHE_STALE_IF_ERROR_SECONDS: intVar(86_400),
    // How long an isolate trusts its copy of the catalog generation (part of the invalidation bound).
    GENERATION_TTL_MS: intVar(1000),
    // The shared tier (Upstash Redis, ./shared.ts): on when UPSTASH_REDIS_REST_URL is set. Each call's deadline; a
    // call that misses it counts as a failure of the tier's breaker, and the read goes on to Postgres.
    SHARED_CACHE_TIMEOUT_MS: intVar(100, { min: 1, max: 10_000 }),
    // How long an entry is kept there (at most the Cache API's own keep: fresh + max(SWR, stale-if-error)).
    SHARED_CACHE_TTL_SECONDS: intVar(3600, { min: 1 }),
    // Bodies larger than this are not put in the shared tier (the local tiers still keep them).
    SHARED_CACHE_MAX_BYTES: intVar(256 * 1024, { min: 1, max: 1024 * 1024 }),
    // After a merchant write, the products warmed (the most requested lately), besides the home page's lists and
    // the categories; 0: only those.
    WARM_PRODUCTS: intVar(12, { max: 100 }),
    UPSTASH_REDIS_REST_URL: secret(optionalText(z.url({ protocol: /^https?$/ }))),
    UPSTASH_REDIS_REST_TOKEN: secret(optionalText()),
  })
  .superRefine((c, ctx) => {
    if (c.UPSTASH_REDIS_REST_URL && !c.UPSTASH_REDIS_REST_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['UPSTASH_REDIS_REST_TOKEN'], message: 'needed by the shared cache tier' });
    }
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

/** The shared tier's settings, or undefined when no Upstash URL is set (the tier is off). */
export function sharedTierOptions(config: CatalogConfig): SharedTierOptions | undefined {
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = config;
  if (!url || !token) return undefined;
  const policy = cachePolicy(config);
  const keep = policy.freshSeconds + Math.max(policy.swrSeconds, policy.staleIfErrorSeconds);
  return {
    url,
    token,
    timeoutMs: config.SHARED_CACHE_TIMEOUT_MS,
    ttlSeconds: Math.max(1, Math.min(config.SHARED_CACHE_TTL_SECONDS, keep)),
    maxBytes: config.SHARED_CACHE_MAX_BYTES,
  };
}
