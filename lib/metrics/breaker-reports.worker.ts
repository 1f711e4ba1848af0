// Wires this isolate's breaker reports from a worker's entry module: the push goes to the `breakers` MetricsDO
// through the named binding (the gateway's own METRICS, another worker's BREAKERS), kept alive by waitUntil.
// Kept apart from breaker-reports.ts, which unit tests load in Node (no `cloudflare:workers` there).
import { env, waitUntil } from 'cloudflare:workers';
import { reportBreakers, sendToBreakersObject } from './breaker-reports';

export function startBreakerReports(worker: string, binding: 'METRICS' | 'BREAKERS'): void {
  reportBreakers({
    worker,
    waitUntil,
    send: (push) => sendToBreakersObject((env as unknown as Record<string, DurableObjectNamespace>)[binding])(push),
  });
}
