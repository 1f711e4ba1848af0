/** @jsxImportSource hono/jsx */
// Answering a storefront page: its HTML (the same for every shopper, so cacheable: page-cache.ts) with the
// personal slots filled for this request (slots.ts), the status, and the headers. Every storefront page goes
// through sendPage, the cart's, checkout's and account's too (shopPage renders and sends in one step).
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { CacheStatus } from '../../../../lib/contracts/catalog';
import { csrfField, type NavCategory, personalLinks, ShopPage } from './layout';
import { personalOf, type ShopContext, shopApi, shopCsrf } from './session';
import { fillSlots, hasSlot, type SlotName } from './slots';

/** A page's HTML with its doctype, slots unfilled: what the page cache keeps. */
export const renderPage = async (page: JSX.Element) => `<!doctype html>${await page.toString()}`;

export interface SendOptions {
  status?: number;
  /**
   * A page only this shopper may see (cart, checkout, account): `no-store`. Otherwise the page is the shared one
   * with personal slots, `private, no-cache` (a browser may keep it for back and forward, never a shared cache).
   */
  personal?: boolean;
  /** The page cache's outcome, sent as x-cache. */
  cache?: CacheStatus;
  /** Slots of this page beside the header's (the product page's availability). */
  slots?: Partial<Record<SlotName, string>>;
  retryAfter?: string;
}

/** Sends a rendered page with its slots filled for this request. */
export async function sendPage(c: ShopContext, html: string, opts: SendOptions = {}): Promise<Response> {
  const values: Partial<Record<SlotName, string>> = { ...personalLinks(personalOf(c)), ...opts.slots };
  if (hasSlot(html, 'csrf') && values.csrf === undefined) values.csrf = csrfField(await shopCsrf(c));
  c.header('cache-control', opts.personal ? 'no-store' : 'private, no-cache');
  if (opts.cache) c.header('x-cache', opts.cache);
  if (opts.retryAfter) c.header('retry-after', opts.retryAfter);
  return c.html(fillSlots(html, values), (opts.status ?? 200) as 200);
}

/** Renders and sends a page in one step (the pages that are never cached). */
export async function shopPage(c: ShopContext, page: JSX.Element, opts: SendOptions = {}): Promise<Response> {
  return sendPage(c, await renderPage(page), opts);
}

/** The top-level categories for the navigation; none when the catalog cannot answer (the page still renders). */
export async function navCategories(c: ShopContext): Promise<NavCategory[] | undefined> {
  try {
    const { data } = await shopApi(c).GET('/v1/categories');
    return data?.categories.map((cat) => ({ slug: cat.slug, name: cat.name }));
  } catch {
    return undefined;
  }
}

const titles: Record<number, string> = {
  400: 'That request could not be read',
  403: 'Refused',
  404: 'Not found',
  409: 'Not possible right now',
  413: 'Too large',
  415: 'Not a form',
  429: 'Too many requests',
};

/** What a page says when there is nothing to show: the status's title, the message, a way on. */
export function MessagePage(props: {
  status: number;
  message: string;
  categories?: NavCategory[];
  requestId?: string;
  query?: string;
}) {
  const title = titles[props.status] ?? 'Unavailable';
  return (
    <ShopPage title={title} categories={props.categories} query={props.query} noindex>
      <h1>{title}</h1>
      <p class="notice bad" role="alert">
        {props.message}
      </p>
      {props.requestId && (
        <p class="muted">
          Request id: <code>{props.requestId}</code>
        </p>
      )}
      <p>
        <a href="/">Go to the home page</a> or search for what you need above.
      </p>
    </ShopPage>
  );
}

/** Sends a MessagePage (never cached); a 5xx names the request id, to quote when reporting it. */
export async function messagePage(
  c: ShopContext,
  status: number,
  message: string,
  opts: { categories?: NavCategory[]; retryAfter?: string } = {},
): Promise<Response> {
  const requestId = status >= 500 ? c.get('requestId') : undefined;
  const page = <MessagePage status={status} message={message} categories={opts.categories} requestId={requestId} />;
  return shopPage(c, page, { status, personal: true, retryAfter: opts.retryAfter });
}
