import { describe, expect, it } from 'vitest';
import type { BusinessFigures } from '../../../../lib/contracts/figures';
import type { RequestFigures, RouteFigures } from '../../../../lib/metrics/figures';
import { alertRules, type JourneyBurnCounts, readRules, type Signals } from './alert-rules';
import { AlertVars } from './alerts.config';

const now = Date.UTC(2026, 10, 29, 23, 0);
const config = AlertVars.parse({});
const journeys = [
  { name: 'catalog read', routes: ['GET /v1/products'], latencyMs: 300, availability: 0.999, latency: 0.99 },
];
const rules = alertRules(journeys);

const route = (r: Partial<RouteFigures>): RouteFigures => ({
  route: '*',
  requests: 0,
  perMinute: 0,
  status4xx: 0,
  status5xx: 0,
  rate4xx: 0,
  rate5xx: 0,
  p50: null,
  p95: null,
  p99: null,
  ...r,
});
const recent = (total: Partial<RouteFigures>, routes: Partial<RouteFigures>[] = []) =>
  ({ total: route(total), routes: routes.map(route) }) as RequestFigures;
const counts = (total: number, bad: number) => ({ total, good: total - bad });
const burns = (w: { '5m': number[]; '30m': number[]; '1h': number[]; '6h': number[] }): JourneyBurnCounts[] => [
  {
    name: 'catalog read',
    availability: {
      '5m': counts(w['5m'][0]!, w['5m'][1]!),
      '30m': counts(w['30m'][0]!, w['30m'][1]!),
      '1h': counts(w['1h'][0]!, w['1h'][1]!),
      '6h': counts(w['6h'][0]!, w['6h'][1]!),
    },
    latency: {
      '5m': counts(100, 0),
      '30m': counts(100, 0),
      '1h': counts(100, 0),
      '6h': counts(100, 0),
    },
  },
];
const business = (b: Partial<BusinessFigures>) =>
  ({
    deadLetters: { waiting: 0, oldestFirstSeenAt: null },
    outbox: {
      objects: 0,
      pending: 0,
      failing: 0,
      copies: 0,
      oldestReportAt: null,
      oldestDueAt: null,
      oldestCopyAt: null,
      levels: { pending: 0, failing: 0, oldestPendingAt: null },
    },
    replica: { configured: true, lagBytes: 0, lagSeconds: 0 },
    ...b,
  }) as BusinessFigures;
const read = (s: Partial<Signals>) =>
  Object.fromEntries(readRules(rules, { now, errors: {}, ...s }, config).map((r) => [r.rule, r]));

