// Read-your-writes: a consistency token carrying the WAL position (LSN) of a client's last write, read on the primary
// after the write committed. The gateway issues it after a merchant's write (`x-read-after` on the answer, and a
// cookie for the console's pages) and verifies it on the client's later requests; a verified position travels with
// the trace (lib/trace.ts `readAfter`), and every routed read (lib/db/replicas.ts) then reads only from a replica
// that has replayed it, waits at most READ_AFTER_WAIT_MS for one, else reads the primary. The catalog keys its cache
// on it when it is newer than the generation it knows (docs/architecture.md#read-your-writes).
//
// Format: `v1.<lsn>.<expires: epoch seconds>.<HMAC-SHA256(secret, "read-after:v1.<lsn>.<expires>"), base64url>`.
// Verification is strict (one canonical spelling, an expiry in the future but not past the TTL, a valid signature),
// and a token that fails it is ignored: the read is then routed as any other, so a forged or stale token can never
// make the server wait, and a token made under a rotated secret costs a client nothing but freshness.
import { lsnToBigInt } from '../catalog/generation';
import { hmacKey } from '../hmac';

const encoder = new TextEncoder();
const SCOPE = 'read-after:';
const TOKEN = /^v1\.([0-9A-F]{1,8}\/[0-9A-F]{1,8})\.([1-9][0-9]{9})\.([A-Za-z0-9_-]{43})$/;
/** A header or cookie longer than this is not looked at. */
const MAX_LENGTH = 80;

export const READ_AFTER_HEADER = 'x-read-after';
export const READ_AFTER_COOKIE = 'read_after';

const toBase64Url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  const bytes = Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (ch) => ch.charCodeAt(0));
  // atob ignores the last character's padding bits: only the canonical spelling is accepted.
  return toBase64Url(bytes) === text ? bytes : undefined;
}

/** An LSN in the one spelling tokens use: upper-case hex, no leading zeros ("16/B374D848"). */
export function canonicalLsn(lsn: string): string {
  const n = lsnToBigInt(lsn);
  return `${(n >> 32n).toString(16).toUpperCase()}/${(n & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** A token for `lsn`, valid for `ttlSeconds` from `now` (ms). */
export async function signReadAfter(
  secret: string,
  lsn: string,
  ttlSeconds: number,
  now = Date.now(),
): Promise<string> {
  const body = `v1.${canonicalLsn(lsn)}.${Math.floor(now / 1000) + ttlSeconds}`;
  const sig = await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(SCOPE + body));
  return `${body}.${toBase64Url(sig)}`;
}

/**
 * The LSN a token carries, or undefined when it is absent, malformed, expired, valid for longer than `ttlSeconds`
 * (made under other settings) or not signed with `secret`.
 */
export async function verifyReadAfter(
  secret: string,
  token: string | undefined,
  ttlSeconds: number,
  now = Date.now(),
): Promise<string | undefined> {
  if (!token || token.length > MAX_LENGTH) return undefined;
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const [, lsn, expires, sig] = m as unknown as [string, string, string, string];
  const left = Number(expires) - now / 1000;
  if (left <= 0 || left > ttlSeconds + 1) return undefined;
  if (canonicalLsn(lsn) !== lsn) return undefined;
  const bytes = fromBase64Url(sig);
  if (!bytes) return undefined;
  const body = token.slice(0, token.length - sig.length - 1);
  const ok = await crypto.subtle.verify('HMAC', await hmacKey(secret), bytes, encoder.encode(SCOPE + body));
  return ok ? lsn : undefined;
}

/** The later of two LSNs (either may be absent). */
export function laterLsn(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return lsnToBigInt(b) > lsnToBigInt(a) ? b : a;
}
