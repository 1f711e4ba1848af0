/** @jsxImportSource hono/jsx */
// What every console page shares: answering a page or a fragment, the CSRF token of the session, the checked form
// of a POST, the allowed query parameters, and the pages answered when a session is missing or cannot be renewed.
// Each section of the console (console.routes.tsx and the *.routes.tsx it mounts) builds on these, so every POST
// is checked the same way.
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { Role } from '../../../../db/schema/identity';
import { consoleConfig } from './config';
import { csrfToken, csrfTokenValid, sameOrigin } from './csrf';
import { ForbiddenPage, MessagePage } from './layout';
import { type ConsoleContext, sessionIdOf } from './session';

/** Forms are a few fields: anything larger is refused before it is read. */
export const MAX_FORM_BYTES = 8 * 1024;

/** A page (with its doctype) or, `fragment`, the markup alone: what the ops page's script swaps in. */
export async function html(c: ConsoleContext, page: JSX.Element, status = 200, fragment = false): Promise<Response> {
  return c.html(`${fragment ? '' : '<!doctype html>'}${await page.toString()}`, status as 200);
}

export async function csrfOf(c: ConsoleContext): Promise<string | undefined> {
  const sid = c.get('session')?.sid ?? sessionIdOf(c);
  return sid ? csrfToken(consoleConfig(c.env).CONSOLE_SESSION_SECRET, sid) : undefined;
}

const forbidden = async (c: ConsoleContext, min: Role) =>
  html(c, <ForbiddenPage min={min} session={c.get('session')} csrf={await csrfOf(c)} />, 403);
const unavailable = async (c: ConsoleContext) =>
  html(
    c,
    <MessagePage
      title="Unavailable"
      message="Your session could not be renewed right now; it is kept. Reload the page in a few seconds."
      requestId={c.get('requestId')}
    />,
    503,
  );
export const pages = { forbidden, unavailable };

/** The form of a POST, once its size, type, origin and CSRF token pass; else the refusal to answer. */
export async function checkedForm(c: ConsoleContext): Promise<{ form: URLSearchParams } | { refusal: Response }> {
  const refuse = async (status: number, message: string) => ({
    refusal: await html(c, <MessagePage title="Refused" message={message} requestId={c.get('requestId')} />, status),
  });
  if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded'))
    return refuse(415, 'Send the form from the console page.');
  // The size was checked by the body limit on every POST (formLimit), while the body is read.
  const form = new URLSearchParams(await c.req.text());
  const secret = consoleConfig(c.env).CONSOLE_SESSION_SECRET;
  if (!sameOrigin(c.req.raw) || !(await csrfTokenValid(secret, sessionIdOf(c), form.get('csrf'))))
    return refuse(403, 'This form has expired or did not come from this console: reload the page and send it again.');
  return { form };
}

/** Query parameters a page accepts; anything else is a 400, as on the API. */
export function queryOf(c: ConsoleContext, allowed: string[]): Record<string, string> | undefined {
  const q = c.req.query();
  return Object.keys(q).every((k) => allowed.includes(k)) ? q : undefined;
}
