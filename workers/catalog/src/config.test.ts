// The catalog's config schema in plain Node: wrangler.toml's defaults, 0 accepted, and a named error for a bad value.
import { describe, expect, it } from 'vitest';
import { cachePolicy, catalogConfig } from './config';

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
});
