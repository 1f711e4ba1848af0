// The gateway's config schema in plain Node: wrangler.toml's defaults when unset, and a named error for each
// kind of bad value (never a silent fallback).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/config';
import { gatewayConfig } from './config';
import { rules } from './rate-limit/rules';

const problemsOf = (env: object) => {
  try {
    gatewayConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('gateway config', () => {
  it('has the documented defaults when nothing is set', () => {
    const config = gatewayConfig({});
    expect(config).toMatchObject({
      REQUEST_LOG: 'errors',
      SLOW_REQUEST_MS: 1000,
      CORS_ORIGINS: [],
      PASSWORD_ITERATIONS: 600_000,
      REFRESH_TOKEN_TTL_DAYS: 30,
      RATE_LIMIT_BACKEND: 'auto',
      RATE_LIMIT_TIMEOUT_MS: 300,
      RATE_LIMIT_BROWSE_WAIT_MS: 0,
      RATE_LIMIT_STORE_TIMEOUT_MS: 2000,
      RATE_LIMIT_BREAKER_FAILURES: 5,
      RATE_LIMIT_BREAKER_OPEN_MS: 5000,
      RATE_LIMIT_SHARDS: 32,
      OVERLOAD_MAX_INFLIGHT_BROWSE: 256,
      OVERLOAD_MAX_INFLIGHT_CART: 512,
      OVERLOAD_MAX_INFLIGHT_CHECKOUT: 1024,
    });
    expect(rules(config)).toMatchObject({
      anonymous: { limit: 120, windowSeconds: 60, failClosed: false },
      guest: { limit: 240, windowSeconds: 60 },
      customer: { limit: 300, windowSeconds: 60 },
      merchant: { limit: 1200, windowSeconds: 60 },
      admin: { limit: 1200, windowSeconds: 60, burst: 1200 },
      auth: { limit: 10, windowSeconds: 60, failClosed: true },
      guestCreation: { limit: 10, windowSeconds: 600, burst: 5, failClosed: true },
      checkout: { limit: 10, windowSeconds: 60, failClosed: true },
      webhook: { limit: 6000, windowSeconds: 60, failClosed: false },
    });
  });

  it('reads set values: origins as a list, rules as rates, 0 ms as "every request is slow"', () => {
    const config = gatewayConfig({
      CORS_ORIGINS: 'http://127.0.0.1:8787, https://shop.example',
      SLOW_REQUEST_MS: '0',
      RATE_LIMIT_AUTH: '3/60',
      RATE_LIMIT_BACKEND: 'upstash',
      UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:15451',
      UPSTASH_REDIS_REST_TOKEN: 'token',
    });
    expect(config.CORS_ORIGINS).toEqual(['http://127.0.0.1:8787', 'https://shop.example']);
    expect(config.SLOW_REQUEST_MS).toBe(0);
    expect(rules(config).auth).toEqual({ name: 'auth', limit: 3, windowSeconds: 60, burst: 3, failClosed: true });
  });

  it('names each bad variable instead of falling back (values the old parsers quietly replaced)', () => {
    expect(problemsOf({ PASSWORD_ITERATIONS: '1000' })).toEqual([expect.stringMatching(/^PASSWORD_ITERATIONS: /)]);
    expect(problemsOf({ REFRESH_TOKEN_TTL_DAYS: '400' })).toEqual([
      expect.stringMatching(/^REFRESH_TOKEN_TTL_DAYS: .*\(got "400"\)/),
    ]);
    expect(problemsOf({ RATE_LIMIT_TIMEOUT_MS: 'fast' })).toEqual([expect.stringMatching(/^RATE_LIMIT_TIMEOUT_MS: /)]);
    expect(problemsOf({ RATE_LIMIT_SHARDS: '0' })).toEqual([expect.stringMatching(/^RATE_LIMIT_SHARDS: /)]);
    expect(problemsOf({ REQUEST_LOG: 'verbose' })).toEqual([expect.stringMatching(/^REQUEST_LOG: /)]);
    expect(problemsOf({ RATE_LIMIT_GUEST: '240 per minute' })).toEqual([
      expect.stringMatching(/^RATE_LIMIT_GUEST: expected "<count>\/<seconds>"/),
    ]);
    expect(problemsOf({ CORS_ORIGINS: 'https://shop.example/' })).toEqual([
      expect.stringMatching(/^CORS_ORIGINS\.0: expected an origin/),
    ]);
  });

  it('refuses the Upstash backend without its URL and token, and an unknown backend', () => {
    expect(problemsOf({ RATE_LIMIT_BACKEND: 'upstash' })).toEqual([
      expect.stringMatching(/^UPSTASH_REDIS_REST_URL: needed by the Upstash/),
      expect.stringMatching(/^UPSTASH_REDIS_REST_TOKEN: needed by the Upstash/),
    ]);
    // auto picks Upstash as soon as the URL is set, so the token is needed too; its value is never shown.
    const [problem] = problemsOf({ UPSTASH_REDIS_REST_URL: 'https://eu1-x.upstash.io' });
    expect(problem).toMatch(/^UPSTASH_REDIS_REST_TOKEN: needed .*\(it is not set\)/);
    expect(problemsOf({ RATE_LIMIT_BACKEND: 'redis' })).toEqual([expect.stringMatching(/^RATE_LIMIT_BACKEND: /)]);
    expect(problemsOf({ RATE_LIMIT_BACKEND: 'off', UPSTASH_REDIS_REST_URL: 'not a url' })).toEqual([
      expect.stringMatching(/^UPSTASH_REDIS_REST_URL: .*\(a secret: value not shown\)/),
    ]);
  });
});
