// Web sessions, shared by the console (/admin) and the storefront's pages: the API's own tokens kept in cookies
// the page's scripts cannot read (__Host- prefix, HttpOnly, Secure, Path=/, SameSite as the site says), and a
// session id cookie the CSRF tokens are derived from (web/csrf.ts). An access token that has expired (its cookie
// lives as long as the token) is replaced server-side with the refresh cookie, which the API rotates; a refresh
// the API refuses (401: expired, revoked, reused; 400) ends the session, one it cannot answer now (429, 5xx,
// timeout) keeps the cookies and answers UNAVAILABLE. Sign-in, refresh and sign-out are the API's /v1/auth routes
// (docs/identity.md). Each site makes its own set with webSessions(): its cookie names, its SameSite.
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { authKeys, type Identity, verifyAccessToken } from '../../../../lib/auth/tokens';
import type { Schemas, StorefrontClient } from '../../../../lib/client';
import { log } from '../../../../lib/log';
import { gatewayConfig } from '../config';
import { apiOf, type WebContext } from './api';
import { newSessionId } from './csrf';

export interface WebSession {
  identity: Identity;
  accessToken: string;
  /** The session id the CSRF tokens are derived from. */
  sid: string;
}

/** The API could not answer the refresh now (429, 5xx, timeout): the session is kept, the request answered 503. */
export const UNAVAILABLE = 'unavailable' as const;

export interface SessionSpec {
  /** Cookie names without their prefix; hono adds `__Host-` and enforces Secure, Path=/ and no Domain. */
  names: { access: string; refresh: string; sid: string };
  sameSite: 'Strict' | 'Lax';
  /** Whether the site's API calls are its own traffic, kept out of the figures (web/api.ts). */
  own: boolean;
  /** The site's name in log lines. */
  label: string;
}

const validSid = (sid: string) => /^[A-Za-z0-9_-]{22}$/.test(sid);

export function webSessions(spec: SessionSpec) {
  const { names } = spec;
  const cookie = { prefix: 'host', httpOnly: true, secure: true, sameSite: spec.sameSite, path: '/' } as const;
  const api = (c: WebContext) => apiOf(c, undefined, { own: spec.own });

  const sessionIdOf = (c: WebContext): string | undefined => getCookie(c, names.sid, 'host');
  const refreshTokenOf = (c: WebContext): string | undefined => getCookie(c, names.refresh, 'host');

  /** The session id cookie, made when missing (a form's CSRF token needs one before any session). */
  function ensureSessionId(c: WebContext): string {
    const sid = sessionIdOf(c);
    if (sid && validSid(sid)) return sid;
    const fresh = newSessionId();
    setCookie(c, names.sid, fresh, cookie);
    return fresh;
  }

  /** Keeps a session the API issued or rotated; a new session id at sign-in (a planted one is never kept). */
  function keepSession(c: WebContext, s: Schemas['Session'], opts: { newSid: boolean }): string {
    const refreshSeconds = gatewayConfig(c.env).REFRESH_TOKEN_TTL_DAYS * 86_400;
    setCookie(c, names.access, s.accessToken, { ...cookie, maxAge: s.expiresIn });
    setCookie(c, names.refresh, s.refreshToken, { ...cookie, maxAge: refreshSeconds });
    // The session id slides with the refresh cookie: it must not expire while the refresh token still lives.
    const current = sessionIdOf(c);
    const sid = !opts.newSid && current && validSid(current) ? current : newSessionId();
    setCookie(c, names.sid, sid, { ...cookie, maxAge: refreshSeconds });
    return sid;
  }

  function clearSession(c: WebContext): void {
    for (const name of Object.values(names)) deleteCookie(c, name, cookie);
  }

  /**
   * Clears the cookies of a session that cannot go on; a refresh token they still hold is revoked first (its
   * family would otherwise stay valid for REFRESH_TOKEN_TTL_DAYS, usable by whoever copied the cookie).
   */
  async function endSession(c: WebContext): Promise<void> {
    const refreshToken = refreshTokenOf(c);
    if (refreshToken) {
      try {
        await api(c).POST('/v1/auth/logout', { body: { refreshToken } });
      } catch (err) {
        log.warn(`${spec.label}: revoking a dropped session failed`, { error: String(err) });
      }
    }
    clearSession(c);
  }

  /**
   * The signed-in session: the access cookie if its token verifies, else a rotation of the refresh cookie through
   * the API. Undefined when there is none (cookies that no longer open anything are cleared); UNAVAILABLE when the
   * API could not rotate the refresh token now (the cookies are kept for the next try).
   */
  async function resolveSession(c: WebContext): Promise<WebSession | undefined | typeof UNAVAILABLE> {
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
      answer = await api(c).POST('/v1/auth/refresh', { body: { refreshToken } });
    } catch (err) {
      log.warn(`${spec.label}: session refresh failed`, { error: String(err) });
      return UNAVAILABLE;
    }
    const { data, response } = answer as { data?: Schemas['Session']; response: Response };
    // 401 (INVALID_REFRESH_TOKEN, REFRESH_TOKEN_REUSED) ends the session; so does a 400 (a cookie that can never
    // be a token). A 429 or a 5xx says nothing about the token: keep it and try again on the next request.
    if (!data && (response.status === 429 || response.status >= 500)) return UNAVAILABLE;
    const identity = data && (await verifyAccessToken(await authKeys(c.env), data.accessToken));
    if (!data || !identity) {
      clearSession(c);
      return undefined;
    }
    keepSession(c, data, { newSid: false });
    return { identity, accessToken: data.accessToken, sid };
  }

  return {
    sessionIdOf,
    refreshTokenOf,
    ensureSessionId,
    keepSession,
    clearSession,
    endSession,
    resolveSession,
    /** The set's cookie attributes, for cookies of its own the site keeps beside the session. */
    cookie,
  };
}
