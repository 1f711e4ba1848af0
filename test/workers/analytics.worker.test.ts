// The workers' Analytics Engine points (lib/metrics/events.ts) on the catalog's real entrypoint inside workerd:
// `wrangler dev` and miniflare keep no Analytics Engine data, so the test hands the entrypoint a recording binding
// and inspects the calls: one point per RPC call, with the documented layout, the outcome, and the caller's trace
// (recordCalls runs inside acceptTraces).
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { CatalogService } from '../../workers/catalog/src/index';

type Point = { indexes?: string[]; blobs?: string[]; doubles?: number[] };
const TRACE = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', requestId: 'req-ae' };

describe('catalog Analytics Engine points', () => {
  it('writes one point per RPC call: outcome, error code, duration and the trace of the call', async () => {
    const points: Point[] = [];
    const ANALYTICS = { writeDataPoint: (p: Point) => void points.push(p) };
    const ctx = createExecutionContext();
    const service = new CatalogService(ctx, { ...env, ANALYTICS } as never);
    const call = (method: string, ...args: unknown[]) =>
      Reflect.apply((service as unknown as Record<string, () => Promise<unknown>>)[method]!, service, args);

    await call('listCategories', { __trace: TRACE });
    await call('getProduct', 'Not A Slug!', { __trace: TRACE });
    await waitOnExecutionContext(ctx);

    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({
      indexes: ['catalog.CatalogService.listCategories'],
      blobs: ['catalog', 'rpc', 'CatalogService', 'listCategories', 'ok', '', TRACE.traceparent.slice(3, 35), 'req-ae'],
    });
    expect(points[1]!.blobs!.slice(3, 6)).toEqual(['getProduct', 'refused', 'VALIDATION_FAILED']);
    for (const p of points) {
      expect(p.doubles).toHaveLength(3);
      expect(p.doubles![0]).toBeGreaterThanOrEqual(0);
      expect(p.doubles![1]).toBe(1);
    }
    expect(points[1]!.doubles![2]).toBe(1);
  });

  it('has the binding from wrangler.toml (miniflare accepts the writes and keeps nothing)', () => {
    expect(typeof (env as unknown as { ANALYTICS?: { writeDataPoint?: unknown } }).ANALYTICS?.writeDataPoint).toBe(
      'function',
    );
  });
});
