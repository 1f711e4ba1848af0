// MetricsDO inside workerd: flushes of the same minute × key add up (also when they arrive at once), a summary
// holds exactly the minutes of its window, per key and per minute × status class, and rows past retention go.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RollupRow } from '../../lib/contracts/figures';
import { total } from '../../lib/metrics/histogram';

const MINUTE = 60_000;
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

  it('deletes rows older than FIGURES_RETENTION_HOURS', async () => {
    const s = shard(`t-${crypto.randomUUID()}`);
    const old = base - 193 * 3_600_000;
    await s.record([row(old, 200, { 1: 1 }), row(base, 200, { 1: 1 })]);
    const { byKey } = await s.summary(old, base + MINUTE);
    expect(byKey.map((k) => total(k.hist))).toEqual([1]);
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
    });
  });
});
