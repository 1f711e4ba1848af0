// CSRF protection of the web pages' forms (the console's and the storefront's), three layers: the session cookies
// are SameSite (Strict for the console, Lax for the storefront: web/session.ts); every POST must come from this
// origin (Origin and Sec-Fetch-Site, when the browser sends them, which every current one does on a form POST); and
// every form carries a token, HMAC-SHA256(CONSOLE_SESSION_SECRET, scope + session id), checked here. The scope keeps
// the two sites' tokens apart: a storefront token never opens a console form.
// The session id is a cookie of its own, not the refresh token: that one rotates every access-token life (15 min),
// which would refuse the forms of a page left open (the ops page is); the id lives as long as the session and is
// replaced at sign-in (no fixation) and dropped at sign-out.
import { hmacKey } from '../../../../lib/hmac';

const encoder = new TextEncoder();

const toBase64Url = (bytes: ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined;
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  // atob ignores the last character's two padding bits: only the one canonical spelling of a token is accepted.
  return toBase64Url(bytes.buffer) === text ? bytes : undefined;
}

/** A new session id: 128 random bits, base64url. */
export function newSessionId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)).buffer);
}

/** Whose forms a token is for: the same session id never gives one site's token to the other. */
export type CsrfScope = 'console' | 'shop';

/** The token the forms of session `sid` carry. */
export async function csrfToken(secret: string, sid: string, scope: CsrfScope = 'console'): Promise<string> {
  return toBase64Url(await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(`${scope}-csrf:${sid}`)));
}

/** Whether `token` is the one of session `sid` (compared in constant time by the HMAC verification itself). */
export async function csrfTokenValid(
  secret: string,
  sid: string | undefined,
  token: unknown,
  scope: CsrfScope = 'console',
): Promise<boolean> {
  if (!sid || typeof token !== 'string') return false;
  const mac = fromBase64Url(token);
  if (!mac) return false;
  return crypto.subtle.verify('HMAC', await hmacKey(secret), mac, encoder.encode(`${scope}-csrf:${sid}`));
}

/**
 * Whether a POST comes from a page of this origin, as far as the browser says: `Sec-Fetch-Site` must be
 * `same-origin` and `Origin` this origin, each when present. A client that sends neither is not a browser, so
 * carries no victim's cookies; the token still applies to it.
 */
export function sameOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin') return false;
  const origin = request.headers.get('origin');
  return origin === null || origin === new URL(request.url).origin;
}
