// The gateway's rate limiting inside workerd, for each backend (this file runs in two projects: the
// RateLimiterDO backend and the Upstash backend through the test stack's bridge). Real concurrency: a burst of
// requests at once from one address gets exactly the bucket's capacity through; a sustained rate above the refill
// is limited; the edge tier (the Workers Rate Limiting binding, 120 per 10 s per address) limits before the token
// is verified.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { app } from '../../workers/gateway/src/app';

const backend = (env as unknown as { RATE_LIMIT_BACKEND: string }).RATE_LIMIT_BACKEND;
const gateway = (exports as unknown as { default: Fetcher }).default;
let n = 0;
const ip = () => `2001:db8:feed::${(++n).toString(16)}:${Date.now().toString(16).slice(-4)}`;
const get = (path: string, address: string) =>
  gateway.fetch(`https://storefront.test${path}`, { headers: { 'cf-connecting-ip': address } });
const post = (path: string, address: string) =>
  gateway.fetch(`https://storefront.test${path}`, { method: 'POST', headers: { 'cf-connecting-ip': address } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The edge binding counts in fixed 10 s windows (aligned to the clock): start a burst well inside one. */
const inOneEdgeWindow = async () => {
  if (Date.now() % 10_000 > 7_000) await sleep(10_000 - (Date.now() % 10_000) + 50);
};

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

  it('token bucket: a burst within capacity passes, a sustained rate above the refill is limited', async () => {
    // The webhook rule here: "5/1 burst 8", a bucket of 8, one token back every 200 ms, per address (its 400s,
    // unsigned posts, cost nothing downstream).
    const address = ip();
    const burst = await Promise.all(Array.from({ length: 8 }, () => post('/v1/webhooks/stripe', address)));
    expect(burst.filter((r) => r.status === 429)).toHaveLength(0); // all 8 at once: within capacity
    expect(burst.map((r) => Number(r.headers.get('ratelimit-remaining'))).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(burst[0]!.headers.get('ratelimit-limit')).toBe('8');
    expect(burst[0]!.headers.get('ratelimit-policy')).toBe('5;w=1;burst=8');

    const over = await post('/v1/webhooks/stripe', address);
    expect(over.status).toBe(429);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    // One token is back within 200 ms: Retry-After is the least whole second, 1.
    expect(over.headers.get('retry-after')).toBe('1');
    expect(over.headers.get('ratelimit-remaining')).toBe('0');
    // Full again after 8 refills of 200 ms: at most 2 s.
    expect(Number(over.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(2);

    // Sustained: one request every 100 ms for 2 s (10/s) against a refill of 5/s: about half pass.
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      statuses.push((await post('/v1/webhooks/stripe', address)).status);
      await sleep(Math.max(0, started + (i + 1) * 100 - Date.now()));
    }
    const passed = statuses.filter((s) => s !== 429).length;
    const elapsed = (Date.now() - started) / 1000;
    expect(passed).toBeGreaterThanOrEqual(6);
    expect(passed).toBeLessThanOrEqual(Math.ceil(elapsed * 5) + 1); // never more than the refill brought back
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(6);
  });

  it('the edge tier counts an address before verifying its token: 130 junk bearers meet 429 (issue 11, #5)', async () => {
    // Without the edge tier every one of them is verified and refused 401: a bad token never reached a limit.
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const keyed = { ...env, JWT_SIGNING_KEY: JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'rl-test' }) };
    await inOneEdgeWindow();
    const address = ip();
    const answers = await Promise.all(
      Array.from({ length: 130 }, () =>
        app.fetch(
          new Request('https://storefront.test/v1/categories', {
            headers: { 'cf-connecting-ip': address, authorization: 'Bearer a.b.c' },
          }),
          keyed,
          createExecutionContext(),
        ),
      ),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(120);
    const limited = answers.filter((r) => r.status === 429);
    expect(limited).toHaveLength(10); // the binding's 120 per 10 s
    expect(limited[0]!.headers.get('retry-after')).toBe('10');
    expect(((await limited[0]!.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
  });

  it('browse as in production (no wait): checks gathered into one store call, the refusal from the next request', async () => {
    // Production's browse settings: nobody waits for the store, and the checks of 20 ms go as one call.
    const browse = { ...env, RATE_LIMIT_BROWSE_WAIT_MS: '0', RATE_LIMIT_BROWSE_BATCH_MS: '20' };
    const address = ip();
    const ctx = createExecutionContext();
    const call = () =>
      app.fetch(
        new Request('https://storefront.test/v1/no-such-route', { headers: { 'cf-connecting-ip': address } }),
        browse,
        ctx,
      );
    // Eight at once from one address (the bucket holds 5): none waits, so all are answered.
    const first = await Promise.all(Array.from({ length: 8 }, call));
    expect(first.map((r) => r.status)).toEqual(Array(8).fill(404));
    // The gathered batch went to the store (held by the first request's waitUntil), which refused 3 of the 8...
    await waitOnExecutionContext(ctx);
    // ...so the store's refusal now stands for this address, without another call.
    const next = await call();
    expect(next.status).toBe(429);
    expect(Number(next.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another address is not refused.
    const other = await app.fetch(
      new Request('https://storefront.test/v1/no-such-route', { headers: { 'cf-connecting-ip': ip() } }),
      browse,
      createExecutionContext(),
    );
    expect(other.status).toBe(404);
  });
});
