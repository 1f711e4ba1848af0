// Pushing this isolate's circuit breakers to the one object that keeps every isolate's (MetricsDO `breakers`, hosted
// by the catalog worker, which binds no other worker), so ops and the `breakers-open` rule see every isolate of every worker, not the one a health call
// happened to reach. An isolate pushes on the first call through any breaker, on each transition, and, while one
// of its breakers is not closed, at most every BREAKER_HEARTBEAT_MS on that breaker's calls,
// so a report that stops coming (the isolate died or went quiet) ages out after BREAKER_STALE_MS instead of
// showing a breaker open forever. Pushes run in the background (waitUntil), one at a time per isolate, never on the
// call's path. Cost: one Durable Object call per transition (rare) and per heartbeat of an isolate with a breaker
// not closed.
import type { BreakerPush } from '../contracts/ops';
import { log } from '../log';
import { breakerReport, onBreakerActivity, withTimeout } from '../resilience';

/** While a breaker is not closed, its isolate repeats its report at most this often (on its calls). */
export const BREAKER_HEARTBEAT_MS = 30_000;
/** A report of a breaker not closed older than this is stale: not counted as open (four heartbeats missed). */
export const BREAKER_STALE_MS = 4 * BREAKER_HEARTBEAT_MS;
/** The MetricsDO object that keeps the reports. */
export const BREAKERS_OBJECT = 'breakers';

export interface BreakerReporterOptions {
  worker: string;
  /** Hands the push to the breakers object (a Durable Object call with a deadline). */
  send: (push: BreakerPush) => Promise<void>;
  /** Keeps the push alive past the answer (cloudflare:workers' waitUntil; a no-op in plain Node). */
  waitUntil: (p: Promise<unknown>) => void;
  now?: () => number;
  heartbeatMs?: number;
}

/** What an isolate's reporter does with breaker activity; exported for the unit test, wired by `reportBreakers`. */
export class BreakerReporter {
  private isolate: string | undefined;
  private lastPushAt = 0;
  private inFlight: Promise<void> | null = null;
  /** Something changed while a push was in flight: push again once it ends. */
  private dirty = false;
  /** Building a snapshot can itself record a transition (to half-open): not a new activity. */
  private building = false;

  constructor(private readonly o: BreakerReporterOptions) {}

  private now() {
    return (this.o.now ?? Date.now)();
  }

  /** A breaker's activity: push when it moved, on the isolate's first activity, or when a heartbeat is due. */
  activity(transitioned: boolean): void {
    if (this.building) return;
    const due =
      transitioned ||
      this.lastPushAt === 0 ||
      (this.now() - this.lastPushAt >= (this.o.heartbeatMs ?? BREAKER_HEARTBEAT_MS) &&
        breakerReport().some((b) => b.state !== 'closed'));
    if (!due) return;
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    this.lastPushAt = this.now();
    const p = this.push().finally(() => {
      this.inFlight = null;
      if (this.dirty) {
        this.dirty = false;
        this.activity(true);
      }
    });
    this.inFlight = p;
    this.o.waitUntil(p);
  }

  private async push(): Promise<void> {
    // Workers allow no random values at module load: the id is made on the first activity, inside a request.
    this.isolate ??= crypto.randomUUID().slice(0, 8);
    this.building = true;
    let push: BreakerPush;
    try {
      push = { worker: this.o.worker, isolate: this.isolate, at: this.now(), breakers: breakerReport() };
    } finally {
      this.building = false;
    }
    try {
      await this.o.send(push);
    } catch (err) {
      // The next transition or heartbeat pushes the whole state again; nothing to retry here.
      log.warn('breaker report failed', { worker: this.o.worker, error: String(err) });
    }
  }
}

/** Starts pushing this isolate's breakers (call once per isolate, from the worker's entry module). */
export function reportBreakers(o: BreakerReporterOptions): BreakerReporter {
  const reporter = new BreakerReporter(o);
  onBreakerActivity((transitioned) => reporter.activity(transitioned));
  return reporter;
}

/** The object's one method a push needs (the binding is another worker's class: typed here, not generated). */
interface BreakersObject {
  pushBreakers(push: BreakerPush): Promise<void>;
}
const PUSH_TIMEOUT_MS = 5000;

/** A `send` that hands a push to the `breakers` object of `ns` (MetricsDO), with a deadline; none without `ns`. */
export function sendToBreakersObject(ns: DurableObjectNamespace | undefined) {
  return async (push: BreakerPush): Promise<void> => {
    if (!ns) return;
    const stub = ns.get(ns.idFromName(BREAKERS_OBJECT)) as unknown as BreakersObject;
    await withTimeout(stub.pushBreakers(push), PUSH_TIMEOUT_MS, 'breaker report');
  };
}
