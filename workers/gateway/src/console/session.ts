// Console sessions: the API's own tokens, kept in cookies the page's scripts cannot read (__Host- prefix, HttpOnly,
// Secure, SameSite=Strict, Path=/), and the console's calls to the API, made in-process through the gateway's own
// app with the typed client: validation, roles, rate limits, figures and the audit log are the API's, never a
// second path. An access token that has expired (its cookie lives as long as the token) is replaced server-side
// with the refresh cookie, which the API rotates; a refresh the API refuses (expired, revoked, reused) ends the
// session. Sign-in, refresh and sign-out are the API's /v1/auth routes (docs/identity.md).
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Role } from '../../../../db/schema/identity';
import { authKeys, type Identity, verifyAccessToken } from '../../../../lib/auth/tokens';
import { createStorefrontClient, type Schemas, type StorefrontClient } from '../../../../lib/client';
import { outgoingTrace } from '../../../../lib/trace';
import { gatewayConfig } from '../config';
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

/** The typed API client, in-process, as the holder of `token` (or anonymous), from the browser's address. */
export function apiOf(c: ConsoleContext, token?: string): StorefrontClient {
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
    timeoutMs: 10_000,
    fetch: async (request) => c.get('appFetch')(request, c.env, ctx),
  });
}

export function sessionIdOf(c: ConsoleContext): string | undefined {
  return getCookie(c, names.sid, 'host');
}

/** The session id cookie, made when missing (the sign-in form's CSRF token needs one before any session). */
export function ensureSessionId(c: ConsoleContext): string {
  const sid = sessionIdOf(c);
  if (sid && /^[A-Za-z0-9_-]{22}$/.test(sid)) return sid;
  const fresh = newSessionId();
  setCookie(c, names.sid, fresh, cookie);
  return fresh;
}

/** Keeps a session the API issued or rotated; a new session id at sign-in (a planted one is never kept). */
export function keepSession(c: ConsoleContext, s: Schemas['Session'], opts: { newSid: boolean }): string {
  const refreshSeconds = gatewayConfig(c.env).REFRESH_TOKEN_TTL_DAYS * 86_400;
  setCookie(c, names.access, s.accessToken, { ...cookie, maxAge: s.expiresIn });
  setCookie(c, names.refresh, s.refreshToken, { ...cookie, maxAge: refreshSeconds });
  if (!opts.newSid) return ensureSessionId(c);
  const sid = newSessionId();
  setCookie(c, names.sid, sid, { ...cookie, maxAge: refreshSeconds });
  return sid;
}

export function clearSession(c: ConsoleContext): void {
  for (const name of Object.values(names)) deleteCookie(c, name, cookie);
}

export function refreshTokenOf(c: ConsoleContext): string | undefined {
  return getCookie(c, names.refresh, 'host');
}

/**
 * The signed-in session: the access cookie if its token verifies, else a rotation of the refresh cookie through
 * the API. Undefined when there is none (cookies that no longer open anything are cleared).
 */
export async function resolveSession(c: ConsoleContext): Promise<ConsoleSession | undefined> {
  const access = getCookie(c, names.access, 'host');
  const sid = sessionIdOf(c);
  if (access && sid) {
    const identity = await verifyAccessToken(await authKeys(c.env), access);
    if (identity) return { identity, accessToken: access, sid };
  }
  const refreshToken = refreshTokenOf(c);
  if (!refreshToken || !sid) {
    if (access || refreshToken) clearSession(c);
    return undefined;
  }
  const { data } = await apiOf(c).POST('/v1/auth/refresh', { body: { refreshToken } });
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
 * for answers 401 (the script then loads the sign-in page). Below `min`: the 403 page `forbidden` renders.
 */
export function requireSession(
  min: Role,
  forbidden: (c: ConsoleContext, min: Role) => Response | Promise<Response>,
): MiddlewareHandler<ConsoleApp> {
  return async function consoleSessionMiddleware(c, next) {
    const session = await resolveSession(c);
    if (!session) {
      if (c.req.query('part')) return c.body(null, 401);
      return c.redirect('/admin/sign-in', 303);
    }
    c.set('session', session);
    if (!roleAtLeast(session.identity.role, min)) return forbidden(c, min);
    await next();
  };
}
