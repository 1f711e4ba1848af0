// With PostgreSQL stopped: cached and stale catalog answers still serve, everything else answers 503 with
// Retry-After quickly, /health names what is down; with it back, everything recovers without a restart.
import { afterAll, describe, expect, it } from 'vitest';
import { api, eventually, primary, uniqueWord } from './helpers';
import { pgControl } from './pg-control';

describe('database down', () => {
  afterAll(async () => {
    await pgControl('startAll');
  });

  it('serves cached and stale answers, 503s the rest quickly, and recovers when Postgres returns', async () => {
    const cachedPath = `/v1/products?q=linen&limit=3`;
    const stalePath = `/v1/products?category=home&limit=4&sort=price_desc`;
    expect((await api(stalePath)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3200)); // stalePath is now past its fresh window
    expect((await api(cachedPath)).status).toBe(200); // cachedPath is fresh

    await pgControl('stopAll');
    const hit = await api(cachedPath);
    expect(hit.status).toBe(200);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    const stale = await api(stalePath);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-cache')).toBe('STALE');

    const miss = await api(`/v1/products?q=${uniqueWord()}`);
    expect(miss.status).toBe(503);
    expect(miss.body.error.code).toBe('DB_UNAVAILABLE');
    expect(Number(miss.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(miss.ms).toBeLessThan(2000);
    const missingProduct = await api(`/v1/products/${uniqueWord('gone')}`);
    expect(missingProduct.status).toBe(503);
    expect(missingProduct.ms).toBeLessThan(2000);

    const health = await api('/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.postgresPrimary.status).toBe('down');
    expect(health.body.checks.postgresReplica.status).toBe('down');
    expect(health.body.checks.gateway.status).toBe('ok');
    expect(health.ms).toBeLessThan(3000);

    await pgControl('startAll');
    await eventually('health recovers', async () => (await api('/health')).status === 200, 15_000, 200);
    const back = await api(`/v1/products?q=${uniqueWord()}`);
    expect(back.status).toBe(200);
  });

  it('keeps reading from the replica while only the primary is down', async () => {
    await pgControl('stopPrimary');
    try {
      const res = await api(`/v1/products?q=${uniqueWord()}`);
      expect(res.status).toBe(200);
      const health = await api('/health');
      expect(health.status).toBe(503);
      expect(health.body.checks.postgresPrimary.status).toBe('down');
      expect(health.body.checks.postgresReplica.status).toBe('ok');
    } finally {
      await pgControl('startAll');
    }
    expect(await primary('select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('falls back to the primary while only the replica is down', async () => {
    await pgControl('stopReplica');
    try {
      const res = await api(`/v1/products?q=${uniqueWord()}`);
      expect(res.status).toBe(200);
      const list = await api('/v1/products?category=boots&limit=3&sort=price_asc');
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(3);
      const health = await api('/health');
      expect(health.status).toBe(503);
      expect(health.body.checks.postgresReplica.status).toBe('down');
      expect(health.body.checks.postgresPrimary.status).toBe('ok');
    } finally {
      await pgControl('startAll');
    }
  });
});
