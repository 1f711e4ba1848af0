// dev/stripe-local/idempotency.ts — Idempotency-Key as Stripe keeps it: per API key, for 24 h. The same key with
// the same request replays the stored answer; with other parameters it is a 400 idempotency_error; while the first
// request still runs it is a 409 idempotency_key_in_use. Only results Stripe keeps are stored (see ApiError.stored).
import { ApiError } from './params';

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

interface Stored {
  fingerprint: string;
  at: number;
  status?: number;
  body?: string;
  requestId?: string;
}
/** A stored answer to send again. */
export interface Replay {
  status: number;
  body: string;
  requestId: string;
}
export type Claim =
  | { error: ApiError }
  | { replay: Replay }
  | { finish(result: { status: number; body: string; stored: boolean } | undefined, requestId: string): void };

export function createIdempotency() {
  const entries = new Map<string, Stored>();
  let lastSweep = Date.now();

  return {
    /**
     * Looks the key up; a new one is claimed at once (no await in between), so a concurrent request sees it in
     * progress. The claim's finish() stores the result, or frees the key when Stripe would not keep it.
     */
    claim(apiKey: string, idemKey: string, fingerprint: string): Claim {
      const now = Date.now();
      if (now - lastSweep > 60_000) {
        lastSweep = now;
        for (const [k, v] of entries) if (v.status !== undefined && now - v.at > IDEMPOTENCY_TTL_MS) entries.delete(k);
      }
      const slot = `${apiKey}\n${idemKey}`;
      const prior = entries.get(slot);
      if (prior && (prior.status === undefined || now - prior.at <= IDEMPOTENCY_TTL_MS)) {
        if (prior.status === undefined) {
          return {
            error: new ApiError(409, {
              type: 'idempotency_error',
              code: 'idempotency_key_in_use',
              doc_url: 'https://stripe.com/docs/error-codes/idempotency-key-in-use',
              message:
                'There is currently another in-progress request using this Stripe-Idempotency-Key. Please try again later.',
            }),
          };
        }
        if (prior.fingerprint !== fingerprint) {
          return {
            error: new ApiError(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`,
            }),
          };
        }
        return { replay: { status: prior.status, body: prior.body!, requestId: prior.requestId! } };
      }
      const entry: Stored = { fingerprint, at: now };
      entries.set(slot, entry);
      return {
        finish(result, requestId) {
          if (result?.stored)
            Object.assign(entry, { status: result.status, body: result.body, requestId, at: Date.now() });
          else entries.delete(slot);
        },
      };
    },
  };
}
