// The personal parts of a storefront page: marked in the page's HTML by a comment (`<!--slot:cart-->`) and
// filled for each request (fillSlots), so the rest of the page is the same for everyone and is cached at the edge
// under the catalog generation (page-cache.ts). Plain string work rather than HTMLRewriter: the markers are only
// ever written by slot() (hono escapes `<` in every text and attribute, so no product text can forge one), there
// is nothing to parse, and it is testable without workerd. docs/storefront.md#personal-parts.
import { raw } from 'hono/html';

export type SlotName = 'account' | 'cart' | 'notice' | 'availability' | 'csrf';

const marker = (name: SlotName) => `<!--slot:${name}-->`;

/** Where slot `name` goes in a page's JSX. */
export const slot = (name: SlotName) => raw(marker(name));

/** Whether a rendered page has slot `name` (a token is only made for pages with a form). */
export const hasSlot = (html: string, name: SlotName) => html.includes(marker(name));

/** The page with each slot replaced by its markup (trusted HTML: the caller escapes what it puts in). */
export function fillSlots(html: string, values: Partial<Record<SlotName, string>>): string {
  let out = html;
  for (const [name, value] of Object.entries(values) as [SlotName, string][]) {
    out = out.split(marker(name)).join(value);
  }
  return out;
}
