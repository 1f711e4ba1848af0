// The gateway's rate limiting inside workerd, for each backend (this file runs in two projects: the
// RateLimiterDO backend and the Upstash backend through the test stack's bridge). Real concurrency: a burst of
// requests at once from one address gets exactly the configured number through.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

const backend = (env as unknown as { RATE_LIMIT_BACKEND: string }).RATE_LIMIT_BACKEND;
const gateway = (exports as unknown as { default: Fetcher }).default;
let n = 0;
const ip = () => `2001:db8:feed::${(++n).toString(16)}:${Date.now().toString(16).slice(-4)}`;
const get = (path: string, address: string) =>
  gateway.fetch(`https://storefront.test${path}`, { headers: { 'cf-connecting-ip': address } });

describe(`rate limits on the ${backend} backend`, () => {
  it('lets exactly 5 of 20 simultaneous requests through (RATE_LIMIT_ANONYMOUS=5/60), then 429', async () => {
    const address = ip();
    // An unknown route: the limiter counts it before routing, and its 404 costs nothing downstream.
    const answers = await Promise.all(Array.from({ length: 20 }, () => get('/v1/no-such-route', address)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 404)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    const limited = answers.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('ratelimit-limit')).toBe('5');
    const body = (await limited.json()) as { error: { code: string } };
    expect(body.error.code).toBe('RATE_LIMITED');
    const remaining = answers.filter((r) => r.status === 404).map((r) => Number(r.headers.get('ratelimit-remaining')));
    expect(remaining.sort()).toEqual([0, 1, 2, 3, 4]);
    // Another address has its own budget.
    expect((await get('/v1/no-such-route', ip())).status).toBe(404);
  });

  it('gives credential routes their own, tighter budget (RATE_LIMIT_AUTH=3/60)', async () => {
    const address = ip();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        gateway.fetch('https://storefront.test/v1/auth/refresh', {
          method: 'POST',
          headers: { 'cf-connecting-ip': address, 'content-type': 'application/json' },
          body: '{"refreshToken": "x"}', // refused by validation (400) after the limiter counted it
        }),
      ),
    );
    expect(answers.filter((r) => r.status === 400)).toHaveLength(3);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(3);
    // The general budget of that address is untouched.
    expect((await get('/v1/no-such-route', address)).headers.get('ratelimit-remaining')).toBe('4');
  });
});
