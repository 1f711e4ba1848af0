// Console sessions: the API's own tokens, kept in cookies the page's scripts cannot read (__Host- prefix, HttpOnly,
// Secure, SameSite=Strict, Path=/), and the console's calls to the API, made in-process through the gateway's own
// app with the typed client: validation, roles, rate limits, figures and the audit log are the API's, never a
// second path. An access token that has expired (its cookie lives as long as the token) is replaced server-side
// with the refresh cookie, which the API rotates; a refresh the API refuses (401: expired, revoked, reused) ends the
// session, one it cannot answer now (429, 5xx, timeout) keeps the cookies and answers 503 (the page's script
// retries). Sign-in, refresh and sign-out are the API's /v1/auth routes (docs/identity.md).
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Role } from '../../../../db/schema/identity';
import { authKeys, type Identity, verifyAccessToken } from '../../../../lib/auth/tokens';
import { createStorefrontClient, type Schemas, type StorefrontClient } from '../../../../lib/client';
import { log } from '../../../../lib/log';
import { outgoingTrace } from '../../../../lib/trace';
import { gatewayConfig } from '../config';
import { markOwnRequest } from '../middleware/own-requests';
import type { GatewayApp, GatewayBindings, GatewayVars } from '../types';
import { newSessionId } from './csrf';

/** The gateway app's fetch, handed in by app.ts (the console is mounted on that app: no import cycle). */
export type AppFetch = (request: Request, env: GatewayBindings, ctx: ExecutionContext) => Response | Promise<Response>;

export interface ConsoleSession {
  identity: Identity;
  accessToken: string;
  /** The session id the CSRF tokens are derived from. */
  sid: string;
}

export interface ConsoleApp {
  Bindings: GatewayApp['Bindings'];
  Variables: GatewayVars & { appFetch: AppFetch; session?: ConsoleSession };
}
export type ConsoleContext = Context<ConsoleApp>;

