/** @jsxImportSource hono/jsx */
// What every console page shares: answering a page or a fragment, the CSRF token of the session, the checked form
// of a POST, the allowed query parameters, the pages answered when a session is missing or cannot be renewed, the
// status and page of an API call that failed, and the notice a redirect's `done` names. Each section of the
// console (console.routes.tsx and the *.routes.tsx it mounts) builds on these, so every POST is checked the same
// way: a form (checkedForm) or a file upload (checkedUpload, from a signed-in session only), each under its body
// limit (postLimit), and every failed API call is answered with the same status (statusOf).
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { Role } from '../../../../db/schema/identity';
import { IMAGE_MAX_BYTES } from '../../../../lib/admin/catalog.schemas';
import { csrfToken, sameOrigin } from '../web/csrf';
import { type FormCheck, fromThisSite, MAX_FORM_BYTES, readCheckedForm } from '../web/forms';
import { consoleConfig } from './config';
import { ForbiddenPage, MessagePage } from './layout';
import type { Part } from './ops.data';
import type { ConsoleApp, ConsoleContext } from './session';
import { requireSession, sessionIdOf } from './session';

export { MAX_FORM_BYTES } from '../web/forms';

/**
 * An upload's form: the API's image maximum for the file, plus room for the multipart envelope (boundaries, the
 * part headers, the CSRF field). The file itself is held to IMAGE_MAX_BYTES exactly (checkedUpload).
 */
export const MAX_UPLOAD_BYTES = IMAGE_MAX_BYTES + 16 * 1024;
/** The console's upload routes: the only POSTs that may be larger than a form. */
export const UPLOAD_PATH = /^\/admin\/products\/[^/]+\/images$/;

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

const refusal = async (c: ConsoleContext, status: number, message: string) => ({
  refusal: await html(c, <MessagePage title="Refused" message={message} requestId={c.get('requestId')} />, status),
});
const EXPIRED = 'This form has expired or did not come from this console: reload the page and send it again.';

/** What a console form's token is checked against: the console's scope and the browser's session id. */
const formCheck = (c: ConsoleContext): FormCheck => ({
  secret: consoleConfig(c.env).CONSOLE_SESSION_SECRET,
  sid: sessionIdOf(c),
  scope: 'console',
});

/** The form of a POST, once its size, type, origin and CSRF token pass; else the refusal to answer. */
export async function checkedForm(c: ConsoleContext): Promise<{ form: URLSearchParams } | { refusal: Response }> {
  // The size was checked by the body limit on every POST (postLimit), while the body is read.
  const checked = await readCheckedForm(c.req.raw, formCheck(c));
  if ('form' in checked) return checked;
  return checked.refused === 415 ? refusal(c, 415, 'Send the form from the console page.') : refusal(c, 403, EXPIRED);
}

/**
 * A file upload's form (multipart/form-data), once its size, type, origin and CSRF token pass: 415 for a body
 * that is not multipart, 403 from elsewhere, 400 for one that cannot be read. The file itself is then checked by
 * imageProblem, whose answer the page shows next to its upload form.
 */
export async function checkedUpload(c: ConsoleContext): Promise<{ form: FormData } | { refusal: Response }> {
  if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data'))
    return refusal(c, 415, 'Send the file from the console page.');
  // Before the body is read: a request from another origin is not worth parsing.
  if (!sameOrigin(c.req.raw)) return refusal(c, 403, EXPIRED);
  let form: FormData;
  try {
    // The body limit (postLimit, MAX_UPLOAD_BYTES) has bounded what this reads.
    form = await c.req.formData();
  } catch {
    return refusal(c, 400, 'The upload could not be read: send the form again.');
  }
  if (!(await fromThisSite(c.req.raw, formCheck(c), form.get('csrf')))) return refusal(c, 403, EXPIRED);
  return { form };
}

/**
 * What is wrong with an uploaded image before the API is asked: none (400), not saying it is an image (415: the
 * API then reads the type from the bytes themselves), over IMAGE_MAX_BYTES (413).
 */
