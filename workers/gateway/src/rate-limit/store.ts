// The global tier: the store (Upstash or RateLimiterDO), which a request waits on for at most a short deadline.
// What the store answers late is not lost: a refusal is remembered in the isolate until the bucket refills, so the
// caller's next requests are refused here without another call. A breaker on the store opens only on real failures
// (errors: refused connections, 5xx, a broken object), never on slowness: a call with no answer within
// RATE_LIMIT_STORE_TIMEOUT_MS is given up ("late"), not counted. A flood that slows the store (or queues its calls)
// must not be able to open the breaker and so refuse everyone's logins.
//
// Why: a deadline that turns into "let through" lifts the limit for whoever slows the store down (a flood), and
// one that turns into "refuse" locks out everyone else (issue 11, finding 1). Here a slow store changes nothing:
// the edge tier counts whatever the store did not answer in time (middleware.ts), and the store's verdict follows.
//
// The checks nobody waits for (browse) are gathered for `batchMs` and sent as one store call (Limiter.limitMany):
// under a burst that is one call for many requests instead of one each (issue 10). The call is made, and awaited,
// only in the context of the request that opened the batch (kept alive by its waitUntil); the others only add their
// key and go on, so no request waits on I/O of another ("Cannot perform I/O on behalf of a different request").
// A check someone waits for is never gathered: it is its own call.
import type { LimitResult } from '../../../../durable-objects/rate-limiter/rate-limiter.do';
import { CircuitBreaker, CircuitOpenError, TimeoutError, withTimeout } from '../../../../lib/resilience';
import type { GatewayConfig } from '../config';
import type { GatewayBindings } from '../types';
import { durableObjectLimiter, type Limiter, upstashLimiter } from './backends';
import type { Rule } from './rules';

export type Verdict =
  /** The store's answer, or a refusal it gave earlier that still holds. */
  | { kind: 'answer'; result: LimitResult }
  /** Not waited for (browse): the store's verdict applies from the caller's next request. */
  | { kind: 'unwaited' }
  /** No answer within the wait (or within the store timeout): the edge tier's verdict stands. */
  | { kind: 'late' }
  /** The store failed (an error, or the breaker is open): `retryAfterMs` until it is tried again. */
  | { kind: 'down'; retryAfterMs: number; error: unknown };

export interface StoreOptions {
  storeTimeoutMs: number;
  breakerFailures: number;
  breakerOpenMs: number;
  /** An answer slower than this (a waiting request's deadline) marks the store degraded. */
  slowMs: number;
  /** Checks nobody waits for are gathered this long into one call; 0: each its own call. */
  batchMs?: number;
}

/** A gathered batch is sent at once when it reaches this many checks. */
const BATCH_MAX = 100;

const FORGET_ABOVE = 10_000;
/** For this long after a call timed out or was slow, the store counts as degraded (the edge tier counts all). */
const DEGRADED_FOR_MS = 10_000;

export class GlobalStore {
  /** `rule:key` -> epoch ms until which the store refused it (its next refill). */
  private readonly refused = new Map<string, number>();
  readonly breaker: CircuitBreaker;
  private lastTimeoutAt = 0;
  /** Checks gathered for the next batch call, and whether a request has a send of them scheduled. */
  private gathered: { rule: Rule; key: string; id: string }[] = [];
  private sendScheduled = false;

  constructor(
    readonly backend: Limiter,
    private readonly opts: StoreOptions,
  ) {
    this.breaker = new CircuitBreaker(`rate limiter (${backend.name})`, {
      failureThreshold: opts.breakerFailures,
      openMs: opts.breakerOpenMs,
    });
  }

  /**
   * True while the store cannot be relied on to answer in time: its breaker is not closed, or a call timed out or
   * answered slower than `slowMs` lately. The middleware then counts on the edge tier even the checks it does not
   * wait for.
   */
  get degraded(): boolean {
    return this.breaker.state !== 'closed' || Date.now() - this.lastTimeoutAt < DEGRADED_FOR_MS;
  }

