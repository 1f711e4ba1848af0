import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { failure } from '../rpc';
import { withTrace } from '../trace';
import { aeSql, analyticsEngineCalls, callsOfAe } from './analytics-engine';
import { type DataPointSink, recordCalls } from './events';

type Point = Parameters<DataPointSink['writeDataPoint']>[0];
const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

class Service {
  constructor(readonly env: { ANALYTICS?: DataPointSink }) {}
  async read(id: string) {
    return { ok: true as const, id };
  }
  async refuse() {
    return failure(new AppError('NOT_FOUND', 'no such thing'));
  }
  async crash(): Promise<void> {
    throw new TypeError('boom');
  }
  async queue(batch: { messages: unknown[] }) {
    return batch.messages.length;
  }
  sync() {
    return 42;
  }
  async outer() {
    return { ok: true as const, inner: await this.read('inner'), n: this.sync() };
  }
}
recordCalls(Service, 'catalog');

const sinkOf = () => {
  const points: Point[] = [];
  return { points, sink: { writeDataPoint: (p: Point) => void points.push(p) } };
};

describe('the workers Analytics Engine writer', () => {
  it('writes one point per call with the documented layout, the outcome and the trace', async () => {
    const { points, sink } = sinkOf();
    const s = new Service({ ANALYTICS: sink });
    await withTrace({ traceparent: TRACE, requestId: 'req-1' }, () => s.read('x'));
    await s.refuse();
    await expect(s.crash()).rejects.toThrow('boom');
    await s.queue({ messages: [1, 2, 3] });
    expect(s.sync()).toBe(42);
    expect(points).toHaveLength(5);
    expect(points[0]).toMatchObject({
      indexes: ['catalog.Service.read'],
      blobs: ['catalog', 'rpc', 'Service', 'read', 'ok', '', '4bf92f3577b34da6a3ce929d0e0e4736', 'req-1'],
    });
    expect(points[0]!.doubles).toHaveLength(3);
    expect(points[0]!.doubles![1]).toBe(1);
    expect(points[0]!.doubles![2]).toBe(0);
    expect(points[1]!.blobs!.slice(3, 6)).toEqual(['refuse', 'refused', 'NOT_FOUND']);
    expect(points[1]!.doubles![2]).toBe(1);
    expect(points[2]!.blobs!.slice(3, 6)).toEqual(['crash', 'error', 'TypeError']);
    expect(points[3]!.blobs!.slice(1, 5)).toEqual(['queue', 'Service', 'queue', 'ok']);
    expect(points[3]!.doubles![1]).toBe(3);
  });

  it('records a method the instance calls on itself as part of the outer call, not as a call of its own', async () => {
    const { points, sink } = sinkOf();
    await new Service({ ANALYTICS: sink }).outer();
    expect(points.map((p) => p.blobs![3])).toEqual(['outer']);
  });

  it('reads the trace from the envelope a traced caller appended, when acceptTraces runs inside', async () => {
    const { points, sink } = sinkOf();
    const s = new Service({ ANALYTICS: sink });
    await Reflect.apply(s.read, s, ['x', { __trace: { traceparent: TRACE } }]);
    expect(points[0]!.blobs![6]).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('writes nothing without a binding, and a failing binding never fails the call', async () => {
    await expect(new Service({}).read('x')).resolves.toMatchObject({ id: 'x' });
    const broken = {
      writeDataPoint: () => {
        throw new Error('dataset away');
      },
    };
    await expect(new Service({ ANALYTICS: broken }).read('y')).resolves.toMatchObject({ id: 'y' });
  });

  it('is read back by the AE SQL builder: per worker method, weighted, and one trace in order', async () => {
    const w = { from: Date.UTC(2026, 10, 29, 20, 0), to: Date.UTC(2026, 10, 29, 20, 5) };
    expect(aeSql.calls(w)).toBe(
      'SELECT blob1 AS worker, blob2 AS kind, blob3 AS class, blob4 AS method, SUM(_sample_interval) AS calls, ' +
        "SUM(double2 * _sample_interval) AS items, SUM(IF(blob5 = 'refused', _sample_interval, 0)) AS refused, " +
        "SUM(IF(blob5 = 'error', _sample_interval, 0)) AS errors, " +
        'quantileExactWeighted(0.5)(double1, _sample_interval) AS p50, ' +
        'quantileExactWeighted(0.95)(double1, _sample_interval) AS p95, ' +
        'quantileExactWeighted(0.99)(double1, _sample_interval) AS p99 FROM storefront_events ' +
        "WHERE timestamp >= toDateTime('2026-11-29 20:00:00') AND timestamp < toDateTime('2026-11-29 20:05:00') " +
        'GROUP BY worker, kind, class, method ORDER BY calls DESC FORMAT JSON',
    );
    expect(aeSql.trace(w, "x' OR 1=1")).toContain("AND blob7 = 'x'' OR 1=1' ORDER BY timestamp LIMIT 1000");
    const rows = [
      {
        worker: 'checkout',
        kind: 'queue',
        class: 'CheckoutWorker',
        method: 'queue',
        calls: '4',
        items: '31',
        refused: '0',
        errors: '1',
        p50: 12,
        p95: 40,
        p99: 41.26,
      },
    ];
    const sent: string[] = [];
    const ae = analyticsEngineCalls({
      accountId: 'acc',
      apiToken: 'tok',
      timeoutMs: 1000,
      fetch: (async (_u: string, init: RequestInit) => {
        sent.push(String(init.body));
        return new Response(JSON.stringify({ data: rows }));
      }) as typeof fetch,
    });
    expect(await ae.calls(w)).toEqual(callsOfAe(rows));
    expect(callsOfAe(rows)[0]).toEqual({
      worker: 'checkout',
      kind: 'queue',
      className: 'CheckoutWorker',
      method: 'queue',
      calls: 4,
      items: 31,
      refused: 0,
      errors: 1,
      p50: 12,
      p95: 40,
      p99: 41.3,
    });
    expect(sent).toEqual([aeSql.calls(w)]);
  });
});