export function imageProblem(file: File | string | null): { status: 400 | 413 | 415; message: string } | undefined {
  if (!(file instanceof File) || file.size === 0) return { status: 400, message: 'Choose an image file to upload.' };
  if (!file.type.startsWith('image/'))
    return {
      status: 415,
      message: `Not an image (${file.type || 'unknown type'}): PNG, JPEG, WebP, GIF or AVIF only.`,
    };
  if (file.size > IMAGE_MAX_BYTES)
    return { status: 413, message: `The image is too large: at most ${IMAGE_MAX_BYTES / 1024 / 1024} MB.` };
  return undefined;
}

const tooLarge = (what: string) => (c: ConsoleContext) =>
  html(c, <MessagePage title="Refused" message={what} requestId={c.get('requestId')} />, 413);
const formLimit = bodyLimit({ maxSize: MAX_FORM_BYTES, onError: tooLarge('The form is too large.') });
/** Its own words (not imageProblem's): the body was cut off while read, the file never looked at. */
export const UPLOAD_TOO_LARGE = `The upload is over ${MAX_UPLOAD_BYTES} bytes: it was not read (an image may have at most ${
  IMAGE_MAX_BYTES / 1024 / 1024
} MB).`;
const uploadLimit = bodyLimit({ maxSize: MAX_UPLOAD_BYTES, onError: tooLarge(UPLOAD_TOO_LARGE) });
// An upload's large limit only for a signed-in merchant: the session is checked before a byte of the body is
// read (the body limit reads a chunked body as it counts it). The route's own requireSession then reuses it.
const uploadSession = requireSession('merchant', pages);

/**
 * Every POST's body limit, counted as the body is read, a chunked one too (no content-length to trust): over it,
 * the read stops and the answer is 413. Forms get MAX_FORM_BYTES; the upload routes (UPLOAD_PATH) MAX_UPLOAD_BYTES,
 * once the session is known to be a merchant's (without one: the sign-in redirect, the body unread).
 */
export const postLimit: MiddlewareHandler<ConsoleApp> = (c, next) =>
  UPLOAD_PATH.test(c.req.path)
    ? uploadSession(c, async () => {
        // The limit answers its 413 (a Response) or what the rest of the chain gave back (not one).
        const refused: unknown = await uploadLimit(c, next);
        if (refused instanceof Response) c.res = refused;
      })
    : formLimit(c, next);

/** Query parameters a page accepts; anything else is a 400, as on the API. */
export function queryOf(c: ConsoleContext, allowed: string[]): Record<string, string> | undefined {
  const q = c.req.query();
  return Object.keys(q).every((k) => allowed.includes(k)) ? q : undefined;
}

/**
 * The status a page answers for an API call that failed, the same on every page: the API's 4xx as is (a bad
 * filter, an unknown id, a refused write), a 5xx 502 (the API failed), no answer at all (a timeout) 503.
 */
export const failureStatus = (status: number) => (status >= 400 && status < 500 ? status : status ? 502 : 503);
/** A page's status from the API call it shows: 200, or the call's failureStatus. */
export const statusOf = (p: Part<unknown>) => (p.ok ? 200 : failureStatus(p.status));

const titleOf = (status: number) =>
  status === 404 ? 'Not found' : status === 403 ? 'Refused' : status < 500 ? 'Bad request' : 'Unavailable';

/** A page that only says why there is nothing to show, titled by its status (with the navigation when signed in). */
export async function messagePage(c: ConsoleContext, status: number, message: string) {
  const page = (
    <MessagePage
      title={titleOf(status)}
      message={message}
      requestId={status >= 500 ? c.get('requestId') : undefined}
      session={c.get('session')}
      csrf={await csrfOf(c)}
    />
  );
  return html(c, page, status);
}
export const badRequest = (c: ConsoleContext, message: string) => messagePage(c, 400, message);
export const notFound = (c: ConsoleContext, message: string) => messagePage(c, 404, message);
/** The page of an API read that failed: its 4xx as such, a 5xx or no answer as the API being unavailable. */
export const failedPage = (c: ConsoleContext, what: string, p: { status: number; message: string }) =>
  messagePage(c, failureStatus(p.status), `${what}: ${p.status || 'no answer'} ${p.message}`);

/** A section's notices: what a redirect's `done` says on the page it lands on (an unknown or inherited name: none). */
export const notices =
  (table: Record<string, string>) =>
  (done?: string): string | undefined =>
    done && Object.hasOwn(table, done) ? table[done] : undefined;
