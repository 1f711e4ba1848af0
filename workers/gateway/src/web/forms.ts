// The checked form of a web page's POST, shared by the console and the storefront: a urlencoded body (its size
// bounded while it is read by each site's body limit), sent from this origin (web/csrf.ts sameOrigin) with the
// CSRF token of the browser's session id for the site's scope. Each site answers the refusal with its own page.
import { type CsrfScope, csrfTokenValid, sameOrigin } from './csrf';

/** Forms are a few fields: anything larger is refused before it is read (each site's body limit). */
export const MAX_FORM_BYTES = 8 * 1024;

export interface FormCheck {
  secret: string;
  /** The browser's session id (its cookie), which the token must be derived from. */
  sid: string | undefined;
  scope: CsrfScope;
}

/** Whether a POST comes from a page of this origin and carries the token of `check.sid`. */
export async function fromThisSite(request: Request, check: FormCheck, token: unknown): Promise<boolean> {
  return sameOrigin(request) && (await csrfTokenValid(check.secret, check.sid, token, check.scope));
}

/** The form of a POST, or why it is refused: 415 (not a form), 403 (another origin, no or a wrong token). */
export async function readCheckedForm(
  request: Request,
  check: FormCheck,
): Promise<{ form: URLSearchParams } | { refused: 403 | 415 }> {
  if (!(request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded'))
    return { refused: 415 };
  const form = new URLSearchParams(await request.text());
  if (!(await fromThisSite(request, check, form.get('csrf')))) return { refused: 403 };
  return { form };
}
