// Read-your-writes: a consistency token carrying the WAL position (LSN) of a client's last write, read on the primary
// after the write committed. The gateway issues it after a merchant's write (`x-read-after` on the answer, and a
// cookie for the console's pages) and verifies it on the client's later requests; a verified position travels with
// the trace (lib/trace.ts `readAfter`), and every routed read (lib/db/replicas.ts) then reads only from a replica
// that has replayed it, waits at most READ_AFTER_WAIT_MS for one, else reads the primary. A token of a catalog write
// (scope `catalog`) also keys the catalog's cache on it when it is newer than the generation it knows
// (docs/architecture.md#read-your-writes).
//
// Format: `v2.<scope>.<lsn>.<expires: epoch seconds>.<HMAC-SHA256, base64url>`, scope `catalog` or `other`. The MAC
// covers the visible fields and two that are not carried: the subject of the writer (the verified identity's `sub`)
// and the database's system identifier (pg_control_system()), so a token is believed only from the client that
// wrote, about the database it wrote to. Verification is strict (one canonical spelling, an expiry in the future but
// not past the TTL, a valid MAC for this subject and system), and a token that fails it is ignored: the read is then
// routed as any other, so a forged, lent or stale token can never make the server wait, and a token made under a
// rotated secret (or an old `v1.` token) costs a client nothing but freshness.
import { lsnToBigInt } from '../catalog/generation';
import { hmacKey } from '../hmac';

const encoder = new TextEncoder();
const SCOPE = 'read-after:';
const TOKEN = /^v2\.(catalog|other)\.([0-9A-F]{1,8}\/[0-9A-F]{1,8})\.([1-9][0-9]{9})\.([A-Za-z0-9_-]{43})$/;
/** A header or cookie longer than this is not looked at. */
const MAX_LENGTH = 96;

export const READ_AFTER_HEADER = 'x-read-after';
export const READ_AFTER_COOKIE = 'read_after';

/**
 * What a write changed, as far as reads care: `catalog` (it published a catalog generation: its token also makes the
 * catalog's cached answers from before it unreachable for the client), or `other` (orders, stock, webhooks, ...: its
 * token routes the client's database reads, and the catalog's caches serve them as anyone).
 */
export type ReadAfterScope = 'catalog' | 'other';

/** What a token is bound to, signed in but not carried. */
export interface ReadAfterBinding {
  /** The writer's verified subject (`sub`). */
  subject: string;
  /** The database's system identifier (pg_control_system().system_identifier, as text). */
  system: string;
}

/** A token's visible fields, read without its key (the MAC is checked by verifyReadAfter). */
export interface ReadAfterClaim {
  scope: ReadAfterScope;
  lsn: string;
  /** When it was made (ms, to the second): its expiry less the TTL. */
  issuedAt: number;
}

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

/** What the MAC covers: the visible fields, then the binding (JSON: no separator can be smuggled in a subject). */
const signed = (body: string, { subject, system }: ReadAfterBinding) =>
  encoder.encode(SCOPE + JSON.stringify([body, subject, system]));

/** A token for a write at `lsn` by `binding.subject`, valid for `ttlSeconds` from `now` (ms). */
export async function signReadAfter(
  secret: string,
  write: { lsn: string; scope: ReadAfterScope },
  binding: ReadAfterBinding,
  ttlSeconds: number,
  now = Date.now(),
): Promise<string> {
  const body = `v2.${write.scope}.${canonicalLsn(write.lsn)}.${Math.floor(now / 1000) + ttlSeconds}`;
  const sig = await crypto.subtle.sign('HMAC', await hmacKey(secret), signed(body, binding));
  return `${body}.${toBase64Url(sig)}`;
}

/**
 * A token's visible fields when it is well-formed, in its canonical spelling, unexpired and not valid for longer than
 * `ttlSeconds` (made under other settings); undefined otherwise. Says nothing of its MAC.
 */
export function parseReadAfter(
  token: string | undefined,
  ttlSeconds: number,
  now = Date.now(),
): ReadAfterClaim | undefined {
  if (!token || token.length > MAX_LENGTH) return undefined;
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const [, scope, lsn, expires] = m as unknown as [string, ReadAfterScope, string, string];
  const left = Number(expires) - now / 1000;
  if (left <= 0 || left > ttlSeconds + 1) return undefined;
  if (canonicalLsn(lsn) !== lsn) return undefined;
  return { scope, lsn, issuedAt: (Number(expires) - ttlSeconds) * 1000 };
}

/**
 * The claim of a token that parses (parseReadAfter) and is signed with `secret` for this subject and database;
 * undefined otherwise.
 */
export async function verifyReadAfter(
  secret: string,
  token: string | undefined,
  binding: ReadAfterBinding,
  ttlSeconds: number,
  now = Date.now(),
): Promise<ReadAfterClaim | undefined> {
  const claim = parseReadAfter(token, ttlSeconds, now);
  if (!claim || !token) return undefined;
  const dot = token.lastIndexOf('.');
  const bytes = fromBase64Url(token.slice(dot + 1));
  if (!bytes) return undefined;
  const ok = await crypto.subtle.verify('HMAC', await hmacKey(secret), bytes, signed(token.slice(0, dot), binding));
  return ok ? claim : undefined;
}

/** The later of two LSNs (either may be absent). */
export function laterLsn(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return lsnToBigInt(b) > lsnToBigInt(a) ? b : a;
}
