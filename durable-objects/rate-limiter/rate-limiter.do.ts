// RateLimiterDO: the built-in rate-limit backend (used when no Upstash URL is set). Callers are spread over a
// fixed number of objects per rule (RATE_LIMIT_SHARDS) by a hash of their key, and each object keeps the
// windows of many callers: one object per caller would mean creating an object for every new IP address.
// The window is a sliding window approximated from two fixed windows, the same algorithm as Upstash's
// slidingWindow, so both backends answer alike. Counters live in memory: an evicted object starts its
// windows again, which can only let a caller through early, never lock one out.
import { DurableObject } from 'cloudflare:workers';

export interface LimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** Epoch ms when the current window ends. */
  reset: number;
}

interface Window {
  start: number;
  count: number;
  previous: number;
}

const PRUNE_ABOVE = 50_000;

export class RateLimiterDO extends DurableObject {
  private windows = new Map<string, Window>();

  /** Counts one request of `key` if it is under `limit` per `windowMs`. Synchronous: no interleaving. */
  limit(key: string, limit: number, windowMs: number): LimitResult {
    const now = Date.now();
    const start = now - (now % windowMs);
    let w = this.windows.get(key);
    if (!w) {
      if (this.windows.size >= PRUNE_ABOVE) this.prune(start - windowMs);
      w = { start, count: 0, previous: 0 };
      this.windows.set(key, w);
    } else if (start !== w.start) {
      w.previous = start - w.start === windowMs ? w.count : 0;
      w.start = start;
      w.count = 0;
    }
    const weight = 1 - (now - start) / windowMs;
    const used = Math.floor(w.previous * weight) + w.count;
    const success = used < limit;
    if (success) w.count++;
    return { success, limit, remaining: Math.max(0, limit - used - (success ? 1 : 0)), reset: start + windowMs };
  }

  /** Forgets callers whose last window ended before `before`: they no longer weigh on anything. */
  private prune(before: number) {
    for (const [key, w] of this.windows) if (w.start < before) this.windows.delete(key);
  }
}
