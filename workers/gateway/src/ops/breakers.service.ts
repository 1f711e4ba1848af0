// The circuit breakers of every isolate of every worker, as they pushed them to MetricsDO `breakers`
// (lib/metrics/breaker-reports.ts): one Durable Object read, no health check. What /v1/admin/ops/breakers serves and
// the `breakers-open` alert rule reads.
import type { BreakerView } from '../../../../durable-objects/metrics/breakers';
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
  const stub = env.METRICS.get(env.METRICS.idFromName(BREAKERS_OBJECT));
  return withTimeout(stub.breakers(BREAKER_STALE_MS), READ_TIMEOUT_MS, 'breakers read');
}

/** Every breaker not closed in some isolate that reported within the stale bound. */
export function openBreakers(views: BreakerView[]): OpenBreaker[] {
  return views
    .filter((v) => v.state !== 'closed')
    .map((v) => ({ worker: v.worker, name: v.name, state: v.state, since: v.since }));
}
