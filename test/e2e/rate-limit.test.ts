// Rate limits through the running gateway, on the backend the test stack runs (Upstash through the REST bridge in
// front of a real redis-server where it is installed, else the built-in RateLimiterDO): exactly the configured
// count passes, then 429 with Retry-After and RateLimit-* headers; per IP for anonymous callers and credential
// routes, per user when signed in; guest creation under its per-address bucket; junk bearers limited per address
// before verification (the edge tier); the Bearer scheme in any case. The store slow or down is in
// rate-limit.upstash.test.ts.
import { describe, expect, inject, it } from 'vitest';
import { api, client, devAccounts, freshIp, ok, uniqueWord } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The edge binding counts in fixed 10 s windows (aligned to the clock): start a burst well inside one. */
const inOneEdgeWindow = async () => {
  if (Date.now() % 10_000 > 7_000) await sleep(10_000 - (Date.now() % 10_000) + 50);
};

async function burst<T>(n: number, send: () => Promise<T>) {
  return Promise.all(Array.from({ length: n }, send));
}

describe(`rate limits (${inject('rateLimitBackend')} backend)`, () => {
  it('lets exactly the anonymous limit (120/60 per IP) through, then answers 429', async () => {
    // Warm the store's scripts first: a cold first call on busy cores can outlast the store timeout.
    await client().GET('/v1/categories');
    await inOneEdgeWindow();
    const ip = freshIp();
    const started = Date.now();
    const answers = await burst(130, () => client(undefined, ip).GET('/v1/categories'));
    // A token bucket: one of the 120 tokens comes back every 500 ms, also during the burst.
    const refills = Math.ceil((Date.now() - started) / 500);
    const passed = answers.filter((a) => a.response.status === 200).map((a) => a.response.headers);
    const limited = answers.filter((a) => a.response.status === 429);
    expect(passed.every((h) => h.get('ratelimit-limit') === '120')).toBe(true); // none let through unlimited
    // The store's bucket holds 120, plus what came back meanwhile; every other answer is a 429.
    expect(passed.length).toBeGreaterThanOrEqual(120);
    expect(passed.length).toBeLessThanOrEqual(120 + refills);
    expect(limited).toHaveLength(130 - passed.length);
    const remaining = passed.map((h) => Number(h.get('ratelimit-remaining'))).sort((a, b) => a - b);
    expect(remaining[0]).toBeLessThanOrEqual(refills);
    expect(remaining.at(-1)).toBe(119);
    expect(new Set(remaining).size).toBeGreaterThanOrEqual(120 - refills);
    expect(passed[0]!.get('ratelimit-policy')).toBe('120;w=60');
    const refused = limited[0]!;
    expect(refused.error?.error).toMatchObject({ code: 'RATE_LIMITED', requestId: expect.any(String) });
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
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
    // The same user from two addresses draws on one budget (merchant tier: 1200/60, a token back every 50 ms):
    // 20 requests from each address at once leave fewer than 1180 tokens, which one address alone could not.
    const [ipA, ipB] = [freshIp(), freshIp()];
    const started = Date.now();
    const answers = await Promise.all(
      [ipA, ipB].flatMap((ip) => Array.from({ length: 20 }, () => client(login.accessToken, ip).GET('/v1/categories'))),
    );
    const refills = Math.ceil((Date.now() - started) / 50);
    expect(answers[0]!.response.headers.get('ratelimit-policy')).toBe('1200;w=60');
    const least = Math.min(...answers.map((a) => Number(a.response.headers.get('ratelimit-remaining'))));
    expect(least).toBeLessThanOrEqual(1200 - 40 + refills);
    expect(least).toBeLessThan(1180);
  });

  it('creates guests under a credential-grade bucket per address (10/600 burst 5), whoever asks', async () => {
    const ip = freshIp();
    const answers = await burst(7, () => client(undefined, ip).POST('/v1/auth/guest'));
    const created = answers.filter((a) => a.response.status === 201);
    expect(created.map((a) => a.response.headers.get('ratelimit-policy'))).toEqual(Array(5).fill('10;w=600;burst=5'));
    const refused = answers.filter((a) => a.response.status === 429);
    expect(refused).toHaveLength(2);
    // One token comes back every 60 s (and the edge counter's period is 60 s): Retry-After says so.
    const retryAfter = Number(refused[0]!.response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A guest's token does not buy more guests from that address; another address is not affected.
    const guest = answers.find((a) => a.response.status === 201)!.data!;
    expect((await client(guest.accessToken, ip).POST('/v1/auth/guest')).response.status).toBe(429);
    expect((await client(undefined, freshIp()).POST('/v1/auth/guest')).response.status).toBe(201);
  });

  it('limits junk bearers from one address: 130 of "Bearer a.b.c" meet 429', async () => {
    await inOneEdgeWindow();
    const ip = freshIp();
    const answers = await burst(130, () =>
      api('/v1/categories', { headers: { authorization: 'Bearer a.b.c', 'cf-connecting-ip': ip } }),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(120);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    expect(answers.find((a) => a.status === 429)!.headers.get('retry-after')).toBe('10');
  });

  it('accepts the Bearer scheme in any case (RFC 6750)', async () => {
    const { accessToken } = await ok('guest session', client().POST('/v1/auth/guest'));
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const cart = await api('/v1/cart', { headers: { authorization: `${scheme} ${accessToken}` } });
      expect(cart.status, scheme).toBe(200);
    }
    expect((await api('/v1/cart', { headers: { authorization: `Basic ${accessToken}` } })).status).toBe(401);
  });
});
