// Console sessions: the web session mechanism (web/session.ts) with the console's cookies, SameSite=Strict (nothing
// links into the console from elsewhere that must keep a session), and its in-process calls to the API (web/api.ts)
// marked as its own traffic, kept out of the figures the ops page shows. Sign-in, refresh and sign-out are the API's
// /v1/auth routes (docs/identity.md); the pages a missing or unrenewable session gets are here.
import type { Context, MiddlewareHandler } from 'hono';
import type { Role } from '../../../../db/schema/identity';
import type { Schemas, StorefrontClient } from '../../../../lib/client';
import type { GatewayApp, GatewayVars } from '../types';
import { API_TIMEOUT_MS, type AppFetch, apiOf as webApiOf } from '../web/api';
import { UNAVAILABLE, type WebSession, webSessions } from '../web/session';

export type { AppFetch } from '../web/api';
export { API_TIMEOUT_MS, untilAborted } from '../web/api';
export { UNAVAILABLE } from '../web/session';

export type ConsoleSession = WebSession;

export interface ConsoleApp {
  Bindings: GatewayApp['Bindings'];
  Variables: GatewayVars & { appFetch: AppFetch; session?: ConsoleSession };
}
export type ConsoleContext = Context<ConsoleApp>;

const sessions = webSessions({
  names: { access: 'console-access', refresh: 'console-refresh', sid: 'console-sid' },
  sameSite: 'Strict',
  own: true,
  label: 'console',
});

const rank: Record<Role, number> = { guest: 0, customer: 1, merchant: 2, admin: 3 };
export const roleAtLeast = (role: Role, min: Role) => rank[role] >= rank[min];

/** The typed API client, in-process, as the holder of `token` (or anonymous): the console's own traffic. */
export const apiOf = (c: ConsoleContext, token?: string, timeoutMs = API_TIMEOUT_MS): StorefrontClient =>
  webApiOf(c, token, { timeoutMs, own: true });

export const sessionIdOf = (c: ConsoleContext) => sessions.sessionIdOf(c);
/** The session id cookie, made when missing (the sign-in form's CSRF token needs one before any session). */
export const ensureSessionId = (c: ConsoleContext) => sessions.ensureSessionId(c);
/** Keeps a session the API issued or rotated; a new session id at sign-in (a planted one is never kept). */
export const keepSession = (c: ConsoleContext, s: Schemas['Session'], opts: { newSid: boolean }) =>
  sessions.keepSession(c, s, opts);
export const clearSession = (c: ConsoleContext) => sessions.clearSession(c);
export const refreshTokenOf = (c: ConsoleContext) => sessions.refreshTokenOf(c);
export const resolveSession = (c: ConsoleContext) => sessions.resolveSession(c);

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