describe('alert rules', () => {
  it('declares one rule per signal, per journey for p99, and per journey × objective × speed for burns', () => {
    expect(rules.map((r) => r.rule)).toEqual([
      'error-rate',
      'latency-p99:catalog-read',
      'burn-fast:catalog-read:availability',
      'burn-slow:catalog-read:availability',
      'burn-fast:catalog-read:latency',
      'burn-slow:catalog-read:latency',
      'dead-letters',
      'dead-letter-age',
      'outbox-stuck',
      'outbox-failing',
      'queue-oldest-age',
      'replica-lag',
      'breakers-open',
      'slow-queries',
      'dependencies-down',
      'signals-unavailable',
    ]);
  });

  it('fires the error rate at its threshold (5%), with enough requests only', () => {
    expect(read({ recent: recent({ requests: 100, status5xx: 5, rate5xx: 0.05 }) })['error-rate']).toMatchObject({
      value: 5,
      threshold: 5,
      firing: true,
    });
    expect(read({ recent: recent({ requests: 100, status5xx: 4, rate5xx: 0.04 }) })['error-rate']!.firing).toBe(false);
    // One 503 of twenty requests is 5%, but one bad event judges nothing (ALERT_MIN_BAD_EVENTS 5).
    const few = read({ recent: recent({ requests: 20, status5xx: 1, rate5xx: 0.05 }) })['error-rate']!;
    expect(few).toMatchObject({ value: 5, firing: false, enough: false });
    expect(few.detail).toMatch(/too few events/);
    const five = read({ recent: recent({ requests: 40, status5xx: 5, rate5xx: 0.125 }) })['error-rate']!;
    expect(five).toMatchObject({ value: 12.5, firing: true });
  });

  it('never fires a burn rule on one bad event of a quiet journey (20 requests, 99.9% objective)', () => {
    // One 5xx of 20 is a burn of 50 in both windows: still not enough bad events (5) in either window.
    const one = burns({ '5m': [20, 1], '30m': [20, 1], '1h': [20, 1], '6h': [20, 1] });
    const r = read({ burns: one });
    expect(r['burn-fast:catalog-read:availability']).toMatchObject({ value: 50, firing: false, enough: false });
    expect(r['burn-slow:catalog-read:availability']).toMatchObject({ value: 50, firing: false, enough: false });
    // Enough bad events in the long window but one in the short: the short window cannot judge either.
    const shortOne = burns({ '5m': [20, 1], '30m': [20, 1], '1h': [200, 10], '6h': [200, 10] });
    expect(read({ burns: shortOne })['burn-fast:catalog-read:availability']!.firing).toBe(false);
    const both = burns({ '5m': [100, 5], '30m': [100, 5], '1h': [200, 10], '6h': [200, 10] });
    expect(read({ burns: both })['burn-fast:catalog-read:availability']).toMatchObject({ value: 50, firing: true });
  });

  it("fires p99 over the journey's SLO bound on its slowest route with enough requests", () => {
    const slow = read({ recent: recent({}, [{ route: 'GET /v1/products', requests: 100, p99: 420 }]) });
    expect(slow['latency-p99:catalog-read']).toMatchObject({ value: 420, threshold: 300, firing: true });
    // Under ALERT_MIN_REQUESTS (100) samples, p99 is the slowest request or close to it: one slow request.
    const quiet = read({ recent: recent({}, [{ route: 'GET /v1/products', requests: 20, p99: 9000 }]) });
    expect(quiet['latency-p99:catalog-read']).toMatchObject({ firing: false, enough: false });
  });

  it('fires a burn only when both windows of its pair burn at the threshold (multi-window)', () => {
    // 0.999 objective: 1.44% bad is a burn of 14.4.
    const fastBoth = burns({ '5m': [1000, 20], '30m': [1000, 0], '1h': [10_000, 144], '6h': [60_000, 144] });
    expect(read({ burns: fastBoth })['burn-fast:catalog-read:availability']).toMatchObject({
      value: 14.4,
      threshold: 14.4,
      firing: true,
    });
    expect(read({ burns: fastBoth })['burn-slow:catalog-read:availability']!.firing).toBe(false);
    // A spike in the last 5 minutes (the hour is fine) is not a page; nor is an hour's burn that has stopped.
    const spike = burns({ '5m': [1000, 50], '30m': [1000, 50], '1h': [10_000, 50], '6h': [60_000, 50] });
    expect(read({ burns: spike })['burn-fast:catalog-read:availability']).toMatchObject({ value: 5, firing: false });
    const over = burns({ '5m': [1000, 0], '30m': [1000, 0], '1h': [10_000, 500], '6h': [60_000, 500] });
    expect(read({ burns: over })['burn-fast:catalog-read:availability']).toMatchObject({ value: 0, firing: false });
    const slow = burns({ '5m': [1000, 0], '30m': [1000, 6], '1h': [10_000, 0], '6h': [60_000, 360] });
    expect(read({ burns: slow })['burn-slow:catalog-read:availability']).toMatchObject({ value: 6, firing: true });
  });

  it('reads dead letters, their age, the outbox, replica lag, breakers and required checks down', () => {
    const r = read({
      business: business({
        deadLetters: { waiting: 2, oldestFirstSeenAt: new Date(now - 90 * 60_000).toISOString() },
        outbox: {
          objects: 1,
          pending: 3,
          failing: 12,
          copies: 1,
          oldestReportAt: new Date(now - 20 * 60_000).toISOString(),
          oldestDueAt: new Date(now - 20 * 60_000).toISOString(),
          oldestCopyAt: new Date(now - 20 * 60_000).toISOString(),
          levels: { pending: 0, failing: 0, oldestPendingAt: null },
        },
        replica: { configured: true, lagBytes: 1024, lagSeconds: 30 },
      }),
      health: { down: ['postgresPrimary'] },
      breakers: [{ worker: 'catalog', name: 'postgres', state: 'open', since: 'x' }],
    });
    expect(r['dead-letters']).toMatchObject({ value: 2, threshold: 1, firing: true });
    expect(r['dead-letter-age']).toMatchObject({ value: 90, threshold: 60, firing: true });
    expect(r['outbox-stuck']).toMatchObject({ value: 20, threshold: 10, firing: true });
    expect(r['outbox-failing']).toMatchObject({ value: 12, threshold: 10, firing: true });
    expect(r['queue-oldest-age']).toMatchObject({ value: 1200, threshold: 300, firing: true });
    expect(r['replica-lag']).toMatchObject({ value: 30, threshold: 60, firing: false });
    expect(r['breakers-open']).toMatchObject({ value: 1, firing: true, detail: 'catalog/postgres open since x' });
    expect(r['dependencies-down']).toMatchObject({ value: 1, firing: true, detail: 'postgresPrimary' });
  });

  it('reads the outbox as stuck only when a task is overdue, not when a healthy order waits for its expiry', () => {
    // Every checkout leaves an `expire` task due at HOLD_TTL_SECONDS (15 min): unchanged for 20 min, due in 5.
    const outbox = (dueInMinutes: number) => ({
      objects: 1,
      pending: 1,
      failing: 0,
      copies: 0,
      oldestReportAt: new Date(now - 20 * 60_000).toISOString(),
      oldestDueAt: new Date(now + dueInMinutes * 60_000).toISOString(),
      oldestCopyAt: null,
      levels: { pending: 0, failing: 0, oldestPendingAt: null },
    });
    expect(read({ business: business({ outbox: outbox(5) }) })['outbox-stuck']).toMatchObject({
      value: 0,
      firing: false,
    });
    expect(read({ business: business({ outbox: outbox(-9) }) })['outbox-stuck']!.firing).toBe(false);
    expect(read({ business: business({ outbox: outbox(-10) }) })['outbox-stuck']).toMatchObject({
      value: 10,
      firing: true,
    });
  });

  it('reads the queue backlog age from the oldest unconfirmed copy; none waiting is 0', () => {
    const outbox = (copyAgeSeconds: number | null) => ({
      objects: 1,
      pending: 1,
      failing: 0,
      copies: copyAgeSeconds === null ? 0 : 1,
      oldestReportAt: new Date(now).toISOString(),
      oldestDueAt: new Date(now + 60_000).toISOString(),
      oldestCopyAt: copyAgeSeconds === null ? null : new Date(now - copyAgeSeconds * 1000).toISOString(),
      levels: { pending: 0, failing: 0, oldestPendingAt: null },
    });
    const age = (s: number | null) => read({ business: business({ outbox: outbox(s) }) })['queue-oldest-age'];
    expect(age(null)).toMatchObject({ value: 0, firing: false });
    expect(age(299)).toMatchObject({ value: 299, firing: false });
    expect(age(300)).toMatchObject({
      value: 300,
      threshold: 300,
      firing: true,
      detail: expect.stringContaining('1 order copies unconfirmed'),
    });
  });

  it('counts InventoryDO stock changes waiting after a failed copy in the backlog age, the older of the two', () => {
    const outbox = (copyAge: number | null, levelsAge: number | null) => ({
      objects: 1,
      pending: 0,
      failing: 0,
      copies: copyAge === null ? 0 : 1,
      oldestReportAt: new Date(now).toISOString(),
      oldestDueAt: null,
      oldestCopyAt: copyAge === null ? null : new Date(now - copyAge * 1000).toISOString(),
      levels: {
        pending: levelsAge === null ? 0 : 2,
        failing: levelsAge === null ? 0 : 1,
        oldestPendingAt: levelsAge === null ? null : new Date(now - levelsAge * 1000).toISOString(),
      },
    });
    const age = (c: number | null, l: number | null) =>
      read({ business: business({ outbox: outbox(c, l) }) })['queue-oldest-age'];
    expect(age(null, null)).toMatchObject({ value: 0, firing: false, detail: 'nothing waiting to be copied' });
    expect(age(null, 400)).toMatchObject({
      value: 400,
      firing: true,
      detail: expect.stringContaining("2 SKUs' stock changes waiting"),
    });
    expect(age(100, 250)).toMatchObject({ value: 250, firing: false });
    expect(age(350, 20)).toMatchObject({ value: 350, firing: true });
  });

  it('adds up the slow queries of every worker and fires at ALERT_SLOW_QUERIES', () => {
    expect(read({ slowQueries: [] })['slow-queries']).toMatchObject({ value: 0, threshold: 10, firing: false });
    const slow = (catalog: number) => [
      { worker: 'catalog', count: catalog },
      { worker: 'checkout', count: 3 },
    ];
    expect(read({ slowQueries: slow(6) })['slow-queries']).toMatchObject({ value: 9, firing: false });
    expect(read({ slowQueries: slow(7) })['slow-queries']).toMatchObject({
      value: 10,
      firing: true,
      detail: 'catalog: 7, checkout: 3',
    });
  });

  it('reads null, not 0, for every rule of a source that failed (AlertsDO then keeps their state)', () => {
    const r = read({ health: { down: [] }, breakers: [], errors: { business: 'TimeoutError: business figures' } });
    expect(r['dead-letters']).toMatchObject({ value: null, firing: false });
    expect(r['dead-letters']!.detail).toBe('business unavailable: TimeoutError: business figures');
    expect(r['dependencies-down']).toMatchObject({ value: 0, firing: false });
  });

  it('reads the sources that could not be read as signals-unavailable, held ALERT_SIGNALS_UNAVAILABLE_MINUTES', () => {
    const r = read({
      health: { down: [] },
      errors: { business: 'TimeoutError: business figures', breakers: 'TimeoutError: breakers read' },
    });
    expect(r['signals-unavailable']).toMatchObject({
      value: 2,
      threshold: 1,
      firing: true,
      forMinutes: 5,
      detail: 'business figures: TimeoutError: business figures; breakers: TimeoutError: breakers read',
    });
    expect(read({ errors: {} })['signals-unavailable']).toMatchObject({ value: 0, firing: false, forMinutes: 5 });
    const strict = AlertVars.parse({ ALERT_SIGNALS_UNAVAILABLE_MINUTES: '2' });
    expect(readRules(rules, { now, errors: {} }, strict).at(-1)).toMatchObject({ forMinutes: 2 });
  });

  it('takes thresholds from config', () => {
    const strict = AlertVars.parse({
      ALERT_ERROR_RATE_PERCENT: '1.5',
      ALERT_DEAD_LETTERS: '3',
      ALERT_MIN_BAD_EVENTS: '2',
    });
    const r = readRules(
      rules,
      {
        now,
        errors: {},
        recent: recent({ requests: 100, status5xx: 2, rate5xx: 0.02 }),
        business: business({ deadLetters: { waiting: 2, oldestFirstSeenAt: null } }),
      },
      strict,
    );
    expect(r.find((x) => x.rule === 'error-rate')).toMatchObject({ threshold: 1.5, firing: true });
    expect(r.find((x) => x.rule === 'dead-letters')).toMatchObject({ threshold: 3, firing: false });
  });
});
