// The two rate-limit backends behind one interface: Upstash (production, global) through @upstash/ratelimit,
// and the built-in RateLimiterDO (default when no Upstash URL is set). Both use a sliding window.
import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis/cloudflare';
import type { LimitResult, RateLimiterDO } from '../../../../durable-objects/rate-limiter/rate-limiter.do';
import type { Rule } from './rules';

export interface Limiter {
  readonly name: 'upstash' | 'durable-object';
  limit(rule: Rule, key: string): Promise<LimitResult>;
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
      return stub.limit(key, rule.limit, rule.windowSeconds * 1000);
    },
  };
}

export function upstashLimiter(url: string, token: string, timeoutMs: number): Limiter {
  // A deadline per call (a function, so each request gets a fresh signal), and no retries: a slow store
  // must not slow every request.
  const redis = new Redis({
    url,
    token,
    retry: false,
    enableTelemetry: false,
    signal: () => AbortSignal.timeout(timeoutMs),
  });
  const byRule = new Map<string, Ratelimit>();
  return {
    name: 'upstash',
    async limit(rule, key) {
      const id = `${rule.name}:${rule.limit}/${rule.windowSeconds}`;
      let rl = byRule.get(id);
      if (!rl) {
        rl = new Ratelimit({
          redis,
          limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowSeconds} s`),
          prefix: `storefront:rl:${rule.name}`,
          analytics: false,
          // Our own deadline decides open or closed per rule (see middleware); the library's would always open.
          timeout: 0,
        });
        byRule.set(id, rl);
      }
      const r = await rl.limit(key);
      return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
    },
  };
}
