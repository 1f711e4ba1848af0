/** @jsxImportSource hono/jsx */
// What the account pages share (account.routes.tsx, account.links.tsx): the page frame, the checked form, the API's
// refusal in words, and the signed-in customer (or the redirect to sign in).
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { Values } from './account.forms';
import { ShopPage } from './layout';
import { messagePage, shopPage } from './page';
import { checkedShopForm, currentShopper, type ShopContext, type Shopper, UNAVAILABLE } from './session';

type Answer = { data?: unknown; error?: unknown; response: Response };

/** The API's words for a refusal, or a general one for what it could not answer. */
export function problemOf(a: Answer): string {
  // The API's message names each bad field already (lib/errors.ts validationError).
  const message = (a.error as { error?: { message?: string } } | undefined)?.error?.message;
  if (a.response.status >= 500 || !message) return 'That could not be done right now; nothing was changed. Try again.';
  return message;
}

export const page = (c: ShopContext, title: string, body: JSX.Element, status = 200) =>
  shopPage(
    c,
    <ShopPage title={title} noindex>
      <h1>{title}</h1>
      {body}
    </ShopPage>,
    { status, personal: true },
  );

/** The checked form, or the page refusing it (403: another origin or a stale token; 415: not a form). */
export async function formOf(c: ShopContext): Promise<URLSearchParams | Response> {
  const checked = await checkedShopForm(c);
  if ('refused' in checked)
    return messagePage(
      c,
      checked.refused,
      checked.refused === 403 ? 'This form has expired; open the page again and resend it.' : 'Not a form.',
    );
  return checked.form;
}

export const valuesOf = (form: URLSearchParams, names: string[]): Values =>
  Object.fromEntries(names.map((n) => [n, form.get(n)?.trim() || undefined]));

/** The signed-in customer, or the answer that sends the browser to sign in (or says the session cannot be had). */
export async function customerOr(c: ShopContext): Promise<Shopper | Response> {
  const shopper = await currentShopper(c);
  if (shopper === UNAVAILABLE) return messagePage(c, 503, 'Your session cannot be checked right now; try again.');
  if (!shopper || shopper.identity.role === 'guest') return c.redirect('/account/sign-in', 303);
  return shopper;
}
