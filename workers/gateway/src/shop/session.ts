// The shopper's session: the web session mechanism (web/session.ts) with the storefront's cookies, SameSite=Lax so
// a shopper who arrives from a link on another site (an email, a search result, an ad) keeps their cart and
// sign-in on that first page (Strict would send no cookie on it); CSRF is still refused by the origin check and
// the token (web/csrf.ts, scope "shop"). No token is readable by the page's script (HttpOnly): every call to the
// API is made server-side, in-process (web/api.ts), and counted in the figures like any shopper's call.
//
// A guest session (POST /v1/auth/guest) is started lazily by ensureShopper, on the first cart action, never on a
// page view. Two hint cookies (HttpOnly too) let a cached page show the personal parts without a call: the cart's
// item count (kept by whatever changes the cart: keepCartCount) and whether a customer is signed in. They are for
// display only; every action checks the real session.
//
// What the other storefront pages call: currentShopper, ensureShopper, keepShopperSession (after sign-in or
// registration), endShopperSession / clearShopperSession, shopApi, keepCartCount, shopCsrf, checkedShopForm.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Schemas, StorefrontClient } from '../../../../lib/client';
import { log } from '../../../../lib/log';
import { gatewayConfig } from '../config';
import type { GatewayApp, GatewayVars } from '../types';
import { type AppFetch, apiOf } from '../web/api';
import { webConfig } from '../web/config';
import { csrfToken } from '../web/csrf';
import { readCheckedForm } from '../web/forms';
import { UNAVAILABLE, type WebSession, webSessions } from '../web/session';

export { UNAVAILABLE } from '../web/session';
export type Shopper = WebSession;

export interface ShopApp {
  Bindings: GatewayApp['Bindings'];
  Variables: GatewayVars & { appFetch: AppFetch; shopper?: Shopper | typeof UNAVAILABLE | null };
}
export type ShopContext = Context<ShopApp>;

const sessions = webSessions({
  names: { access: 'shop-access', refresh: 'shop-refresh', sid: 'shop-sid' },
  sameSite: 'Lax',
  own: false,
  label: 'shop',
});
const hints = { cart: 'shop-cart', customer: 'shop-customer' } as const;

/** The typed API client, in-process, as the shopper holding `token` (or anonymous). */
export const shopApi = (c: ShopContext, token?: string): StorefrontClient => apiOf(c, token, { own: false });

/**
 * The shopper of this request: a verified (or refreshed) session, undefined when there is none, UNAVAILABLE when
 * the API could not renew it now (the cookies are kept). Resolved once per request.
 */
export async function currentShopper(c: ShopContext): Promise<Shopper | undefined | typeof UNAVAILABLE> {
  const known = c.get('shopper');
  if (known !== undefined) return known ?? undefined;
  const resolved = await sessions.resolveSession(c);
  if (resolved === undefined) clearHints(c);
  c.set('shopper', resolved ?? null);
  return resolved;
}

/** Why no shopper session could be had now: the status and words the page shows. */
export interface NoSession {
  status: 429 | 503;
  message: string;
  retryAfter?: string;
}

/**
 * The shopper of this request, or a new guest session when there is none (the first cart action). A guest keeps
 * the browser's session id (the forms of its other tabs stay valid); signing in replaces it (keepShopperSession).
 */
export async function ensureShopper(c: ShopContext): Promise<Shopper | NoSession> {
  const current = await currentShopper(c);
  if (current === UNAVAILABLE) return unavailable;
  if (current) return current;
  let answer: Awaited<ReturnType<StorefrontClient['POST']>>;
  try {
    answer = await shopApi(c).POST('/v1/auth/guest');
  } catch (err) {
    log.warn('shop: starting a guest session failed', { error: String(err) });
    return unavailable;
  }
  const { data, response } = answer as { data?: Schemas['Session']; response: Response };
  if (!data) {
    if (response.status === 429) {
      const retryAfter = response.headers.get('retry-after') ?? undefined;
      return {
        status: 429,
        message: `Too many new carts from your network: try again in ${retryAfter ?? 'a few'} seconds.`,
        retryAfter,
      };
    }
    return unavailable;
  }
  const sid = keepShopperSession(c, data, { newSid: false });
  const shopper: Shopper = { identity: { sub: data.subject, role: data.role }, accessToken: data.accessToken, sid };
  c.set('shopper', shopper);
  return shopper;
}
const unavailable: NoSession = {
  status: 503,
  message: 'Your cart cannot be reached right now; nothing was changed. Try again in a few seconds.',
  retryAfter: '5',
};

