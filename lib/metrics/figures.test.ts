import { describe, expect, it } from 'vitest';
import { aeSql, analyticsEngineSource, figuresOfAe } from './analytics-engine';
import { cacheDimension, figuresOfSummary, journeysOfSummary, mergeSummaries, parseCacheDimension } from './figures';
import { FigureRecorder } from './recorder';

const w = { from: Date.UTC(2026, 10, 29, 20, 0), to: Date.UTC(2026, 10, 29, 20, 2) };
const point = (at: number, method: string, route: string, status: number, ms: number, extra = {}) => ({
  at,
  method,
  route,
  status,
  ms,
  cache: '',
  code: '',
  event: '',
  ...extra,
});

describe('figures from rollups (the MetricsDO source)', () => {
  it('counts per route, status class, cache, 429, refusals and carts started; merges shards', () => {
    const shards = [new FigureRecorder(), new FigureRecorder()];
    const t0 = w.from;
    for (let i = 0; i < 10; i++)
      shards[i % 2]!.record(
        point(t0 + i * 1000, 'GET', '/v1/products', 200, 10 + i, { cache: i < 7 ? 'HIT' : 'MISS' }),
      );
    shards[0]!.record(point(t0 + 61_000, 'GET', '/v1/products/:slug', 404, 5, { code: 'NOT_FOUND' }));
    shards[1]!.record(point(t0 + 62_000, 'POST', '/v1/checkout', 409, 50, { code: 'PRICE_CHANGED' }));
    shards[1]!.record(point(t0 + 63_000, 'POST', '/v1/checkout', 503, 3000, { code: 'SERVICE_UNAVAILABLE' }));
    shards[0]!.record(point(t0 + 64_000, 'GET', '/v1/products', 429, 1, { code: 'RATE_LIMITED' }));
    shards[0]!.record(point(t0 + 65_000, 'POST', '/v1/cart/items', 200, 20, { event: 'cart.started' }));
    // What a MetricsDO shard answers: rows merged per key (here each shard's rows, as they would be stored).
    const summaries = shards.map((s) => {
      const rows = s.take();
      return {
        byKey: rows.map(({ minute: _m, ...k }) => k),
        byMinute: rows.map((r) => ({ minute: r.minute, statusClass: Math.floor(r.status / 100), hist: r.hist })),
      };
    });
    const f = figuresOfSummary(mergeSummaries(summaries), w);
    expect(f.total).toMatchObject({ requests: 15, status4xx: 3, status5xx: 1, perMinute: 7.5 });
    expect(f.cache).toMatchObject({ hits: 7, lookups: 10, hitRatio: 0.7 });
    expect(f.rateLimited).toEqual({ count: 1, share: 0.066667 });
    expect(f.cartsStarted).toBe(1);
    const list = f.routes.find((r) => r.route === 'GET /v1/products')!;
    expect(list).toMatchObject({ requests: 11, status4xx: 1 });
    expect(list.p50).toBeGreaterThanOrEqual(13 * 0.98);
    expect(list.p50).toBeLessThanOrEqual(14 * 1.02);
    expect(f.refusals).toContainEqual({ route: 'POST /v1/checkout', status: 409, code: 'PRICE_CHANGED', count: 1 });
    expect(f.minutes.map((m) => [m.minute, m.requests, m.status4xx, m.status5xx])).toEqual([
      ['2026-11-29T20:00:00.000Z', 10, 0, 0],
      ['2026-11-29T20:01:00.000Z', 5, 3, 1],
    ]);
    const [checkout] = journeysOfSummary(mergeSummaries(summaries), [
      { name: 'checkout', routes: ['POST /v1/checkout'], latencyMs: 100 },
    ]);
    expect(checkout).toEqual({ name: 'checkout', requests: 2, available: 1, fast: 1 });
  });
});

describe('figures per cache tier', () => {
  it('count each answer at the tier that answered it, with the ratio of those that reached that tier', () => {
    const r = new FigureRecorder();
    const at = w.from;
    const answers: [string, number, number][] = [
      [cacheDimension('HIT', 'browser'), 304, 2],
      [cacheDimension('HIT', 'memo'), 200, 3],
      [cacheDimension('STALE', 'memory'), 200, 1],
      [cacheDimension('HIT', 'memory'), 200, 2],
      [cacheDimension('HIT', 'cache-api'), 200, 1],
      [cacheDimension('HIT', 'shared'), 200, 1],
      [cacheDimension('MISS', 'origin'), 200, 1],
      [cacheDimension('HIT'), 200, 5], // an answer without a tier (recorded before tiers): a hit, in no tier
    ];
    for (const [cache, status, n] of answers)
      for (let i = 0; i < n; i++) r.record(point(at, 'GET', '/v1/products', status, 5, { cache }));
    const rows = r.take();
    const f = figuresOfSummary({ byKey: rows.map(({ minute: _m, ...k }) => k), byMinute: [] }, w);
    expect(f.cache).toMatchObject({ hits: 15, lookups: 16 });
    expect(f.cache.tiers).toEqual([
      { tier: 'browser', hits: 2, reached: 11, hitRatio: 0.181818 },
      { tier: 'memo', hits: 3, reached: 9, hitRatio: 0.333333 },
      { tier: 'memory', hits: 3, reached: 6, hitRatio: 0.5 },
      { tier: 'cache-api', hits: 1, reached: 3, hitRatio: 0.333333 },
      { tier: 'shared', hits: 1, reached: 2, hitRatio: 0.5 },
      { tier: 'origin', hits: 1, reached: 1, hitRatio: 1 },
    ]);
  });

  it('keep the outcome and the tier in one dimension, and read both back', () => {
    expect(cacheDimension('HIT', 'cache-api')).toBe('HIT:cache-api');
    expect(cacheDimension('MISS')).toBe('MISS');
    expect(cacheDimension(undefined, 'memo')).toBe('');
    expect(parseCacheDimension('STALE:memory')).toEqual({ outcome: 'STALE', tier: 'memory' });
    expect(parseCacheDimension('HIT')).toEqual({ outcome: 'HIT', tier: '' });
    expect(parseCacheDimension('')).toEqual({ outcome: '', tier: '' });
  });
});

