// Rate limits on the Upstash backend while its store is slow or down: a slow store changes nothing (the flood stays
// limited, everyone else gets in: issue 11, finding 1); a failing one opens the breaker, and then credential routes
// fail closed (503) and reads rely on the edge tier; all recover when the store is back. Needs redis-server (left
// out of the run without it). The bridge's delay control makes the store slow on demand.
import { describe, expect, inject, it } from 'vitest';
import { api, client, devAccounts, freshIp, postJson } from './helpers';
import { pgControl } from './pg-control';

/** Every later command through the Upstash bridge waits `ms` before it reaches redis (0: no wait). */
async function slowStore(ms: number) {
  const res = await fetch(`${inject('upstashUrl')}/__bridge/delay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${inject('upstashToken')}` },
    body: JSON.stringify({ ms }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`bridge delay ${ms}: ${res.status} ${await res.text()}`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limits (Upstash backend) with the store down', () => {
  it('fails open for reads and closed for credential routes while the store is down, and recovers', async () => {
    await pgControl('stopRedis');
    try {
      const read = await api('/v1/categories');
      expect(read.status).toBe(200);
      expect(read.headers.get('ratelimit-limit')).toBeNull();
      expect(read.ms).toBeLessThan(2000);
      const login = await postJson('/v1/auth/login', { email: 'nobody@example.com', password: 'whatever it is' });
      expect(login.status).toBe(503);
      expect(login.body.error.code).toBe('RATE_LIMITER_UNAVAILABLE');
      expect(Number(login.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await pgControl('startRedis');
    }
    const back = await postJson('/v1/auth/login', { email: 'nobody@example.com', password: 'whatever it is' });
    expect(back.status).toBe(401);
    expect(back.headers.get('ratelimit-limit')).toBe('10');
  });

  it('a flood against a slow store stays limited while logins from other addresses get in (finding 1)', async () => {
    const merchant = devAccounts().find((a) => a.role === 'merchant')!;
    // Start inside one 10 s window of the edge binding, so its count is one window's.
    if (Date.now() % 10_000 > 6_000) await sleep(10_000 - (Date.now() % 10_000) + 50);
    await slowStore(800);
    try {
      const ip = freshIp();
      const started = Date.now();
      const flood = Array.from({ length: 300 }, () => client(undefined, ip).GET('/v1/categories'));
      const logins = Array.from({ length: 10 }, () =>
        client().POST('/v1/auth/login', { body: { email: merchant.email, password: merchant.password } }),
      );
      const [reads, signIns] = await Promise.all([Promise.all(flood), Promise.all(logins)]);
      // The bucket: 120, plus one token back every 500 ms of the flood.
      const most = 120 + Math.ceil((Date.now() - started) / 500);
      const statuses = reads.map((r) => r.response.status);
      // On main, every one of the 300 got 200 (the slow store lifted the limit). The rest 429, never a 5xx.
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(most);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(300 - most);
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      expect(signIns.map((r) => r.response.status)).toEqual(Array(10).fill(200));
    } finally {
      await slowStore(0);
    }
  });

  it('opens the breaker only when the store really fails, then fails closed at once until it is retried', async () => {
    const login = () => postJson('/v1/auth/login', { email: 'nobody@example.com', password: 'whatever it is' });
    // Slow is not failing: logins answered while every store call takes 4 s are the edge tier's (401, no 503), and
    // the breaker stays closed.
    await slowStore(4_000);
    try {
      const slow = await Promise.all(Array.from({ length: 6 }, login));
      expect(slow.map((r) => r.status)).toEqual(Array(6).fill(401));
      expect(slow.every((r) => r.ms < 3_500)).toBe(true); // none waited for the store
    } finally {
      await slowStore(0);
    }
    expect((await login()).headers.get('ratelimit-limit')).toBe('10'); // the store answers again, breaker closed

    // Failing is: redis stopped, the bridge answers errors. 5 in a row (RATE_LIMIT_BREAKER_FAILURES) open it.
    await pgControl('stopRedis');
    try {
      const reads = await Promise.all(Array.from({ length: 5 }, () => api('/v1/categories')));
      expect(reads.map((r) => r.status)).toEqual(Array(5).fill(200)); // fail open: the edge tier let them in
    } finally {
      await pgControl('startRedis');
    }
    // The store is back, but the breaker is open: a login is refused at once, without asking the store.
    const refused = await login();
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('RATE_LIMITER_UNAVAILABLE');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(5);
    expect(refused.ms).toBeLessThan(1_000);
    const read = await api('/v1/categories');
    expect(read.status).toBe(200);
    expect(read.headers.get('ratelimit-limit')).toBeNull();
    // After RATE_LIMIT_BREAKER_OPEN_MS (5 s) one trial call goes through, succeeds, and closes it.
    await sleep(5_500);
    const back = await login();
    expect(back.status).toBe(401);
    expect(back.headers.get('ratelimit-limit')).toBe('10');
  });
});
