import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AeSqlServer, startAeSqlServer } from '../../../../dev/analytics-engine-sql';
import type { Identity } from '../../../../lib/auth/tokens';
import type { FigureSummary } from '../../../../lib/contracts/figures';
import { AppError } from '../../../../lib/errors';
import { add } from '../../../../lib/metrics/histogram';
import type { GatewayBindings } from '../types';
import { opsFigures, sloReport, wholeMinutes, windowOf } from './figures.service';

const MIN = 60_000;
const now = Date.UTC(2026, 10, 29, 20, 30, 15);
const admin = { sub: 'a', role: 'admin' } as Identity;

describe('the figures window', () => {
  it('is whole minutes: from floored, to ceiled; the last 60 minutes by default', () => {
    expect(wholeMinutes(now - 5 * MIN, now)).toEqual({ from: now - 15_000 - 5 * MIN, to: now + 45_000 });
    expect(windowOf({}, now)).toEqual({ from: now - 15_000 - 60 * MIN, to: now + 45_000 });
    expect(windowOf({ minutes: 5 }, now).from).toBe(now - 15_000 - 5 * MIN);
    const from = '2026-11-29T20:00:30Z';
    expect(windowOf({ from, to: '2026-11-29T20:10:00Z' }, now)).toEqual({
      from: Date.UTC(2026, 10, 29, 20, 0),
      to: Date.UTC(2026, 10, 29, 20, 10),
    });
  });

  it('refuses from after to, from with minutes, and more than 7 days', () => {
    const refuse = (q: Parameters<typeof windowOf>[0]) => expect(() => windowOf(q, now)).toThrow(AppError);
    refuse({ from: '2026-11-29T20:00:00Z', to: '2026-11-29T19:00:00Z' });
    refuse({ from: '2026-11-29T20:00:00Z', minutes: 5 });
    refuse({ from: '2026-11-01T00:00:00Z', to: '2026-11-09T00:00:00Z' });
    expect(windowOf({ from: '2026-11-01T00:00:00Z', to: '2026-11-08T00:00:00Z' }, now).to).toBe(Date.UTC(2026, 10, 8));
  });
});

describe('the SLO report', () => {
  it('maps each journey to its availability (not 5xx) and latency (fast of the available) objectives', async () => {
    // Every window sees the same: catalog reads 90 fast 200s, 8 slow 200s, 2 503s; no cart or checkout traffic.
    const hist = (values: number[]) => values.reduce((h, v) => add(h, v), {} as Record<string, number>);
    const summary: FigureSummary = {
      byKey: [
        {
          method: 'GET',
          route: '/v1/products',
          status: 200,
          cache: 'HIT',
          code: '',
          event: '',
          hist: hist([...Array(90).fill(20), ...Array(8).fill(2000)]),
        },
        {
          method: 'GET',
          route: '/v1/categories',
          status: 503,
          cache: '',
          code: 'DB_UNAVAILABLE',
          event: '',
          hist: hist([5, 5]),
        },
        { method: 'GET', route: '/v1/orders', status: 500, cache: '', code: 'INTERNAL', event: '', hist: hist([5]) },
      ],
      byMinute: [],
    };
    const shardsAsked: string[] = [];
    const env = {
      FIGURES_SHARDS: '2',
      METRICS: {
        idFromName: (name: string) => name,
        get: (id: string) => ({
          summary: async () => {
            shardsAsked.push(id);
            // Two shards, each holding half: the report must add them.
            return id === 'figures-0' ? summary : { byKey: [], byMinute: [] };
          },
        }),
      },
      ADMIN: {
        opsFigures: async () => ({
          ok: true,
          paidWithin: { boundSeconds: 60, eligible: 12, closed: 2, paid: 9, paidInTime: 8 },
        }),
      },
    } as unknown as GatewayBindings;
    const r = await sloReport(env, admin, now);
    expect(new Set(shardsAsked)).toEqual(new Set(['figures-0', 'figures-1']));
    expect(r.windowHours).toBe(168);
    const catalog = r.journeys.find((j) => j.name === 'catalog read')!;
    expect(catalog.availability).toMatchObject({ objective: 0.999, total: 100, good: 98, sli: 0.98 });
    // 2% bad against a 0.1% budget: spent 20 times over.
    expect(catalog.availability.budgetRemaining).toBe(-19);
    expect(catalog.availability.burn.map((b) => [b.window, b.burnRate])).toEqual([
      ['5m', 20],
      ['1h', 20],
    ]);
    expect(catalog.latency).toMatchObject({ objective: 0.99, total: 98, good: 90, thresholdMs: 300, met: false });
    const cart = r.journeys.find((j) => j.name === 'add to cart')!;
    expect(cart.availability).toMatchObject({ total: 0, sli: null, budgetRemaining: 1, met: true });
    const paid = r.journeys.find((j) => j.name === 'order paid')!;
    expect(paid.availability).toMatchObject({ objective: 0.995, total: 10, good: 9 });
    expect(paid.latency).toMatchObject({ objective: 0.99, total: 9, good: 8, thresholdMs: 60_000 });
  });
});

