// What workers answer the gateway about their own health and their circuit breakers (the `health()` RPC of every
// worker), and what the gateway serves to ops (/health, /v1/admin/ops/breakers) and later alert rules read.

export type CheckStatus = 'ok' | 'down';

/** One dependency check: its outcome, how long it took, and whether /health fails (503) when it is down. */
export interface Check {
  status: CheckStatus;
  latencyMs: number;
  /** Required: /health answers 503 while it is down. Otherwise the system runs degraded (200, "degraded"). */
  required: boolean;
  /** A figure the check could read on the way (e.g. dead letters waiting), when it has one. */
  value?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  /** ISO 8601 UTC. */
  at: string;
  reason: string;
}

/** One breaker of one isolate. */
export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  /** When it entered its state (ISO 8601 UTC); for a breaker that never moved, when it was first reported. */
  since: string;
  /** Consecutive failures counted. */
  failures: number;
  /** Open: when the next trial call is let through. */
  retryAt?: string;
  /** The latest transitions, oldest first (at most 20 per breaker). */
  transitions: BreakerTransition[];
}

/** A worker's answer to `health()`: its checks (named by dependency) and its isolate's breakers. */
export interface WorkerHealth {
  checks: Record<string, Check>;
  breakers: BreakerSnapshot[];
  /** Which isolate answered (random per isolate), so ops can tell reports of different isolates apart. */
  isolate: string;
  /** When that isolate was first asked for its health (ISO 8601 UTC): it has been up at least since then. */
  isolateStartedAt: string;
}

/** One isolate's breakers as it pushes them to the breakers object (on first use, each transition, a heartbeat). */
export interface BreakerPush {
  worker: string;
  /** Random per isolate. */
  isolate: string;
  /** When the isolate built the push (epoch ms): an older push never replaces a newer one. */
  at: number;
  breakers: BreakerSnapshot[];
}

/** One breaker of one isolate as the breakers object last heard of it. */
export interface BreakerRecord extends BreakerSnapshot {
  worker: string;
  isolate: string;
  /** When that isolate last pushed it (ISO 8601 UTC). */
  reportedAt: string;
}
