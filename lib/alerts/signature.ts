// The alert webhook's signature, as Stripe signs its webhooks: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" with the shared secret>` in the `x-storefront-signature` header. The timestamp inside the signed bytes
// lets a receiver refuse a replayed call (older than its tolerance). WebCrypto only: runs in Workers and in Node.

export const SIGNATURE_HEADER = 'x-storefront-signature';

async function hmacHex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The header value for `body` sent at `unixSeconds`. */
export async function signatureHeader(secret: string, body: string, unixSeconds: number): Promise<string> {
  return `t=${unixSeconds},v1=${await hmacHex(secret, `${unixSeconds}.${body}`)}`;
}

/** Compared in time independent of where they differ, so the check leaks nothing about the expected MAC. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Whether `header` signs `body` with `secret`, at most `toleranceSeconds` from `nowMs` (a receiver's check). */
export async function verifySignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  nowMs = Date.now(),
  toleranceSeconds = 300,
): Promise<boolean> {
  const parts = new Map(
    (header ?? '').split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isSafeInteger(t) || !v1 || Math.abs(nowMs / 1000 - t) > toleranceSeconds) return false;
  return sameText(await hmacHex(secret, `${t}.${body}`), v1);
}
