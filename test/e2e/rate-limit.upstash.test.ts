// Rate limits on the Upstash backend while its store is down: reads fail open, credential routes fail closed,
// and both recover when redis-server is back. Needs redis-server (left out of the run without it).
import { describe, expect, it } from 'vitest';
import { api, postJson } from './helpers';
import { pgControl } from './pg-control';

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
});
