// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` a request carries from the gateway
// through every RPC, Durable Object call, Queue message and outgoing Stripe call, with the gateway's request id
// beside it. Within a worker the current trace is ambient (AsyncLocalStorage), so the logger adds both ids to every
// line without each function passing them on.
import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What travels across a binding or in a Queue message: the caller's span as a traceparent, the request id, the
 * region the request reads in (the gateway's REPLICA_REGIONS of where it arrived: lib/db/regions.ts) and the WAL
 * position its reads must have reached (read-your-writes: lib/db/read-after.ts).
 */
export interface Trace {
  traceparent: string;
  requestId?: string;
  region?: string;
  /**
   * Read-your-writes: the WAL position of the client's last write, from its verified token (lib/db/read-after.ts):
   * a routed read serves only data at or past it.
   */
  readAfter?: string;
  /**
   * What that write changed (lib/db/read-after.ts ReadAfterScope): only a `catalog` write's position keys the
   * catalog's caches; every routed read honours any.
   */
  readAfterScope?: 'catalog' | 'other';
}

export interface TraceParent {
  version: string;
  traceId: string;
  parentId: string;
  flags: string;
}

const header = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * A valid traceparent, or null. Per the spec: lowercase hex only; version ff is invalid; all-zero trace and parent
 * ids are invalid; version 00 has exactly four fields, a later version may add fields after a dash (kept unread).
 */
export function parseTraceparent(value: string | null | undefined): TraceParent | null {
  if (!value || value.length > 512) return null;
  const m = header.exec(value.trim());
  if (!m) return null;
  const [, version, traceId, parentId, flags, rest] = m as unknown as [string, string, string, string, string, string?];
  if (version === 'ff') return null;
  if (version === '00' && rest !== undefined) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return null;
  return { version, traceId, parentId, flags };
}

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let out = '';
  for (const x of b) out += x.toString(16).padStart(2, '0');
  // All zeros is invalid; the odds are nil, but the spec is explicit.
  return /^0+$/.test(out) ? randomHex(bytes) : out;
}

/**
 * The traceparent of a new span: a child of `incoming` when it is valid (same trace, the caller's flags), else the
 * root of a new trace (sampled). Always version 00, which is what we understand and emit.
 */
export function childTraceparent(incoming?: string | null): string {
  const parent = parseTraceparent(incoming);
  const traceId = parent?.traceId ?? randomHex(16);
  const flags = parent?.flags ?? '01';
  return `00-${traceId}-${randomHex(8)}-${flags}`;
}

const current = new AsyncLocalStorage<Trace>();

/** The trace of the work in progress, if any. */
export function currentTrace(): Trace | undefined {
  return current.getStore();
}

/**
 * Runs `fn` as a new span of `trace` (a child of its traceparent; a new trace when there is none or it is
 * malformed): every log line inside carries the ids, and `outgoingTrace()` gives what to pass on.
 */
export function withTrace<T>(trace: Trace | undefined, fn: () => T): T {
  const span: Trace = { traceparent: childTraceparent(trace?.traceparent) };
  if (trace?.requestId) span.requestId = trace.requestId;
  if (trace?.region) span.region = trace.region;
  if (trace?.readAfter) span.readAfter = trace.readAfter;
  if (trace?.readAfterScope) span.readAfterScope = trace.readAfterScope;
  return current.run(span, fn);
}

/** Runs `fn` in exactly this span (the gateway, which made the span itself from the incoming header). */
export function enterTrace<T>(trace: Trace, fn: () => T): T {
  return current.run(trace, fn);
}

/** What to hand to the next hop (RPC argument, Queue message, Stripe header): the current span, if any. */
export function outgoingTrace(): Trace | undefined {
  return current.getStore();
}

/** `{ trace }` of the current span, or nothing: to spread into an RPC argument or a Queue message. */
export function traceField(): { trace?: Trace } {
  const trace = current.getStore();
  return trace ? { trace } : {};
}

/** Trace id and span id of a traceparent, for log lines. */
export function traceIds(trace: Trace | undefined): { traceId?: string; spanId?: string } {
  const p = parseTraceparent(trace?.traceparent);
  return p ? { traceId: p.traceId, spanId: p.parentId } : {};
}

/**
 * The envelope `traced` appends as the last argument of an RPC call. Workers RPC carries no headers, so the trace
 * travels as data; `acceptTraces` on the receiving class takes it off before the method sees its arguments.
 */
interface TraceEnvelope {
  __trace: Trace;
}

function isEnvelope(value: unknown): value is TraceEnvelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length === 1 &&
    typeof (value as TraceEnvelope).__trace?.traceparent === 'string'
  );
}

/**
 * `binding` (a service binding or a Durable Object stub) whose method calls carry the current span: each call gets
 * the trace envelope as one more argument. Only for receivers wrapped by `acceptTraces`.
 */
export function traced<T extends object>(binding: T): T {
  return new Proxy(binding, {
    get(target, prop) {
      // The native stub is `this` of its own members, never the proxy.
      const member = Reflect.get(target, prop);
      if (typeof member !== 'function' || typeof prop === 'symbol' || prop === 'fetch') return member;
      // Called as a method of the stub, never through `.apply`/`.call`: on an RPC stub those are remote names too.
      const stub = target as Record<string, (...a: unknown[]) => unknown>;
      return (...args: unknown[]) => {
        const trace = current.getStore();
        return trace ? stub[prop]!(...args, { __trace: trace }) : stub[prop]!(...args);
      };
    },
  });
}

/**
 * Makes every method of an RPC class (a WorkerEntrypoint or a Durable Object) take the trace envelope a `traced`
 * caller appends: the envelope is removed and the method runs as a child span of it. A call without one runs as
 * before (its log lines then carry no trace). Applied once, to the class, where it is exported.
 */
export function acceptTraces<C extends abstract new (...args: never[]) => object>(cls: C): C {
  const proto = cls.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (name === 'constructor' || typeof descriptor?.value !== 'function') continue;
    const method = descriptor.value as (...args: unknown[]) => unknown;
    Object.defineProperty(proto, name, {
      ...descriptor,
      value: function (this: unknown, ...args: unknown[]) {
        const last = args[args.length - 1];
        if (!isEnvelope(last)) return method.apply(this, args);
        return withTrace(last.__trace, () => method.apply(this, args.slice(0, -1)));
      },
    });
  }
  return cls;
}
