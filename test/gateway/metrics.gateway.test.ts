// MetricsDO inside workerd: flushes of the same minute × key add up (also when they arrive at once), a summary
// holds exactly the minutes of its window, per key and per minute × status class, ended hours are rolled up into
// exactly the sum of their minutes, minutes past retention go while their hours serve long windows (the SLO's).
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RollupRow } from '../../lib/contracts/figures';
import { journeysOfSummary } from '../../lib/metrics/figures';
import { mergeInto, total } from '../../lib/metrics/histogram';
import { objectiveReport } from '../../lib/metrics/slo';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const base = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
const row = (minute: number, status: number, hist: Record<string, number>, extra: Partial<RollupRow> = {}) => ({
  minute,
  method: 'GET',
  route: '/v1/products',
  status,
  cache: 'HIT',
  code: '',
  event: '',
  hist,
  ...extra,
});
const shard = (name: string) => env.METRICS.get(env.METRICS.idFromName(name));

describe('MetricsDO', () => {
  it('adds flushes of one minute × key, including 20 arriving at once', async () => {
    const s = shard(`t-${crypto.randomUUID()}`);
    await s.record([row(base, 200, { 10: 1 })]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.record([row(base, 200, { [10 + (i % 3)]: 1 })])));
    const { byKey, byMinute } = await s.summary(base, base + MINUTE);
    expect(byKey).toHaveLength(1);
    expect(total(byKey[0]!.hist)).toBe(21);
    expect(byKey[0]!.hist).toEqual({ 10: 8, 11: 7, 12: 6 });
    expect(byMinute).toEqual([{ minute: base, statusClass: 2, hist: { 10: 8, 11: 7, 12: 6 } }]);
  });

  it('answers only the minutes of [from, to), merged per key and per minute × status class', async () => {
    const s = shard(`t-${crypto.randomUUID()}`);
    await s.record([
      row(base, 200, { 5: 2 }),
      row(base + MINUTE, 200, { 5: 1, 50: 1 }),
      row(base + MINUTE, 404, { 3: 4 }, { code: 'NOT_FOUND', cache: '' }),
      row(base + 2 * MINUTE, 503, { 90: 1 }, { code: 'DB_UNAVAILABLE', cache: '' }),
    ]);
    const { byKey, byMinute } = await s.summary(base + MINUTE, base + 2 * MINUTE);
    expect(byKey).toHaveLength(2);
    expect(byKey.find((k) => k.status === 200)!.hist).toEqual({ 5: 1, 50: 1 });
    expect(byKey.find((k) => k.status === 404)).toMatchObject({ code: 'NOT_FOUND', hist: { 3: 4 } });
    expect(byMinute.sort((a, b) => a.statusClass - b.statusClass)).toEqual([
      { minute: base + MINUTE, statusClass: 2, hist: { 5: 1, 50: 1 } },
      { minute: base + MINUTE, statusClass: 4, hist: { 3: 4 } },
    ]);
    const all = await s.summary(base, base + 3 * MINUTE);
    expect(all.byKey.reduce((n, k) => n + total(k.hist), 0)).toBe(9);
  });

  it('keeps minutes FIGURES_RETENTION_HOURS (48) and their hours longer; a window past the minutes reads hours', async () => {
    const s = shard(`t-${crypto.randomUUID()}`);
    const old = base - 49 * HOUR;
    const ancient = base - 36 * 24 * HOUR; // past FIGURES_HOURLY_RETENTION_DAYS (35)
    await s.record([row(ancient, 200, { 1: 1 }), row(old, 200, { 1: 1 }), row(base, 200, { 1: 1 })]);
    // The old minute is gone from the minutes, its count is in its hour; the ancient one is gone altogether.
    const left = await runInDurableObject(s, (_, state) => ({
      minutes: state.storage.sql.exec('select minute from rollup where minute < ?', base).toArray().length,
      hours: state.storage.sql
        .exec<{ hour: number }>('select hour from rollup_hour')
        .toArray()
        .map((r) => r.hour),
    }));
    expect(left.minutes).toBe(0);
    expect(left.hours).toContain(old - (old % HOUR));
    expect(left.hours).not.toContain(ancient - (ancient % HOUR));
    const { byKey, byMinute } = await s.summary(ancient, base + MINUTE);
    expect(byKey.map((k) => total(k.hist))).toEqual([2]);
    // The hour part of the window is one point per hour, at the hour's start.
    expect(byMinute.map((m) => m.minute).sort()).toEqual([old - (old % HOUR), base]);
  });

  it('rolls each ended hour up into exactly the sum of its minutes, and adds a late flush to it', async () => {
    const s = shard(`t-${crypto.randomUUID()}`);
    // Hours that ended more than ROLL_AFTER_MS ago whatever the clock: the last starts 3 hours before this one.
    const h0 = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
    const minutes = [
      row(h0, 200, { 10: 2, 20: 1 }),
      row(h0 + 7 * MINUTE, 200, { 10: 1, 30: 4 }),
      row(h0 + 59 * MINUTE, 503, { 90: 1 }, { code: 'DB_UNAVAILABLE', cache: '' }),
      row(h0 + HOUR, 200, { 5: 3 }),
      row(h0 + HOUR + 30 * MINUTE, 404, { 3: 2 }, { code: 'NOT_FOUND', cache: '' }),
      row(h0 + 2 * HOUR + 1 * MINUTE, 200, { 5: 1 }, { route: '/v1/categories' }),
    ];
    await s.record(minutes);
    await s.summary(h0, h0 + MINUTE); // rolls the ended hours up
    const sql = <T extends Record<string, SqlStorageValue>>(q: string) =>
      runInDurableObject(s, (_, state) => state.storage.sql.exec<T>(q).toArray());
    type Row = { at: number; method: string; route: string; status: number; code: string; hist: string };
    const keyOf = (r: Row) => `${r.at - (r.at % HOUR)}|${r.method}|${r.route}|${r.status}|${r.code}`;
    const sums = new Map<string, Record<string, number>>();
    for (const r of await sql<Row>('select minute as at, method, route, status, code, hist from rollup'))
      sums.set(keyOf(r), mergeInto(sums.get(keyOf(r)) ?? {}, JSON.parse(r.hist)));
    const hours = await sql<Row & { count: number }>(
      'select hour as at, method, route, status, code, hist, count from rollup_hour',
    );
    expect(hours.length).toBe(5);
    expect(hours.length).toBe(sums.size);
    for (const h of hours) {
      expect(JSON.parse(h.hist), keyOf(h)).toEqual(sums.get(keyOf(h)));
      expect(h.count).toBe(total(JSON.parse(h.hist)));
    }
    // A flush that arrives after its hour was rolled is added to the hour too.
    await s.record([row(h0 + 7 * MINUTE, 200, { 10: 5 })]);
    const [first] = await sql<{ hist: string }>(
      `select hist from rollup_hour where hour = ${h0} and status = 200 and route = '/v1/products'`,
    );
    expect(JSON.parse(first!.hist)).toEqual({ 10: 8, 20: 1, 30: 4 });
  });

  it('serves an SLO budget over a window longer than the minute retention from the hours', async () => {
    const s = shard(`t-${crypto.randomUUID()}`);
    // 4 days ago (minutes kept 2 days): 1000 catalog reads, 4 of them 5xx; now: 1000 more, 1 a 5xx.
    const past = base - 4 * 24 * HOUR;
    await s.record([
      row(past, 200, { 10: 996 }),
      row(past + MINUTE, 503, { 10: 4 }, { code: 'DB_UNAVAILABLE', cache: '' }),
      row(base, 200, { 10: 999 }),
      row(base, 500, { 10: 1 }, { code: 'INTERNAL', cache: '' }),
    ]);
    const stillMinutes = await runInDurableObject(
      s,
      (_, state) => state.storage.sql.exec('select 1 from rollup where minute < ?', base - 48 * HOUR).toArray().length,
    );
    expect(stillMinutes).toBe(0);
    const spec = [{ name: 'catalog read', routes: ['GET /v1/products'], latencyMs: 300 }];
    const week = await s.summary(base + MINUTE - 7 * 24 * HOUR, base + MINUTE);
    const [catalog] = journeysOfSummary(week, spec);
    expect(catalog).toEqual({ name: 'catalog read', requests: 2000, available: 1995, fast: 1995 });
    // 99.9%: 2 bad allowed in 2000; 5 spent: 1 - (5/2000)/0.001 = -1.5. The last hour alone burns 1 (1 in 1000).
    const hour = journeysOfSummary(await s.summary(base + MINUTE - HOUR, base + MINUTE), spec)[0]!;
    const report = objectiveReport(0.999, { total: catalog!.requests, good: catalog!.available }, [
      { window: '1h', counts: { total: hour.requests, good: hour.available } },
    ]);
    expect(report.budgetRemaining).toBe(-1.5);
    expect(report.burn[0]).toMatchObject({ total: 1000, bad: 1, burnRate: 1 });
  });
});

