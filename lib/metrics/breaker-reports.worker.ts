// Wires this isolate's breaker reports from a worker's entry module: the push goes to the `breakers` MetricsDO
// through the worker's BREAKERS binding (the catalog's own class, the catalog's for the others), kept alive by
// waitUntil.
// Kept apart from breaker-reports.ts, which unit tests load in Node (no `cloudflare:workers` there).
import { env, waitUntil } from 'cloudflare:workers';
import { reportBreakers, sendToBreakersObject } from './breaker-reports';

export function startBreakerReports(worker: string, binding: 'BREAKERS'): void {
  reportBreakers({
    worker,
    waitUntil,
    send: (push) => sendToBreakersObject((env as unknown as Record<string, DurableObjectNamespace>)[binding])(push),
  });
}
