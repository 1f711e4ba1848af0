// dev/stripe-local/webhooks.ts — webhook delivery for dev/stripe-local.ts, signed exactly as Stripe signs:
//   Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key = the whsec_... string, data = `${t}.${body}`)>
// One endpoint (the webhook URL). Deliveries start after the API response, in event creation order; events
// about the same object (a PaymentIntent and its charges/refunds: the `key`) go out one at a time, others
// concurrently (up to MAX_CONCURRENT), so order per object is normally kept but, as with Stripe, not
// guaranteed (an event waiting for a retry does not hold back later ones). Each attempt has a timeout; non-2xx (3xx included: redirects are not followed) and network errors are retried
// with exponential backoff plus jitter up to maxAttempts, re-signed with a fresh timestamp each time.
// Events created while no URL is set wait and go out once setUrl() is called.
import { createHmac } from 'node:crypto';

export interface RetryPolicy {
  baseDelayMs: number;
  maxAttempts: number;
  timeoutMs: number;
}

export interface DeliveryStatus {
  id: string;
  type: string;
  attempts: number;
  delivered: boolean;
  gave_up: boolean;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
}

interface Delivery extends DeliveryStatus {
  key: string;
  body: string;
  timer?: NodeJS.Timeout;
  queued: boolean;
}
const MAX_CONCURRENT = 8;

export function signatureHeader(body: string, secret: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex')}`;
}

export function createDeliverer(o: {
  secret: string;
  retry: RetryPolicy;
  url: string | undefined;
  log: (line: string) => void;
  onDelivered: (eventId: string) => void;
}) {
  let url = o.url;
  let stopped = false;
  /** A brownout of the local Stripe: nothing new goes out until resume(). */
  let paused = false;
  const busyKeys = new Set<string>();
  const inflight = new Set<AbortController>();
  const all: Delivery[] = [];
  const ready: Delivery[] = [];

  const enqueue = (d: Delivery) => {
    if (stopped || d.queued || d.delivered || d.gave_up) return;
    d.queued = true;
    d.next_attempt_at = null;
    ready.push(d);
    setImmediate(pump);
  };

  function pump(): void {
    for (let i = 0; i < ready.length && inflight.size < MAX_CONCURRENT && !stopped && !paused && url; ) {
      const d = ready[i]!;
      if (busyKeys.has(d.key)) {
        i++;
        continue;
      }
      ready.splice(i, 1);
      d.queued = false;
      busyKeys.add(d.key);
      const ac = new AbortController();
      inflight.add(ac);
      void attempt(d, url, ac).finally(() => {
        busyKeys.delete(d.key);
        inflight.delete(ac);
        pump();
      });
    }
  }

  async function attempt(d: Delivery, target: string, ac: AbortController): Promise<void> {
    d.attempts++;
    const timer = setTimeout(() => ac.abort(new Error(`timed out after ${o.retry.timeoutMs} ms`)), o.retry.timeoutMs);
    try {
      const res = await fetch(target, {
        method: 'POST',
        body: d.body,
        redirect: 'manual',
        signal: ac.signal,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          Accept: '*/*; q=0.5, application/xml',
          'Cache-Control': 'no-cache',
          'Stripe-Signature': signatureHeader(d.body, o.secret),
        },
      });
      await res.arrayBuffer().catch(() => undefined);
      d.last_status = res.status;
      d.last_error = res.ok ? null : `HTTP ${res.status}`;
    } catch (e) {
      d.last_status = null;
      d.last_error = ac.signal.aborted
        ? String((ac.signal.reason as Error)?.message ?? 'aborted')
        : String((e as Error).cause ?? (e as Error).message);
    } finally {
      clearTimeout(timer);
    }
    if (stopped) return;
    if (d.last_error === null) {
      d.delivered = true;
      o.log(`webhook ${d.id} ${d.type} delivered (attempt ${d.attempts}, HTTP ${d.last_status})`);
      o.onDelivered(d.id);
      return;
    }
    if (d.attempts >= o.retry.maxAttempts) {
      d.gave_up = true;
      o.log(`webhook ${d.id} ${d.type} failed after ${d.attempts} attempts: ${d.last_error}`);
      return;
    }
    // Exponential backoff, jitter in [0.5, 1.0] of the step (like the SDK's own retries).
    const delay = Math.round(o.retry.baseDelayMs * 2 ** (d.attempts - 1) * (0.5 + Math.random() / 2));
    o.log(`webhook ${d.id} ${d.type} attempt ${d.attempts} failed (${d.last_error}); retry in ${delay} ms`);
    d.next_attempt_at = Date.now() + delay;
    d.timer = setTimeout(() => {
      d.timer = undefined;
      enqueue(d);
    }, delay);
  }

  return {
    /** Queues one event (`body` = its JSON, the exact bytes that get signed; `key` = the object it is about). */
    add(id: string, type: string, body: string, key: string = id): void {
      const d: Delivery = {
        id,
        type,
        key,
        body,
        attempts: 0,
        delivered: false,
        gave_up: false,
        last_status: null,
        last_error: null,
        next_attempt_at: null,
        queued: false,
      };
      all.push(d);
      enqueue(d);
    },
    pause(): void {
      paused = true;
    },
    resume(): void {
      paused = false;
      setImmediate(pump);
    },
    setUrl(next: string): void {
      url = next;
      setImmediate(pump);
    },
    list: (): DeliveryStatus[] =>
      all.map(({ id, type, attempts, delivered, gave_up, last_status, last_error, next_attempt_at }) => ({
        id,
        type,
        attempts,
        delivered,
        gave_up,
        last_status,
        last_error,
        next_attempt_at,
      })),
    stop(): void {
      stopped = true;
      for (const d of all) if (d.timer) clearTimeout(d.timer);
      ready.length = 0;
      for (const ac of inflight) ac.abort(new Error('server stopped'));
    },
  };
}
