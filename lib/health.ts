// Health checks as every worker runs them: each dependency probed with a deadline, all at once, so a worker's
// health answer comes within HEALTH_TIMEOUT_MS even when a dependency hangs; plus this isolate's breakers.
import type { Check, WorkerHealth } from './contracts/ops';
import { log } from './log';
import { breakerReport, withTimeout } from './resilience';

/** The deadline of one dependency check inside a worker. The gateway waits a little longer for the whole answer. */
export const HEALTH_TIMEOUT_MS = 2000;

/** The name of the object a health check reads (one per Durable Object class; never a shopper's or a SKU's). */
export const HEALTH_PROBE = 'health-probe';

/**
 * This isolate's identity, random, so reports of different isolates are told apart; made on the first health call
 * (Workers allow no random values at module load), with the time of that call as the isolate's first report.
 */
let isolate: { id: string; firstReportAt: string } | undefined;

export interface Probe {
  /** What the check does; it may answer a figure (e.g. a backlog) kept as the check's `value`. */
  run: () => Promise<unknown>;
  required: boolean;
}

/** Runs one probe with a deadline; the reason of a failure goes to the log, never into the answer. */
export async function probe(name: string, p: Probe, timeoutMs = HEALTH_TIMEOUT_MS): Promise<Check> {
  const started = Date.now();
  try {
    const value = await withTimeout(p.run(), timeoutMs, `${name} health check`);
    return {
      status: 'ok',
      latencyMs: Date.now() - started,
      required: p.required,
      ...(typeof value === 'number' ? { value } : {}),
    };
  } catch (err) {
    log.warn('health check failed', { check: name, error: String(err) });
    return { status: 'down', latencyMs: Date.now() - started, required: p.required };
  }
}

/** Runs every probe at once; the answer a worker's `health()` RPC gives. */
export async function workerHealth(probes: Record<string, Probe>): Promise<WorkerHealth> {
  isolate ??= { id: crypto.randomUUID().slice(0, 8), firstReportAt: new Date().toISOString() };
  const names = Object.keys(probes);
  const results = await Promise.all(names.map((name) => probe(name, probes[name]!)));
  return {
    checks: Object.fromEntries(names.map((name, i) => [name, results[i]!])),
    breakers: breakerReport(),
    isolate: isolate.id,
    isolateStartedAt: isolate.firstReportAt,
  };
}
