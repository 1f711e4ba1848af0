// Timeouts, retries with exponential backoff and full jitter, and a per-isolate circuit breaker: what every call
// to a service outside the worker (Stripe, Postgres) goes through. Every breaker registers itself in this isolate's
// registry and records its transitions, so a worker can report them (breakerReport, served to ops by the gateway).
import type { BreakerSnapshot, BreakerState, BreakerTransition } from './contracts/ops';
import { log } from './log';

/** Full jitter: a random wait in [0, min(max, base * 2^attempt)). Spreads retries of many callers apart. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.floor(Math.random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** `promise`, or a TimeoutError after `ms`: for calls that take no AbortSignal (RPC, Durable Objects, Queues). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface RetryOptions {
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Whether a failure is worth another try (default: always). */
  retryIf?: (err: unknown) => boolean;
}

/** Runs `fn` up to `attempts` times, waiting a jittered, growing delay between tries. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt + 1 >= opts.attempts || (opts.retryIf && !opts.retryIf(err))) throw err;
      await new Promise((r) => setTimeout(r, backoffMs(attempt, opts.baseMs, opts.maxMs)));
    }
  }
}

export class CircuitOpenError extends Error {
  constructor(
    readonly circuit: string,
    readonly retryAfterMs: number,
  ) {
    super(`${circuit} is failing; calls are paused for ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'CircuitOpenError';
  }
}

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one trial call is let through. */
  openMs: number;
}

/** How many transitions each breaker keeps (per isolate): enough for an open/half-open/open flapping hour. */
const TRANSITIONS_KEPT = 20;

/** Every breaker created in this isolate, by name (a newer one of the same name replaces the older). */
const registry = new Map<string, CircuitBreaker>();

/**
 * Told of every breaker's activity in this isolate: `transitioned` true when its state just changed (a push is due),
 * false on a plain call through it (a heartbeat may be due). Set once per isolate by the worker's entry
 * (lib/metrics/breaker-reports.ts); never throws into the call it observes.
 */
export type BreakerListener = (transitioned: boolean) => void;
let listener: BreakerListener | undefined;
export function onBreakerActivity(fn: BreakerListener | undefined): void {
  listener = fn;
}
function notify(transitioned: boolean) {
  try {
    listener?.(transitioned);
  } catch {
    // Reporting must never fail the call it observes.
  }
}

/** This isolate's breakers, their state, since when, and their latest transitions (newest last). */
export function breakerReport(): BreakerSnapshot[] {
  return [...registry.values()].map((b) => b.snapshot());
}

/**
 * Closed: calls pass, consecutive failures are counted. Open: calls fail at once with CircuitOpenError (no
 * waiting on a dead service, no piling on while it recovers). After `openMs`, one trial call is let through
 * (half-open): its success closes the circuit, its failure opens it again. Every change of state is recorded
 * (time, reason) and the opening logged; the move to half-open is noticed, and dated, when the next call arrives.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  /** The one trial call of a half-open breaker, while it runs. */
  private trial: Promise<unknown> | null = null;
  /** The state last recorded, and since when. */
  private recorded: BreakerState = 'closed';
  /** 0 until the first transition or report (Workers give no real time at module load, where breakers are made). */
  private since = 0;
  private readonly transitions: BreakerTransition[] = [];

  constructor(
    readonly name: string,
    private readonly opts: BreakerOptions = { failureThreshold: 5, openMs: 10_000 },
  ) {
    registry.set(name, this);
  }

  get state(): BreakerState {
    if (this.failures < this.opts.failureThreshold) return 'closed';
    return Date.now() < this.openUntil ? 'open' : 'half-open';
  }

  snapshot(): BreakerSnapshot {
    this.record('open time elapsed');
    this.since ||= Date.now();
    return {
      name: this.name,
      state: this.recorded,
      since: new Date(this.since).toISOString(),
      failures: this.failures,
      ...(this.recorded === 'open' ? { retryAt: new Date(this.openUntil).toISOString() } : {}),
      transitions: [...this.transitions],
    };
  }

  /** Records a change of state since the last record, with its reason. */
  private record(reason: string) {
    const to = this.state;
    if (to === this.recorded) return;
    // The move to half-open happens by time alone: date it when the open time ended, not when it was noticed.
    const at = to === 'half-open' ? this.openUntil : Date.now();
    this.transitions.push({ from: this.recorded, to, at: new Date(at).toISOString(), reason });
    if (this.transitions.length > TRANSITIONS_KEPT) this.transitions.shift();
    this.recorded = to;
    this.since = at;
    notify(true);
  }

  /**
   * `isFailure` tells outages (which count) from answers such as a declined card (which do not). Half-open, one
   * call is the trial; calls arriving meanwhile wait for its outcome (bounded by the trial's own deadline) and
   * then run or fail fast, rather than failing at once: the first burst after a long-healed outage (a flash
   * sale's winners paying at once, when nothing had called since) must not be refused but for one caller.
   */
  async run<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean = () => true): Promise<T> {
    while (this.state === 'half-open' && this.trial) await this.trial.catch(() => {});
    this.record('open time elapsed');
    notify(false);
    const state = this.state;
    if (state === 'open') throw new CircuitOpenError(this.name, Math.max(this.openUntil - Date.now(), 1000));
    const attempt = this.attempt(fn, isFailure, state === 'half-open');
    if (state === 'half-open') {
      this.trial = attempt;
      attempt.then(
        () => this.endTrial(attempt),
        () => this.endTrial(attempt),
      );
    }
    return attempt;
  }

  private endTrial(attempt: Promise<unknown>) {
    if (this.trial === attempt) this.trial = null;
  }

  private async attempt<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean, trial: boolean): Promise<T> {
    try {
      const value = await fn();
      this.failures = 0;
      this.record(trial ? 'trial call succeeded' : 'a call succeeded');
      return value;
    } catch (err) {
      if (isFailure(err)) {
        this.failures++;
        if (this.failures >= this.opts.failureThreshold) {
          this.openUntil = Date.now() + this.opts.openMs;
          const reason = trial
            ? `trial call failed: ${String(err)}`
            : `${this.opts.failureThreshold} failures in a row, the last: ${String(err)}`;
          this.record(reason.slice(0, 300));
          log.warn('circuit open', { circuit: this.name, openMs: this.opts.openMs, error: String(err) });
        }
      } else if (trial) {
        this.failures = 0;
        this.record('trial call answered (not an outage)');
      }
      throw err;
    }
  }
}
