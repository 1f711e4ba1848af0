// Wires this isolate's breaker reports and slow-query reports from a worker's entry module: the push goes to the `breakers` MetricsDO
// through the worker's BREAKERS binding (the catalog's own class, the catalog's for the others), kept alive by
// waitUntil.
// Kept apart from breaker-reports.ts, which unit tests load in Node (no `cloudflare:workers` there).
import { env, waitUntil } from 'cloudflare:workers';
import { type SlowQueryPush, slowQueries } from '../db/slow-queries';
import { withTimeout } from '../resilience';
import { BREAKERS_OBJECT, reportBreakers, sendToBreakersObject } from './breaker-reports';

export function startBreakerReports(worker: string, binding: 'BREAKERS'): void {
  reportBreakers({
    worker,
    waitUntil,
    send: (push) => sendToBreakersObject((env as unknown as Record<string, DurableObjectNamespace>)[binding])(push),
  });
}

/** The object's slow-query method (the binding is another worker's class: typed here). */
interface SlowQueriesObject {
  pushSlowQueries(push: SlowQueryPush): Promise<void>;
}

/** Pushes this isolate's slow-query counts to the same `breakers` object (lib/db/slow-queries.ts). */
export function startSlowQueryReports(worker: string, binding: 'BREAKERS'): void {
  slowQueries.report({
    worker,
    waitUntil,
    send: async (push) => {
      const ns = (env as unknown as Record<string, DurableObjectNamespace | undefined>)[binding];
      if (!ns) return;
      const stub = ns.get(ns.idFromName(BREAKERS_OBJECT)) as unknown as SlowQueriesObject;
      await withTimeout(stub.pushSlowQueries(push), 5000, 'slow query report');
    },
  });
}
