// The two global rate-limit stores behind one interface: Upstash (production) through @upstash/ratelimit, and the
// built-in RateLimiterDO (default when no Upstash URL is set). Both run the same token bucket with the same
// parameters (refillOf), so a rule answers alike on either.
import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis/cloudflare';
import type { LimitResult, RateLimiterDO } from '../../../../durable-objects/rate-limiter/rate-limiter.do';
import type { Rule } from './rules';

export interface Limiter {
  readonly name: 'upstash' | 'durable-object';
  limit(rule: Rule, key: string): Promise<LimitResult>;
  /**
   * One token for each check, in as few store calls as the store allows (Upstash: one pipeline; RateLimiterDO: one
   * call per shard): each answer as `limit` would give it, or the error of its call.
   */
  limitMany(checks: readonly { rule: Rule; key: string }[]): Promise<(LimitResult | Error)[]>;
}

/**
 * A rule's refill as whole tokens per whole milliseconds, which both stores take: one token every
 * floor(window / limit) ms, or, for rates above one a millisecond, round(limit / window) tokens every ms.
 * "120/60" is one token every 500 ms; the rounding makes a rate at most a hair faster, never slower.
 */
export function refillOf(rule: Pick<Rule, 'limit' | 'windowSeconds'>): { refillRate: number; intervalMs: number } {
  const ms = rule.windowSeconds * 1000;
  if (rule.limit <= ms) return { refillRate: 1, intervalMs: Math.floor(ms / rule.limit) };
  return { refillRate: Math.round(rule.limit / ms), intervalMs: 1 };
}

/** FNV-1a: a cheap, stable spread of keys over shards. */
function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}

export function durableObjectLimiter(ns: DurableObjectNamespace<RateLimiterDO>, shards: number): Limiter {
  return {
    name: 'durable-object',
    async limit(rule, key) {
      const stub = ns.get(ns.idFromName(`${rule.name}:${shardOf(key, shards)}`));
      const { refillRate, intervalMs } = refillOf(rule);
      return stub.limit(`${rule.name}:${key}`, rule.burst, intervalMs, refillRate);
    },
    async limitMany(checks) {
      const byShard = new Map<string, number[]>();
      checks.forEach(({ rule, key }, i) => {
        const name = `${rule.name}:${shardOf(key, shards)}`;
        byShard.set(name, [...(byShard.get(name) ?? []), i]);
      });
      const answers: (LimitResult | Error)[] = new Array(checks.length);
      await Promise.all(
        [...byShard].map(async ([name, indexes]) => {
          const buckets = indexes.map((i) => {
            const { rule, key } = checks[i]!;
            const { refillRate, intervalMs } = refillOf(rule);
            return { key: `${rule.name}:${key}`, capacity: rule.burst, intervalMs, refillRate };
          });
          try {
            const results = await ns.get(ns.idFromName(name)).limitMany(buckets);
            indexes.forEach((i, j) => {
              answers[i] = results[j]!;
            });
          } catch (err) {
            for (const i of indexes) answers[i] = err instanceof Error ? err : new Error(String(err));
          }
        }),
      );
      return answers;
    },
  };
}

/** `timeoutMs`: the HTTP call is aborted a second after the gateway gave up on it (store.ts), freeing its socket. */
export function upstashLimiter(url: string, token: string, timeoutMs: number): Limiter {
  // No retries: a retry would hold the request longer than the caller waits anyway (see store.ts).
  // Auto-pipelining (the library's default, set here so limitMany does not depend on it): the commands issued in one
  // tick go as one /pipeline request, which is what makes limitMany one call.
  const redis = new Redis({
    url,
    token,
    retry: false,
    enableTelemetry: false,
    enableAutoPipelining: true,
    signal: () => AbortSignal.timeout(timeoutMs + 1000),
  });
  const limiters = new Map<string, Ratelimit>();
  const limiterOf = (rule: Rule) => {
    const id = `${rule.name}:${rule.limit}/${rule.windowSeconds}/${rule.burst}`;
    let rl = limiters.get(id);
    if (!rl) {
      const { refillRate, intervalMs } = refillOf(rule);
      rl = new Ratelimit({
        redis,
        limiter: Ratelimit.tokenBucket(refillRate, `${intervalMs} ms`, rule.burst),
        prefix: `storefront:tb:${rule.name}`,
        analytics: false,
        // The gateway keeps its own cache of refused callers and its own deadline (store.ts), one mechanism for
        // both stores; the library's timeout would let every slow call through.
        ephemeralCache: false,
        timeout: 0,
      });
      limiters.set(id, rl);
    }
    return rl;
  };
  const resultOf = (r: { success: boolean; limit: number; remaining: number; reset: number }): LimitResult => ({
    success: r.success,
    limit: r.limit,
    remaining: r.remaining,
    reset: r.reset,
  });
  return {
    name: 'upstash',
    async limit(rule, key) {
      return resultOf(await limiterOf(rule).limit(key));
    },
    async limitMany(checks) {
      // Issued together (no await between them), so the auto-pipeline gathers them into one request.
      const calls = checks.map(({ rule, key }) => limiterOf(rule).limit(key));
      const settled = await Promise.allSettled(calls);
      return settled.map((s) =>
        s.status === 'fulfilled'
          ? resultOf(s.value)
          : s.reason instanceof Error
            ? s.reason
            : new Error(String(s.reason)),
      );
    },
  };
}
