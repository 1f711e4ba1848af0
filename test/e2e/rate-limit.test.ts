// Rate limits through the running gateway, on the backend the test stack runs (Upstash through the REST bridge in
// front of a real redis-server where it is installed, else the built-in RateLimiterDO): exactly the configured
// count passes, then 429 with Retry-After and RateLimit-* headers; per IP for anonymous callers and credential
// routes, per user when signed in. The store going down is in rate-limit.upstash.test.ts.
import { describe, expect, inject, it } from 'vitest';
import { api, devAccounts, freshIp, postJson, uniqueWord } from './helpers';

async function burst(n: number, send: () => Promise<{ status: number; headers: Headers; body: any }>) {
  return Promise.all(Array.from({ length: n }, send));
}

describe(`rate limits (${inject('rateLimitBackend')} backend)`, () => {
  it('lets exactly the anonymous limit (120/60 per IP) through, then answers 429', async () => {
    const ip = freshIp();
    const answers = await burst(130, () => api('/v1/categories', { headers: { 'cf-connecting-ip': ip } }));
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok.every((a) => a.headers.get('ratelimit-limit') === '120')).toBe(true); // none let through unlimited
    expect(ok).toHaveLength(120);
    expect(limited).toHaveLength(10);
    const remaining = ok.map((a) => Number(a.headers.get('ratelimit-remaining'))).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(ok[0]!.headers.get('ratelimit-limit')).toBe('120');
    expect(ok[0]!.headers.get('ratelimit-policy')).toBe('120;w=60');
    const refused = limited[0]!;
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', requestId: expect.any(String) });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    // Another address is not affected.
    expect((await api('/v1/categories')).status).toBe(200);
  });

  it('limits login attempts per IP (10/60) whatever the account, and counts per user when signed in', async () => {
    const ip = freshIp();
    const attempts = await burst(13, () =>
      postJson(
        '/v1/auth/login',
        { email: `${uniqueWord()}@example.com`, password: 'wrong password' },
        { 'cf-connecting-ip': ip },
      ),
    );
    expect(attempts.filter((a) => a.status === 401)).toHaveLength(10);
    expect(attempts.filter((a) => a.status === 429)).toHaveLength(3);

    const merchant = devAccounts().find((a) => a.role === 'merchant')!;
    const login = await postJson('/v1/auth/login', { email: merchant.email, password: merchant.password });
    const auth = { authorization: `Bearer ${login.body.accessToken}` };
    // The same user from two addresses draws on one budget (merchant tier: 1200/60).
    const a = await api('/v1/categories', { headers: { ...auth, 'cf-connecting-ip': freshIp() } });
    const b = await api('/v1/categories', { headers: { ...auth, 'cf-connecting-ip': freshIp() } });
    expect(a.headers.get('ratelimit-policy')).toBe('1200;w=60');
    expect(Number(b.headers.get('ratelimit-remaining'))).toBeLessThan(Number(a.headers.get('ratelimit-remaining')));
  });
});
