// Slow queries through the real db client against the stack's Postgres (issue 12, "slow queries"): a query made
// slow on purpose (pg_sleep over SLOW_QUERY_MS) is logged as one JSON line with its statement tag and no
// parameter, counted in its minute, pushed to MetricsDO `breakers`, and fires the `slow-queries` rule; a fast one
// is neither logged nor counted.
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MetricsDO } from '../../durable-objects/metrics/metrics.do';
import { dbSettings, sqlClient } from '../../lib/db/client';
import { slowQueries } from '../../lib/db/slow-queries';
import { BREAKERS_OBJECT } from '../../lib/metrics/breaker-reports';
import { alertRules, readRules } from '../../workers/gateway/src/ops/alert-rules';
import { alertsConfig } from '../../workers/gateway/src/ops/alerts.config';
import { slowQueriesByWorker } from '../../workers/gateway/src/ops/breakers.service';

const worker = `test-${crypto.randomUUID().slice(0, 6)}`;

afterEach(() => vi.restoreAllMocks());

describe('slow queries', () => {
  it('are logged without parameters, counted, reported and fire the rule; fast ones are not', async () => {
    const settings = dbSettings(env);
    expect(settings.SLOW_QUERY_MS).toBe(500);
    const ns = (env as unknown as { BREAKERS: DurableObjectNamespace<MetricsDO> }).BREAKERS;
    const object = ns.get(ns.idFromName(BREAKERS_OBJECT));
    const pushes: Promise<unknown>[] = [];
    slowQueries.report({ worker, send: (p) => object.pushSlowQueries(p), waitUntil: (p) => pushes.push(p) });
    const lines: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((line: string) => lines.push(line));
    const before = slowQueries.minutes().reduce((n, m) => n + m.count, 0);
    const from = Math.floor(Date.now() / 60_000) * 60_000;

    const sql = sqlClient(settings.DATABASE_URL, settings);
    await sql.query('select 1 as fast');
    expect(slowQueries.minutes().reduce((n, m) => n + m.count, 0)).toBe(before);
    expect(pushes).toHaveLength(0);

    // The secret in the parameters must never reach the log.
    await sql.query('select pg_sleep(0.6), $1::text as secret from (select 1) as one', ['s3cret-value']);
    expect(slowQueries.minutes().reduce((n, m) => n + m.count, 0)).toBe(before + 1);
    const slow = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'slow query');
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ level: 'warn', statement: 'select', thresholdMs: 500 });
    expect(slow[0].ms).toBeGreaterThanOrEqual(500);
    expect(lines.join('\n')).not.toContain('s3cret');

    await Promise.all(pushes);
    const minutes = (await object.slowQueries(from)).filter((m) => m.worker === worker);
    expect(minutes.reduce((n, m) => n + m.count, 0)).toBe(1);
    // A repeated push (cumulative counts) adds nothing.
    await object.pushSlowQueries({ worker, isolate: 'x', at: Date.now(), minutes: [] });
    expect((await object.slowQueries(from)).filter((m) => m.worker === worker)).toEqual(minutes);

    const config = alertsConfig({ ALERT_SLOW_QUERIES: '1' });
    const reading = (counts: { worker: string; count: number }[]) =>
      readRules(alertRules([]), { now: Date.now(), errors: {}, slowQueries: counts }, config).find(
        (r) => r.rule === 'slow-queries',
      );
    expect(reading(slowQueriesByWorker(minutes))).toMatchObject({ value: 1, threshold: 1, firing: true });
    expect(reading([])).toMatchObject({ value: 0, firing: false });
  });
});
