// The one way the system calls a webhook receiver (the ops alert webhook, merchants' endpoints): a JSON POST signed
// like Stripe's (lib/alerts/signature.ts: `t=<unix s>,v1=<HMAC-SHA256 of "<t>.<body>">`), bounded by a deadline,
// redirects never followed (a 3xx is an answer, not a hop: it would carry the signed body wherever it points).
// Which URLs may receive is receiver-url.ts's rule, checked by the callers.
import { SIGNATURE_HEADER, signatureHeader } from '../alerts/signature';

export interface SignedPostResult {
  status: number;
  /** The Location header of a redirect (not followed). */
  location: string | null;
  latencyMs: number;
}

/** Posts `body`; throws on a network error or the deadline, answers whatever status came back. */
export async function postSigned(
  url: string,
  secret: string,
  body: string,
  opts: { timeoutMs: number; headers?: Record<string, string> },
): Promise<SignedPostResult> {
  const started = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...opts.headers,
      [SIGNATURE_HEADER]: await signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
    },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  await res.body?.cancel();
  return { status: res.status, location: res.headers.get('location'), latencyMs: Date.now() - started };
}