describe('MetricsDO outbox gauges', () => {
  it('keeps each source’s newest report, drops a source with nothing pending, and adds them up', async () => {
    const s = shard(`t-${crypto.randomUUID()}`);
    const t = Date.now();
    await s.report('a', { pending: 3, failing: 1, copies: 2, oldestCopyAt: t - 30_000, nextDueAt: t + 900_000 }, t);
    await s.report('b', { pending: 1, failing: 0, copies: 1, oldestCopyAt: t - 5_000, nextDueAt: t - 60_000 }, t + 1);
    // An older report arriving late changes nothing.
    await s.report('a', { pending: 9, failing: 9, copies: 9, oldestCopyAt: 1, nextDueAt: t - 999_999 }, t - 5);
    expect(await s.outbox()).toEqual({
      objects: 2,
      pending: 4,
      failing: 1,
      copies: 3,
      oldestReportAt: new Date(t).toISOString(),
      oldestDueAt: new Date(t - 60_000).toISOString(),
      oldestCopyAt: new Date(t - 30_000).toISOString(),
      levels: { pending: 0, failing: 0, oldestPendingAt: null },
    });
    // `a`'s copies confirmed: the backlog's oldest is `b`'s.
    await s.report('a', { pending: 3, failing: 1, copies: 0, oldestCopyAt: null, nextDueAt: t + 900_000 }, t + 2);
    expect(await s.outbox()).toMatchObject({ copies: 1, oldestCopyAt: new Date(t - 5_000).toISOString() });
    await s.report('b', { pending: 0, failing: 0, copies: 0, oldestCopyAt: null, nextDueAt: null }, t + 3);
    expect(await s.outbox()).toMatchObject({
      objects: 1,
      pending: 3,
      oldestDueAt: new Date(t + 900_000).toISOString(),
      oldestCopyAt: null,
    });
    await s.report('a', { pending: 0, failing: 0, copies: 0, oldestCopyAt: null, nextDueAt: null }, t + 4);
    expect(await s.outbox()).toEqual({
      objects: 0,
      pending: 0,
      failing: 0,
      copies: 0,
      oldestReportAt: null,
      oldestDueAt: null,
      oldestCopyAt: null,
      levels: { pending: 0, failing: 0, oldestPendingAt: null },
    });
  });

  it('keeps each InventoryDO’s newest copies report, drops one copied again, and adds them up', async () => {
    const s = shard(`t-${crypto.randomUUID()}`);
    const t = Date.now();
    const copies = (failing: boolean, pendingSince: number | null, pending = true) => ({
      pending,
      failing,
      pendingSince,
      nextDueAt: t + 1000,
    });
    await s.reportLevels('A', copies(true, t - 60_000), t);
    await s.reportLevels('B', copies(false, t - 5_000), t);
    await s.reportLevels('A', copies(false, 1), t - 1); // older: ignored
    expect((await s.outbox()).levels).toEqual({
      pending: 2,
      failing: 1,
      oldestPendingAt: new Date(t - 60_000).toISOString(),
    });
    await s.reportLevels('A', copies(false, null, false), t + 1);
    expect((await s.outbox()).levels).toEqual({
      pending: 1,
      failing: 0,
      oldestPendingAt: new Date(t - 5_000).toISOString(),
    });
  });
});
