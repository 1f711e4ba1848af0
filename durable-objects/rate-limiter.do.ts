// RateLimiterDO: the built-in rate-limit backend (used when no Upstash URL is set). One object per
// (rule, caller); a sliding window approximated from two fixed windows, the same algorithm as Upstash's
// slidingWindow, so both backends answer alike. Counters live in memory: an evicted object starts its
// window again, which can only let a caller through early, never lock one out.
import { DurableObject } from 'cloudflare:workers';

export interface LimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** Epoch ms when the caller can send again (success) or the current window ends. */
  reset: number;
}

export class RateLimiterDO extends DurableObject {
  private window = { start: 0, count: 0, previous: 0 };

  /** Counts one request if the caller is under `limit` per `windowMs`. Synchronous: no interleaving. */
  limit(limit: number, windowMs: number): LimitResult {
    const now = Date.now();
    const start = now - (now % windowMs);
    const w = this.window;
    if (start !== w.start) {
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
}