/** Cookie names without their prefix; hono adds `__Host-` and enforces Secure, Path=/ and no Domain. */
const names = { access: 'console-access', refresh: 'console-refresh', sid: 'console-sid' } as const;
const cookie = { prefix: 'host', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' } as const;

const rank: Record<Role, number> = { guest: 0, customer: 1, merchant: 2, admin: 3 };
export const roleAtLeast = (role: Role, min: Role) => rank[role] >= rank[min];

/** How long the console waits for one in-process API call. */
export const API_TIMEOUT_MS = 10_000;

/**
 * `answer`, or the abort of `signal` if it comes first. The in-process call (app.fetch) never looks at the
 * request's signal, so without this race the client's timeout would never end a call that hangs.
 */
export function untilAborted<T>(answer: T | Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(answer).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** The typed API client, in-process, as the holder of `token` (or anonymous), from the browser's address. */
export function apiOf(c: ConsoleContext, token?: string, timeoutMs = API_TIMEOUT_MS): StorefrontClient {
  let ctx: ExecutionContext;
  try {
    ctx = c.executionCtx as ExecutionContext;
  } catch {
    // app.request() in a test has none; the API's waitUntil work (figures) then runs unawaited.
    ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
  }
  const address = c.req.header('cf-connecting-ip');
  // The page's span: each API call is a child of it, so one trace holds the page and every call it made.
  const traceparent = outgoingTrace()?.traceparent;
  return createStorefrontClient(new URL(c.req.url).origin, {
    token,
    headers: {
      // The browser's address, so the API's per-address limits (sign-in) count the browser, not the gateway.
      ...(address ? { 'cf-connecting-ip': address } : {}),
      ...(traceparent ? { traceparent } : {}),
      // Kept by the API as the correlation id of its request: the page's request id in the API's log lines.
      'x-request-id': c.get('requestId'),
    },
    timeoutMs,
    // Marked as the console's own: its figures are kept apart from the traffic it shows (middleware/own-requests.ts).
    fetch: async (request) => untilAborted(c.get('appFetch')(markOwnRequest(request), c.env, ctx), request.signal),
  });
}

export function sessionIdOf(c: ConsoleContext): string | undefined {
  return getCookie(c, names.sid, 'host');
}

/** The session id cookie, made when missing (the sign-in form's CSRF token needs one before any session). */
export function ensureSessionId(c: ConsoleContext): string {
  const sid = sessionIdOf(c);
  if (sid && validSid(sid)) return sid;
  const fresh = newSessionId();
  setCookie(c, names.sid, fresh, cookie);
  return fresh;
}

/** Keeps a session the API issued or rotated; a new session id at sign-in (a planted one is never kept). */
export function keepSession(c: ConsoleContext, s: Schemas['Session'], opts: { newSid: boolean }): string {
  const refreshSeconds = gatewayConfig(c.env).REFRESH_TOKEN_TTL_DAYS * 86_400;
  setCookie(c, names.access, s.accessToken, { ...cookie, maxAge: s.expiresIn });
  setCookie(c, names.refresh, s.refreshToken, { ...cookie, maxAge: refreshSeconds });
  // The session id slides with the refresh cookie: it must not expire while the refresh token still lives.
  const current = sessionIdOf(c);
  const sid = !opts.newSid && current && validSid(current) ? current : newSessionId();
  setCookie(c, names.sid, sid, { ...cookie, maxAge: refreshSeconds });
  return sid;
}

const validSid = (sid: string) => /^[A-Za-z0-9_-]{22}$/.test(sid);

export function clearSession(c: ConsoleContext): void {
  for (const name of Object.values(names)) deleteCookie(c, name, cookie);
}

/**
 * Clears the cookies of a session that cannot go on; a refresh token they still hold is revoked first (its family
 * would otherwise stay valid for REFRESH_TOKEN_TTL_DAYS, usable by whoever copied the cookie).
 */
async function endSession(c: ConsoleContext): Promise<void> {
  const refreshToken = refreshTokenOf(c);
  if (refreshToken) {
    try {
      await apiOf(c).POST('/v1/auth/logout', { body: { refreshToken } });
    } catch (err) {
      log.warn('console: revoking a dropped session failed', { error: String(err) });
    }
  }
  clearSession(c);
}

export function refreshTokenOf(c: ConsoleContext): string | undefined {
  return getCookie(c, names.refresh, 'host');
}

/** The API could not answer the refresh now (429, 5xx, timeout): the session is kept, the request answered 503. */
export const UNAVAILABLE = 'unavailable' as const;

/**
 * The signed-in session: the access cookie if its token verifies, else a rotation of the refresh cookie through
 * the API. Undefined when there is none (cookies that no longer open anything are cleared); UNAVAILABLE when the
 * API could not rotate the refresh token now (the cookies are kept for the next try).
 */
export async function resolveSession(c: ConsoleContext): Promise<ConsoleSession | undefined | typeof UNAVAILABLE> {
  const access = getCookie(c, names.access, 'host');
  const sid = sessionIdOf(c);
  if (access && sid) {
    const identity = await verifyAccessToken(await authKeys(c.env), access);
    if (identity) return { identity, accessToken: access, sid };
  }
  const refreshToken = refreshTokenOf(c);
  if (!refreshToken || !sid) {
    if (access || refreshToken) await endSession(c);
    return undefined;
  }
  let answer: Awaited<ReturnType<StorefrontClient['POST']>>;
  try {
    answer = await apiOf(c).POST('/v1/auth/refresh', { body: { refreshToken } });
  } catch (err) {
    log.warn('console: session refresh failed', { error: String(err) });
    return UNAVAILABLE;
  }
  const { data, response } = answer as { data?: Schemas['Session']; response: Response };
  // 401 (INVALID_REFRESH_TOKEN, REFRESH_TOKEN_REUSED) ends the session; so does a 400 (a cookie that can never be
  // a token). A 429 or a 5xx says nothing about the token: keep it and try again on the next request.
  if (!data && (response.status === 429 || response.status >= 500)) return UNAVAILABLE;
  const identity = data && (await verifyAccessToken(await authKeys(c.env), data.accessToken));
  if (!data || !identity) {
    clearSession(c);
    return undefined;
  }
  keepSession(c, data, { newSid: false });
  return { identity, accessToken: data.accessToken, sid };
}

/**
 * Pages of role `min` or above. Without a session: a page goes to the sign-in form, a fragment the script asks
 * for answers 401 (the script then loads the sign-in page). Below `min`: the 403 page `forbidden` renders. When
 * the session could not be refreshed now: `unavailable` renders a 503 (a fragment gets an empty 503 the script
 * retries), the cookies kept.
 */
export function requireSession(
  min: Role,
  pages: {
    forbidden: (c: ConsoleContext, min: Role) => Response | Promise<Response>;
    unavailable: (c: ConsoleContext) => Response | Promise<Response>;
  },
): MiddlewareHandler<ConsoleApp> {
  return async function consoleSessionMiddleware(c, next) {
    // Resolved once per request: an earlier check (an upload's, before its body is read) is not repeated, which
    // would rotate an expired session's refresh token twice.
    const session = c.get('session') ?? (await resolveSession(c));
    if (session === UNAVAILABLE) {
      c.header('retry-after', '5');
      if (c.req.query('part')) return c.body(null, 503);
      return pages.unavailable(c);
    }
    if (!session) {
      if (c.req.query('part')) return c.body(null, 401);
      return c.redirect('/admin/sign-in', 303);
    }
    c.set('session', session);
    if (!roleAtLeast(session.identity.role, min)) return pages.forbidden(c, min);
    await next();
  };
}
