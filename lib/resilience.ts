// Timeouts, retries with exponential backoff and full jitter, and a per-isolate circuit breaker: what every call
// to a service outside the worker (Stripe, Postgres) goes through.

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

/**
 * Closed: calls pass, consecutive failures are counted. Open: calls fail at once with CircuitOpenError (no
 * waiting on a dead service, no piling on while it recovers). After `openMs`, one trial call is let through
 * (half-open): its success closes the circuit, its failure opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  /** The one trial call of a half-open breaker, while it runs. */
  private trial: Promise<unknown> | null = null;

  constructor(
    readonly name: string,
    private readonly opts: BreakerOptions = { failureThreshold: 5, openMs: 10_000 },
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.failures < this.opts.failureThreshold) return 'closed';
    return Date.now() < this.openUntil ? 'open' : 'half-open';
  }

  /**
   * `isFailure` tells outages (which count) from answers such as a declined card (which do not). Half-open, one
   * call is the trial; calls arriving meanwhile wait for its outcome (bounded by the trial's own deadline) and
   * then run or fail fast, rather than failing at once: the first burst after a long-healed outage (a flash
   * sale's winners paying at once, when nothing had called since) must not be refused but for one caller.
   */
  async run<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean = () => true): Promise<T> {
    while (this.state === 'half-open' && this.trial) await this.trial.catch(() => {});
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
      return value;
    } catch (err) {
      if (isFailure(err)) {
        this.failures++;
        if (this.failures >= this.opts.failureThreshold) {
          this.openUntil = Date.now() + this.opts.openMs;
          console.warn(
            JSON.stringify({ msg: 'circuit open', circuit: this.name, openMs: this.opts.openMs, error: String(err) }),
          );
        }
      } else if (trial) {
        this.failures = 0;
      }
      throw err;
    }
  }
}
