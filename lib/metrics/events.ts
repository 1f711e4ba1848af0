// The one Analytics Engine writer of the workers behind the gateway: one data point per RPC call into a worker's
// entrypoint or a Durable Object, per queue batch, per alarm, in dataset `storefront_events` (the gateway's own
// per-request points are `storefront_requests`, lib/metrics/analytics-engine.ts). `recordCalls(cls, worker)` wraps
// every method of an RPC class once, where it is exported, like `acceptTraces` (a method the instance calls on
// itself inside a recorded call is not a call of its own). Layout (docs/operations.md):
//   index1  `<worker>.<class>.<method>` (at most 96 bytes)
//   blob1 worker, blob2 kind (rpc, object, queue, alarm), blob3 class, blob4 method,
//   blob5 outcome (ok; refused: an RpcResult {ok:false}; error: thrown), blob6 error code (or the error's name),
//   blob7 trace id, blob8 request id
//   double1 duration in ms, double2 items (the batch's messages for a queue, else 1), double3 1 when not ok
// The cost is one writeDataPoint per call: a non-blocking call that returns at once (the runtime sends the points
// after the invocation); it never throws into the call it measures.
import { AsyncLocalStorage } from 'node:async_hooks';
import { currentTrace, parseTraceparent, type Trace, traceIds } from '../trace';

export const AE_EVENTS_DATASET = 'storefront_events';

/** The narrow port of an Analytics Engine binding that the writer needs (tests hand in a recorder). */
export interface DataPointSink {
  writeDataPoint(point: { indexes?: string[]; blobs?: string[]; doubles?: number[] }): void;
}

export type EventKind = 'rpc' | 'object' | 'queue' | 'alarm';
export type EventOutcome = 'ok' | 'refused' | 'error';

export interface WorkerEvent {
  worker: string;
  kind: EventKind;
  className: string;
  method: string;
  outcome: EventOutcome;
  code: string;
  ms: number;
  items: number;
  trace?: Trace;
}

/** Writes one event's data point; never throws (a figure must not fail the call it describes). */
export function writeEvent(sink: DataPointSink | undefined, e: WorkerEvent): void {
  if (!sink) return;
  try {
    const ids = traceIds(e.trace);
    sink.writeDataPoint({
      indexes: [`${e.worker}.${e.className}.${e.method}`.slice(0, 96)],
      blobs: [e.worker, e.kind, e.className, e.method, e.outcome, e.code, ids.traceId ?? '', e.trace?.requestId ?? ''],
      doubles: [e.ms, e.items, e.outcome === 'ok' ? 0 : 1],
    });
  } catch {
    // Analytics must never break a call.
  }
}

/** The instance whose call is being recorded: its own methods called inside it are not calls (not recorded). */
const inCall = new AsyncLocalStorage<object>();

/** The trace a `traced` caller appended as the last argument (when `acceptTraces` has not taken it off yet). */
function envelopeTrace(args: unknown[]): Trace | undefined {
  const last = args[args.length - 1] as { __trace?: Trace } | undefined;
  const t = typeof last === 'object' && last !== null ? last.__trace : undefined;
  return t && typeof t.traceparent === 'string' && parseTraceparent(t.traceparent) ? t : undefined;
}

function outcomeOf(value: unknown): { outcome: EventOutcome; code: string } {
  const v = value as { ok?: unknown; error?: { code?: unknown } } | null;
  if (typeof v === 'object' && v !== null && v.ok === false)
    return { outcome: 'refused', code: String(v.error?.code ?? '') };
  return { outcome: 'ok', code: '' };
}

const errorCode = (err: unknown) => {
  const e = err as { code?: unknown; name?: unknown } | null;
  return String((typeof e?.code === 'string' && e.code) || (typeof e?.name === 'string' && e.name) || 'Error');
};

/**
 * Wraps every method of an RPC class (a WorkerEntrypoint or a Durable Object) so that each call writes one data
 * point to its instance's `env.ANALYTICS` (absent: nothing). `queue` is a batch (its messages are the items),
 * `alarm` an alarm; other methods are RPC calls (`object` for a Durable Object). Applied once, where it is exported.
 */
export function recordCalls<C extends abstract new (...args: never[]) => object>(
  cls: C,
  worker: string,
  kind: 'rpc' | 'object' = 'rpc',
): C {
  const proto = cls.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (name === 'constructor' || typeof descriptor?.value !== 'function') continue;
    const method = descriptor.value as (...args: unknown[]) => unknown;
    const eventKind: EventKind = name === 'queue' ? 'queue' : name === 'alarm' ? 'alarm' : kind;
    Object.defineProperty(proto, name, {
      ...descriptor,
      value: function (this: { env?: { ANALYTICS?: DataPointSink } }, ...args: unknown[]) {
        const sink = this.env?.ANALYTICS;
        if (!sink || inCall.getStore() === this) return method.apply(this, args);
        const started = Date.now();
        const trace = envelopeTrace(args) ?? currentTrace();
        const items = eventKind === 'queue' ? ((args[0] as { messages?: unknown[] })?.messages?.length ?? 0) : 1;
        const done = (outcome: EventOutcome, code: string) =>
          writeEvent(sink, {
            worker,
            kind: eventKind,
            className: cls.name,
            method: name,
            outcome,
            code,
            ms: Date.now() - started,
            items,
            ...(trace ? { trace } : {}),
          });
        let result: unknown;
        try {
          result = inCall.run(this, () => method.apply(this, args));
        } catch (err) {
          done('error', errorCode(err));
          throw err;
        }
        if (result instanceof Promise) {
          return result.then(
            (value) => {
              const o = outcomeOf(value);
              done(o.outcome, o.code);
              return value;
            },
            (err) => {
              done('error', errorCode(err));
              throw err;
            },
          );
        }
        const o = outcomeOf(result);
        done(o.outcome, o.code);
        return result;
      },
    });
  }
  return cls;
}