  /**
   * Asks the store for one token of `key` under `rule`, waiting at most `waitMs` (0: not at all). The call goes on
   * after the wait (`keepAlive` holds the isolate for it) and its refusal is remembered.
   */
  async check(rule: Rule, key: string, waitMs: number, keepAlive: (p: Promise<unknown>) => void): Promise<Verdict> {
    const id = `${rule.name}:${key}`;
    const now = Date.now();
    const until = this.refused.get(id);
    if (until !== undefined) {
      if (until > now)
        return { kind: 'answer', result: { success: false, limit: rule.burst, remaining: 0, reset: until } };
      this.refused.delete(id);
    }
    if (waitMs <= 0 && (this.opts.batchMs ?? 0) > 0) {
      this.gather(rule, key, id, keepAlive);
      return { kind: 'unwaited' };
    }
    const started = Date.now();
    const call = this.breaker.run(
      () => withTimeout(this.backend.limit(rule, key), this.opts.storeTimeoutMs, 'rate limiter store'),
      (err) => !(err instanceof TimeoutError),
    );
    const recorded = call.then((result) => {
      // Slower than a waiting request would wait: the store counts as degraded, browse included (below).
      if (Date.now() - started > this.opts.slowMs) this.lastTimeoutAt = Date.now();
      if (!result.success) this.remember(id, result.reset);
      return result;
    });
    recorded.catch((error: unknown) => {
      // The outcome is reported below (or dropped when nobody waits for it); a timeout marks the store degraded.
      if (error instanceof TimeoutError) this.lastTimeoutAt = Date.now();
    });
    if (waitMs <= 0) {
      keepAlive(recorded.catch(() => {}));
      return { kind: 'unwaited' };
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), waitMs);
    });
    try {
      const first = await Promise.race([recorded, late]);
      if (first === 'late') {
        this.lastTimeoutAt = Date.now();
        keepAlive(recorded.catch(() => {}));
        return { kind: 'late' };
      }
      return { kind: 'answer', result: first };
    } catch (error) {
      if (error instanceof TimeoutError) return { kind: 'late' };
      const retryAfterMs = error instanceof CircuitOpenError ? error.retryAfterMs : 1000;
      return { kind: 'down', retryAfterMs, error };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Adds a check to the batch. The request that opens a batch schedules its send after `batchMs` (held by its
   * waitUntil); one that fills it to BATCH_MAX sends it at once.
   */
  private gather(rule: Rule, key: string, id: string, keepAlive: (p: Promise<unknown>) => void) {
    this.gathered.push({ rule, key, id });
    if (this.gathered.length >= BATCH_MAX) {
      keepAlive(this.sendGathered());
    } else if (!this.sendScheduled) {
      this.sendScheduled = true;
      keepAlive(new Promise((r) => setTimeout(r, this.opts.batchMs)).then(() => this.sendGathered()));
    }
  }

  /** Sends the gathered checks as one call; remembers each refusal; a failure counts once, as one call's would. */
  private async sendGathered(): Promise<void> {
    const checks = this.gathered;
    this.gathered = [];
    this.sendScheduled = false;
    if (checks.length === 0) return;
    const started = Date.now();
    try {
      const answers = await this.breaker.run(
        async () => {
          const all = await withTimeout(this.backend.limitMany(checks), this.opts.storeTimeoutMs, 'rate limiter store');
          // Every call of the batch failed: the store is failing, as one failed call says (the breaker counts it).
          if (all.every((a) => a instanceof Error)) throw all[0];
          return all;
        },
        (err) => !(err instanceof TimeoutError),
      );
      if (Date.now() - started > this.opts.slowMs) this.lastTimeoutAt = Date.now();
      answers.forEach((a, i) => {
        if (!(a instanceof Error) && !a.success) this.remember(checks[i]!.id, a.reset);
      });
    } catch (error) {
      // Nobody waits for these verdicts (fail-open browse); a timeout marks the store degraded.
      if (error instanceof TimeoutError) this.lastTimeoutAt = Date.now();
    }
  }

  private remember(id: string, until: number) {
    if (this.refused.size >= FORGET_ABOVE) {
      const now = Date.now();
      for (const [k, t] of this.refused) if (t <= now) this.refused.delete(k);
      // Still full of live refusals (a flood from many addresses): drop the oldest; the store still counts them.
      while (this.refused.size >= FORGET_ABOVE) this.refused.delete(this.refused.keys().next().value!);
    }
    this.refused.set(id, until);
  }
}

const stores = new WeakMap<GatewayConfig, GlobalStore | null>();

/** The store chosen by RATE_LIMIT_BACKEND (auto: Upstash when its URL is set, else the Durable Object). */
export function storeFor(env: GatewayBindings, config: GatewayConfig): GlobalStore | null {
  if (stores.has(config)) return stores.get(config)!;
  const choice = config.RATE_LIMIT_BACKEND;
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = config;
  let limiter: Limiter | null = null;
  // The schema has checked that the Upstash backend has both its URL and its token.
  if ((choice === 'upstash' || choice === 'auto') && url && token) {
    limiter = upstashLimiter(url, token, config.RATE_LIMIT_STORE_TIMEOUT_MS);
  } else if (choice === 'durable-object' || choice === 'auto') {
    limiter = durableObjectLimiter(env.RATE_LIMITER, config.RATE_LIMIT_SHARDS);
  }
  const store = limiter
    ? new GlobalStore(limiter, {
        storeTimeoutMs: config.RATE_LIMIT_STORE_TIMEOUT_MS,
        breakerFailures: config.RATE_LIMIT_BREAKER_FAILURES,
        breakerOpenMs: config.RATE_LIMIT_BREAKER_OPEN_MS,
        slowMs: config.RATE_LIMIT_TIMEOUT_MS,
        batchMs: config.RATE_LIMIT_BROWSE_BATCH_MS,
      })
    : null;
  stores.set(config, store);
  return store;
}
