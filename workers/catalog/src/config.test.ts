// The catalog's config schema in plain Node: wrangler.toml's defaults, 0 accepted, and a named error for a bad value.
import { describe, expect, it } from 'vitest';
import { cachePolicy, catalogConfig, sharedTierOptions } from './config';

describe('catalog config', () => {
  it('defaults to 60 s fresh, 300 s stale-while-revalidate, a day stale-if-error, a 1 s generation TTL', () => {
    const config = catalogConfig({});
    expect(cachePolicy(config)).toEqual({ freshSeconds: 60, swrSeconds: 300, staleIfErrorSeconds: 86_400 });
    expect(config.GENERATION_TTL_MS).toBe(1000);
  });

  it("reads the test stack's short windows and accepts 0", () => {
    const config = catalogConfig({
      CACHE_FRESH_SECONDS: '3',
      CACHE_SWR_SECONDS: '0',
      CACHE_STALE_IF_ERROR_SECONDS: '3600',
      GENERATION_TTL_MS: '250',
    });
    expect(cachePolicy(config)).toEqual({ freshSeconds: 3, swrSeconds: 0, staleIfErrorSeconds: 3600 });
    expect(config.GENERATION_TTL_MS).toBe(250);
  });

  it('names a bad value instead of falling back to the default', () => {
    expect(() => catalogConfig({ CACHE_SWR_SECONDS: '-1' })).toThrow(
      /storefront-catalog: CACHE_SWR_SECONDS: .*\(got "-1"\)/,
    );
    expect(() => catalogConfig({ GENERATION_TTL_MS: '1s' })).toThrow(/GENERATION_TTL_MS: .*\(got "1s"\)/);
  });

  it('turns the shared tier on with an Upstash URL and token only, its TTL within the local keep', () => {
    expect(sharedTierOptions(catalogConfig({}))).toBeUndefined();
    const url = 'http://127.0.0.1:54341';
    expect(() => catalogConfig({ UPSTASH_REDIS_REST_URL: url })).toThrow(/UPSTASH_REDIS_REST_TOKEN: needed/);
    expect(sharedTierOptions(catalogConfig({ UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: 't' }))).toEqual({
      url,
      token: 't',
      timeoutMs: 100,
      ttlSeconds: 3600,
      maxBytes: 262_144,
    });
    const short = catalogConfig({
      UPSTASH_REDIS_REST_URL: url,
      UPSTASH_REDIS_REST_TOKEN: 't',
      CACHE_FRESH_SECONDS: '3',
      CACHE_SWR_SECONDS: '4',
      CACHE_STALE_IF_ERROR_SECONDS: '0',
    });
    expect(sharedTierOptions(short)?.ttlSeconds).toBe(7);
    expect(() => catalogConfig({ SHARED_CACHE_TIMEOUT_MS: '0' })).toThrow(/SHARED_CACHE_TIMEOUT_MS/);
  });
});
