// RateLimiterDO: the built-in global rate-limit store (used when no Upstash URL is set). Callers are spread over a
// fixed number of objects per rule (RATE_LIMIT_SHARDS) by a hash of their key, and each object keeps the buckets
// of many callers: one object per caller would mean creating an object for every new IP address.
// The algorithm is a token bucket refilled in whole steps, the same as Upstash's Ratelimit.tokenBucket (same
// parameters, same answers), so both backends agree. Buckets live in memory: an evicted object starts them full
// again, which can only let a caller through early, never lock one out.
import { DurableObject } from 'cloudflare:workers';

export interface LimitResult {
  success: boolean;
  /** The bucket's capacity. */
  limit: number;
  /** Tokens left after this request. */
  remaining: number;
  /** Epoch ms of the next refill: when a refused caller has a token again. */
  reset: number;
}

interface Bucket {
  tokens: number;
  refilledAt: number;
  /** Epoch ms from which the bucket is full again: it can then be forgotten. */
  fullAt: number;
}

const PRUNE_ABOVE = 50_000;

export class RateLimiterDO extends DurableObject {
  private buckets = new Map<string, Bucket>();

  /**
   * Takes one token of `key`'s bucket (capacity `capacity`, `refillRate` tokens back every `intervalMs`) if it
   * has one. Synchronous: calls cannot interleave, so a burst at once gets exactly the capacity through.
   */
  limit(key: string, capacity: number, intervalMs: number, refillRate: number): LimitResult {
    const now = Date.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= PRUNE_ABOVE) this.prune(now);
      b = { tokens: capacity, refilledAt: now, fullAt: now };
      this.buckets.set(key, b);
    } else if (now >= b.refilledAt + intervalMs) {
      const refills = Math.floor((now - b.refilledAt) / intervalMs);
      b.tokens = Math.min(capacity, b.tokens + refills * refillRate);
      b.refilledAt += refills * intervalMs;
    }
    const reset = b.refilledAt + intervalMs;
    if (b.tokens < 1) return { success: false, limit: capacity, remaining: 0, reset };
    b.tokens -= 1;
    b.fullAt = b.refilledAt + Math.ceil((capacity - b.tokens) / refillRate) * intervalMs;
    return { success: true, limit: capacity, remaining: b.tokens, reset };
  }

  /** `limit` for each bucket in order, in one call (the gateway's gathered browse checks: rate-limit/store.ts). */
  limitMany(buckets: { key: string; capacity: number; intervalMs: number; refillRate: number }[]): LimitResult[] {
    return buckets.map((b) => this.limit(b.key, b.capacity, b.intervalMs, b.refillRate));
  }

  /** Forgets buckets that are full again: a full bucket answers exactly like a missing one. */
  private prune(now: number) {
    for (const [key, b] of this.buckets) if (b.fullAt <= now) this.buckets.delete(key);
  }
}
