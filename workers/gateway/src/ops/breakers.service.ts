// The circuit breakers of every isolate of every worker, as they pushed them to MetricsDO `breakers`
// (lib/metrics/breaker-reports.ts), hosted by the catalog worker: one Durable Object read, no health check. What /v1/admin/ops/breakers serves and
// the `breakers-open` alert rule reads. The same object keeps every isolate's slow-query counts (`slow-queries`).
import type { BreakerView } from '../../../../durable-objects/metrics/breakers';
import type { MetricsDO } from '../../../../durable-objects/metrics/metrics.do';
import type { SlowQueryMinute } from '../../../../durable-objects/metrics/slow-queries';
import type { BreakerState } from '../../../../lib/contracts/ops';
import { BREAKER_STALE_MS, BREAKERS_OBJECT } from '../../../../lib/metrics/breaker-reports';
import { withTimeout } from '../../../../lib/resilience';
import type { GatewayBindings } from '../types';

const READ_TIMEOUT_MS = 5000;

export interface OpenBreaker {
  worker: string;
  name: string;
  state: BreakerState;
  since: string;
}

export async function breakerViews(env: GatewayBindings): Promise<BreakerView[]> {
  // The catalog worker's class (script_name): typed here, as `wrangler types` leaves another worker's class untyped.
  const ns = env.BREAKERS as unknown as DurableObjectNamespace<MetricsDO>;
  return withTimeout(
    ns.get(ns.idFromName(BREAKERS_OBJECT)).breakers(BREAKER_STALE_MS),
    READ_TIMEOUT_MS,
    'breakers read',
  );
}

/** Slow Postgres queries per worker and minute since `from`, as every isolate pushed them (same object). */
export async function slowQueryMinutes(env: GatewayBindings, from: number): Promise<SlowQueryMinute[]> {
  const ns = env.BREAKERS as unknown as DurableObjectNamespace<MetricsDO>;
  return withTimeout(ns.get(ns.idFromName(BREAKERS_OBJECT)).slowQueries(from), READ_TIMEOUT_MS, 'slow queries read');
}

/** Per worker, the slow queries of those minutes added up. */
export function slowQueriesByWorker(minutes: SlowQueryMinute[]): { worker: string; count: number }[] {
  const by = new Map<string, number>();
  for (const m of minutes) by.set(m.worker, (by.get(m.worker) ?? 0) + m.count);
  return [...by].map(([worker, count]) => ({ worker, count }));
}

/** Every breaker not closed in some isolate that reported within the stale bound. */
export function openBreakers(views: BreakerView[]): OpenBreaker[] {
  return views
    .filter((v) => v.state !== 'closed')
    .map((v) => ({ worker: v.worker, name: v.name, state: v.state, since: v.since }));
}
