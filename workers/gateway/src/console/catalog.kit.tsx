/** @jsxImportSource hono/jsx */
// What the catalog pages' routes share (products.routes.tsx, stock.routes.tsx): the API as the signed-in user, the
// notices after a redirect, the answers for a bad request or an unknown product, and an API refusal as the form
// to show again.
import type { Failed } from './fields';
import { html } from './kit';
import { MessagePage } from './layout';
import type { Values } from './products.form';
import { apiOf, type ConsoleContext } from './session';

/** What a redirect's `done` says on the page it lands on. */
const NOTICES: Record<string, string> = {
  created: 'Product created.',
  saved: 'Saved.',
  publish: 'Published: shoppers see it within about a second.',
  unpublish: 'Unpublished: back to draft, hidden from shoppers.',
  archive: 'Archived: hidden from shoppers, kept for its orders.',
  deleted: 'Product deleted.',
  'variant-saved': 'Variant saved.',
  'variant-added': 'Variant added.',
  'image-added': 'Image uploaded and added.',
  'image-removed': 'Image removed.',
  'stock-saved': 'Stock saved; the change is the newest entry of the ledger.',
};
export const noticeOf = (done?: string) => (done ? NOTICES[done] : undefined);

export const api = (c: ConsoleContext) => apiOf(c, c.get('session')!.accessToken);
export const pathOf = (slug: string) => ({ params: { path: { slug } } });
export const badRequest = (c: ConsoleContext, message: string) =>
  html(c, <MessagePage title="Bad request" message={message} />, 400);
export const notFound = (c: ConsoleContext, message = 'There is no such product.') =>
  html(c, <MessagePage title="Not found" message={message} />, 404);

export const unavailable = (c: ConsoleContext, message: string) =>
  html(c, <MessagePage title="Unavailable" message={`Could not read the product: ${message}`} />, 502);

/** An API refusal as the failed form: its 4xx kept, anything else (5xx, no answer) a 502. */
export function failedBy(form: string, values: Values, p: { status: number; message: string }): Failed {
  const status = p.status >= 400 && p.status < 500 ? p.status : 502;
  const message = p.status >= 400 && p.status < 500 ? p.message : `The API did not answer (${p.status}): ${p.message}`;
  return { form, status, errors: [message], values };
}