/**
 * Keeps a session the API issued (a guest's, or a customer's after sign-in or registration: newSid true, so a
 * session id from before never carries over). Returns the session id the forms' tokens now derive from.
 */
export function keepShopperSession(c: ShopContext, s: Schemas['Session'], opts: { newSid: boolean }): string {
  const sid = sessions.keepSession(c, s, opts);
  const maxAge = gatewayConfig(c.env).REFRESH_TOKEN_TTL_DAYS * 86_400;
  if (s.role === 'guest') {
    if (getCookie(c, hints.customer, 'host') !== undefined) deleteCookie(c, hints.customer, sessions.cookie);
  } else setCookie(c, hints.customer, '1', { ...sessions.cookie, maxAge });
  return sid;
}

/**
 * Keeps a customer's new session (a sign-in or a registration) in place of the one this browser held, a guest's or
 * another sign-in's: that one's refresh token is revoked through the API, not left alive until it expires (as the
 * console's sign-in does). A revocation that fails is logged; the sign-in goes on.
 */
export async function replaceShopperSession(c: ShopContext, s: Schemas['Session']): Promise<string> {
  const previous = sessions.refreshTokenOf(c);
  if (previous && previous !== s.refreshToken) {
    try {
      await shopApi(c).POST('/v1/auth/logout', { body: { refreshToken: previous } });
    } catch (err) {
      log.warn('shop: revoking the session replaced by a sign-in failed', { error: String(err) });
    }
  }
  return keepShopperSession(c, s, { newSid: true });
}

/** Signs the shopper out: the refresh token is revoked through the API, then every cookie cleared. */
export async function endShopperSession(c: ShopContext): Promise<void> {
  await sessions.endSession(c);
  clearHints(c);
  c.set('shopper', null);
}

/** Clears every storefront cookie (a session the API already ended). */
export function clearShopperSession(c: ShopContext): void {
  sessions.clearSession(c);
  clearHints(c);
  c.set('shopper', null);
}

function clearHints(c: ShopContext) {
  for (const name of Object.values(hints))
    if (getCookie(c, name, 'host') !== undefined) deleteCookie(c, name, sessions.cookie);
}

/** Keeps the cart's item count (the sum of its lines' quantities) for the header of every page. */
export function keepCartCount(c: ShopContext, count: number): void {
  const maxAge = gatewayConfig(c.env).REFRESH_TOKEN_TTL_DAYS * 86_400;
  if (count > 0) setCookie(c, hints.cart, String(Math.floor(count)), { ...sessions.cookie, maxAge });
  else deleteCookie(c, hints.cart, sessions.cookie);
}

/** The personal parts of a page's header, from the hint cookies alone (no call, no verification: display only). */
export function personalOf(c: ShopContext): { cartCount: number; customer: boolean } {
  const n = Number(getCookie(c, hints.cart, 'host') ?? 0);
  return {
    cartCount: Number.isSafeInteger(n) && n > 0 && n < 100_000 ? n : 0,
    customer: getCookie(c, hints.customer, 'host') === '1',
  };
}

/** The CSRF token of this browser's storefront forms (a session id cookie is made when missing: no session). */
export async function shopCsrf(c: ShopContext): Promise<string> {
  const shopper = c.get('shopper');
  const sid = shopper && shopper !== UNAVAILABLE ? shopper.sid : sessions.ensureSessionId(c);
  return csrfToken(webConfig(c.env).CONSOLE_SESSION_SECRET, sid, 'shop');
}

/** A storefront form's POST, once its type, origin and CSRF token pass: else 415 or 403 (the page says which). */
export function checkedShopForm(c: ShopContext) {
  return readCheckedForm(c.req.raw, {
    secret: webConfig(c.env).CONSOLE_SESSION_SECRET,
    sid: sessions.sessionIdOf(c),
    scope: 'shop',
  });
}