describe('the Analytics Engine SQL source', () => {
  it('builds weighted statements over the window, with literals escaped', () => {
    expect(aeSql.routes(w)).toBe(
      'SELECT blob1 AS method, blob2 AS route, SUM(_sample_interval) AS requests, ' +
        'SUM(IF(double2 >= 400 AND double2 < 500, _sample_interval, 0)) AS s4xx, ' +
        'SUM(IF(double2 >= 500, _sample_interval, 0)) AS s5xx, ' +
        'quantileExactWeighted(0.5)(double1, _sample_interval) AS p50, ' +
        'quantileExactWeighted(0.95)(double1, _sample_interval) AS p95, ' +
        'quantileExactWeighted(0.99)(double1, _sample_interval) AS p99 FROM storefront_requests ' +
        "WHERE timestamp >= toDateTime('2026-11-29 20:00:00') AND timestamp < toDateTime('2026-11-29 20:02:00') " +
        "AND blob7 != 'console' GROUP BY method, route ORDER BY requests DESC FORMAT JSON",
    );
    // The console's own traffic is left out of every request figure.
    for (const q of [aeSql.total(w), aeSql.minutes(w), aeSql.refusals(w), aeSql.journeys(w, [])])
      expect(q).toContain("blob7 != 'console'");
    const j = aeSql.journeys(w, [{ name: 'x', routes: ["GET /v1/it's"], latencyMs: 300 }]);
    expect(j).toContain("(blob1 = 'GET' AND blob2 = '/v1/it''s')");
    expect(j).toContain('double1 <= 300');
    expect(aeSql.refusals(w)).toContain('AND double2 >= 400 GROUP BY method, route, status, code');
    // The tier is blob8; blob4 stays the outcome alone.
    expect(aeSql.total(w)).toContain(
      "SUM(IF(blob8 = 'browser', _sample_interval, 0)) AS tier0, SUM(IF(blob8 = 'memo', _sample_interval, 0)) AS tier1",
    );
    expect(aeSql.total(w)).toContain("SUM(IF(blob4 IN ('HIT', 'STALE'), _sample_interval, 0)) AS hits");
  });

  it('maps the API answers (numbers as strings included) into the shared shape', async () => {
    const answers: Record<string, unknown[]> = {
      total: [
        {
          requests: '20',
          s4xx: '4',
          s5xx: '1',
          p50: 12.5,
          p95: 80,
          p99: 120,
          hits: '6',
          lookups: '8',
          limited: '2',
          carts: '3',
          tier0: '1',
          tier1: '2',
          tier2: '0',
          tier3: '1',
          tier4: '1',
          tier5: '1',
        },
      ],
      routes: [
        { method: 'GET', route: '/v1/products', requests: '20', s4xx: '4', s5xx: '1', p50: 12.5, p95: 80, p99: 120 },
      ],
      minutes: [{ minute: '2026-11-29 20:01:00', requests: 20, s4xx: 4, s5xx: 1, p50: 12.5, p95: 80, p99: 120 }],
      refusals: [{ method: 'POST', route: '/v1/checkout', status: 409, code: 'PRICE_CHANGED', count: '4' }],
      journey: [{ j0_requests: '20', j0_available: '19', j0_fast: '17' }],
    };
    const sent: string[] = [];
    const source = analyticsEngineSource({
      accountId: 'acc',
      apiToken: 'tok',
      timeoutMs: 1000,
      fetch: (async (_url: string, init: RequestInit) => {
        const sql = String(init.body);
        sent.push(sql);
        const name = sql.includes('j0_')
          ? 'journey'
          : sql.includes('toStartOfInterval')
            ? 'minutes'
            : sql.includes('blob5 AS code')
              ? 'refusals'
              : sql.includes('GROUP BY method, route')
                ? 'routes'
                : 'total';
        return new Response(JSON.stringify({ data: answers[name] }));
      }) as typeof fetch,
    });
    const f = await source.requests(w);
    expect(f).toEqual(
      figuresOfAe(w, {
        total: answers.total as never,
        routes: answers.routes as never,
        minutes: answers.minutes as never,
        refusals: answers.refusals as never,
      }),
    );
    expect(f.total).toMatchObject({ requests: 20, perMinute: 10, rate4xx: 0.2, p95: 80 });
    expect(f.cache.hitRatio).toBe(0.75);
    expect(f.cache.tiers.map((t) => [t.tier, t.hits, t.reached])).toEqual([
      ['browser', 1, 6],
      ['memo', 2, 5],
      ['memory', 0, 3],
      ['cache-api', 1, 3],
      ['shared', 1, 2],
      ['origin', 1, 1],
    ]);
    expect(f.rateLimited).toEqual({ count: 2, share: 0.1 });
    expect(f.minutes[0]!.minute).toBe('2026-11-29T20:01:00.000Z');
    expect(f.refusals).toEqual([{ route: 'POST /v1/checkout', status: 409, code: 'PRICE_CHANGED', count: 4 }]);
    expect(f.cartsStarted).toBe(3);
    expect(await source.journeys(w, [{ name: 'j', routes: ['GET /v1/products'], latencyMs: 300 }])).toEqual([
      { name: 'j', requests: 20, available: 19, fast: 17 },
    ]);
    expect(sent).toHaveLength(5);
  });
});
