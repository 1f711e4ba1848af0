/** @jsxImportSource hono/jsx */
// What the catalog pages' routes share (products.routes.tsx, stock.routes.tsx): the API as the signed-in user, the
// notices after a redirect, and an API refusal as the form to show again (the pages for a failed read: kit.tsx).
import type { Failed } from './fields';
import { failureStatus, notices } from './kit';
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
export const noticeOf = notices(NOTICES);

export const api = (c: ConsoleContext) => apiOf(c, c.get('session')!.accessToken);
export const pathOf = (slug: string) => ({ params: { path: { slug } } });
/** An API refusal as the failed form: its 4xx kept, anything else as failureStatus (502, no answer 503). */
export function failedBy(form: string, values: Values, p: { status: number; message: string }): Failed {
  const refused = p.status >= 400 && p.status < 500;
  const message = refused ? p.message : `The API did not answer (${p.status || 'no answer'}): ${p.message}`;
  return { form, status: failureStatus(p.status), errors: [message], values };
}
