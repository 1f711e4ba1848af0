// Rate limits through the running gateway, on the backend the test stack runs (Upstash through the REST bridge in
// front of a real redis-server where it is installed, else the built-in RateLimiterDO): exactly the configured
// count passes, then 429 with Retry-After and RateLimit-* headers; per IP for anonymous callers and credential
// routes, per user when signed in. The store going down is in rate-limit.upstash.test.ts.
import { describe, expect, inject, it } from 'vitest';
import { client, devAccounts, freshIp, ok, uniqueWord } from './helpers';

async function burst<T>(n: number, send: () => Promise<T>) {
  return Promise.all(Array.from({ length: n }, send));
}

describe(`rate limits (${inject('rateLimitBackend')} backend)`, () => {
  it('lets exactly the anonymous limit (120/60 per IP) through, then answers 429', async () => {
    const ip = freshIp();
    const answers = await burst(130, () => client(undefined, ip).GET('/v1/categories'));
    const passed = answers.filter((a) => a.response.status === 200).map((a) => a.response.headers);
    const limited = answers.filter((a) => a.response.status === 429);
    expect(passed.every((h) => h.get('ratelimit-limit') === '120')).toBe(true); // none let through unlimited
    expect(passed).toHaveLength(120);
    expect(limited).toHaveLength(10);
    const remaining = passed.map((h) => Number(h.get('ratelimit-remaining'))).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(passed[0]!.get('ratelimit-limit')).toBe('120');
    expect(passed[0]!.get('ratelimit-policy')).toBe('120;w=60');
    const refused = limited[0]!;
    expect(refused.error?.error).toMatchObject({ code: 'RATE_LIMITED', requestId: expect.any(String) });
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.response.headers.get('ratelimit-remaining')).toBe('0');
    // Another address is not affected.
    expect((await client().GET('/v1/categories')).response.status).toBe(200);
  });

  it('limits login attempts per IP (10/60) whatever the account, and counts per user when signed in', async () => {
    const ip = freshIp();
    const attempts = await burst(13, () =>
      client(undefined, ip).POST('/v1/auth/login', {
        body: { email: `${uniqueWord()}@example.com`, password: 'wrong password' },
      }),
    );
    expect(attempts.filter((a) => a.response.status === 401)).toHaveLength(10);
    expect(attempts.filter((a) => a.response.status === 429)).toHaveLength(3);

    const merchant = devAccounts().find((a) => a.role === 'merchant')!;
    const login = await ok(
      'merchant login',
      client().POST('/v1/auth/login', { body: { email: merchant.email, password: merchant.password } }),
    );
    // The same user from two addresses draws on one budget (merchant tier: 1200/60).
    const a = (await client(login.accessToken, freshIp()).GET('/v1/categories')).response.headers;
    const b = (await client(login.accessToken, freshIp()).GET('/v1/categories')).response.headers;
    expect(a.get('ratelimit-policy')).toBe('1200;w=60');
    expect(Number(b.get('ratelimit-remaining'))).toBeLessThan(Number(a.get('ratelimit-remaining')));
  });
});