describe('the figures from the Analytics Engine SQL API (production)', () => {
  let server: AeSqlServer;
  let failCalls = false;
  const callRows = [
    {
      worker: 'checkout',
      kind: 'object',
      class: 'OrdersDO',
      method: 'checkout',
      calls: 40,
      items: 40,
      refused: 3,
      errors: 1,
      p50: 41.26,
      p95: 180,
      p99: 420.04,
    },
    {
      worker: 'checkout',
      kind: 'queue',
      class: 'CheckoutWorker',
      method: 'orders',
      calls: 6,
      items: 22,
      refused: 0,
      errors: 0,
      p50: 12,
      p95: 30,
      p99: 31,
    },
  ];
  beforeAll(async () => {
    server = await startAeSqlServer({
      accountId: 'acct-1',
      token: 'ae-token',
      answer: (sql) => {
        if (sql.includes('FROM storefront_events')) {
          if (failCalls) throw new Error('dataset storefront_events unavailable (test)');
          return callRows;
        }
        if (sql.includes('GROUP BY')) return [];
        return [{ requests: 10, s4xx: 1, s5xx: 0, p50: 5, p95: 9, p99: 9, hits: 4, lookups: 8, limited: 0, carts: 2 }];
      },
    });
  });
  afterAll(() => server.close());

  const envWith = (vars: Record<string, string>) =>
    ({
      FIGURES_SOURCE: 'analytics-engine',
      CF_ACCOUNT_ID: 'acct-1',
      CF_ANALYTICS_TOKEN: 'ae-token',
      CF_API_BASE: server.url,
      ...vars,
      ADMIN: {
        opsFigures: async () => ({ ok: true, orders: { accepted: 1, paid: 1, perMinute: [] } }),
      },
    }) as unknown as GatewayBindings;

  it('serves every worker’s calls (storefront_events) beside the request figures, from the SQL API', async () => {
    const w = wholeMinutes(now - 15 * MIN, now);
    server.statements.length = 0;
    const f = await opsFigures(envWith({}), admin, w, 5);
    expect(f.source).toBe('analytics-engine');
    expect(f.requests.total).toMatchObject({ requests: 10, status4xx: 1 });
    expect(f.workers).toEqual([
      {
        worker: 'checkout',
        kind: 'object',
        className: 'OrdersDO',
        method: 'checkout',
        calls: 40,
        items: 40,
        refused: 3,
        errors: 1,
        p50: 41.3,
        p95: 180,
        p99: 420,
      },
      {
        worker: 'checkout',
        kind: 'queue',
        className: 'CheckoutWorker',
        method: 'orders',
        calls: 6,
        items: 22,
        refused: 0,
        errors: 0,
        p50: 12,
        p95: 30,
        p99: 31,
      },
    ]);
    // One statement per request figure, one for the calls: all over the window, each with FORMAT JSON.
    const calls = server.statements.filter((q) => q.includes('FROM storefront_events'));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain("timestamp >= toDateTime('2026-11-29 20:15:00')");
    expect(calls[0]).toContain("timestamp < toDateTime('2026-11-29 20:31:00')");
    expect(calls[0]).toContain('GROUP BY worker, kind, class, method');
    expect(server.statements.filter((q) => q.includes('FROM storefront_requests'))).toHaveLength(4);
  });

  it('answers the other figures with workers null when the calls cannot be read, and null with the local source', async () => {
    const w = wholeMinutes(now - 5 * MIN, now);
    failCalls = true;
    try {
      const f = await opsFigures(envWith({}), admin, w, 5);
      expect(f.workers).toBeNull();
      expect(f.requests.total.requests).toBe(10);
    } finally {
      failCalls = false;
    }
    // A bad token fails the request figures too: the whole answer is then an error, as before.
    await expect(opsFigures(envWith({ CF_ANALYTICS_TOKEN: 'wrong' }), admin, w, 5)).rejects.toThrow('401');
    const local = {
      ...envWith({ FIGURES_SOURCE: 'durable-object', FIGURES_SHARDS: '1' }),
      METRICS: {
        idFromName: (name: string) => name,
        get: () => ({ summary: async () => ({ byKey: [], byMinute: [] }) }),
      },
    } as unknown as GatewayBindings;
    const before = server.statements.length;
    expect((await opsFigures(local, admin, w, 5)).workers).toBeNull();
    expect(server.statements.length).toBe(before);
  });
});
