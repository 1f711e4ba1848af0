// The circuit breakers of every isolate of every worker, as they pushed them to MetricsDO `breakers`
// (lib/metrics/breaker-reports.ts), hosted by the catalog worker: one Durable Object read, no health check. What /v1/admin/ops/breakers serves and
// the `breakers-open` alert rule reads.
import type { BreakerView } from '../../../../durable-objects/metrics/breakers';
import type { MetricsDO } from '../../../../durable-objects/metrics/metrics.do';
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

/** Every breaker not closed in some isolate that reported within the stale bound. */
export function openBreakers(views: BreakerView[]): OpenBreaker[] {
  return views
    .filter((v) => v.state !== 'closed')
    .map((v) => ({ worker: v.worker, name: v.name, state: v.state, since: v.since }));
}
