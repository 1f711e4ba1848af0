/** @jsxImportSource hono/jsx */
// The shell every storefront page shares: a skip link, the header (home link, search form, the shopper's account
// and cart links), the category navigation, the main landmark and the footer. Mobile first (shop.css); no inline
// script or style (the CSP allows the two content-hashed files only: middleware/edge-headers.ts). The account and
// cart links are slots, filled per request (slots.ts), so a page stays the same for every shopper and cacheable.
import type { Child } from 'hono/jsx';
import { shopAssets } from './assets';
import { slot } from './slots';

/** A category in the navigation: the tree's top level. */
export interface NavCategory {
  slug: string;
  name: string;
}

export interface ShopPageProps {
  title: string;
  /** The page's meta description (search results, link previews). */
  description?: string;
  /** The top-level categories; none (the catalog could not be read) shows no category navigation. */
  categories?: NavCategory[];
  /** The category the page is in (aria-current in the navigation). */
  currentCategory?: string;
  /** What the search field shows (the search page's query). */
  query?: string;
  /** Pages no search engine should keep (cart, checkout, account, errors). */
  noindex?: boolean;
  children?: Child;
}

export function ShopPage(props: ShopPageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Edge Storefront`}</title>
        {props.description && <meta name="description" content={props.description} />}
        {props.noindex && <meta name="robots" content="noindex" />}
        <link rel="stylesheet" href={shopAssets['shop.css']} />
        <script src={shopAssets['shop.js']} defer />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/">
            Edge Storefront
          </a>
          <search class="search">
            <form method="get" action="/search">
              <label class="visually-hidden" for="site-search">
                Search products
              </label>
              <input
                id="site-search"
                name="q"
                type="search"
                value={props.query ?? ''}
                placeholder="Search products"
                maxlength={200}
                required
              />
              <button type="submit">Search</button>
            </form>
          </search>
          <nav aria-label="Your account and cart">
            <ul class="me">
              <li>{slot('account')}</li>
              <li>{slot('cart')}</li>
            </ul>
          </nav>
        </header>
        {props.categories && props.categories.length > 0 && (
          <nav class="cats" aria-label="Categories">
            <ul>
              {props.categories.map((cat) => (
                <li>
                  <a href={`/c/${cat.slug}`} aria-current={props.currentCategory === cat.slug ? 'page' : undefined}>
                    {cat.name}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
        <footer>
          <p>
            Edge Storefront: prices include no tax until checkout. <a href="/docs">API</a>
          </p>
        </footer>
      </body>
    </html>
  );
}

/** The header's personal links, from the hint cookies (session.ts personalOf): markup for the two slots. */
export function personalLinks(p: { cartCount: number; customer: boolean }): { account: string; cart: string } {
  const count =
    p.cartCount > 0
      ? `<span class="count"><span class="visually-hidden">, </span>${p.cartCount}` +
        `<span class="visually-hidden"> ${p.cartCount === 1 ? 'item' : 'items'}</span></span>`
      : '';
  return {
    account: `<a href="/account">${p.customer ? 'Your account' : 'Sign in'}</a>`,
    cart: `<a href="/cart">Cart${count}</a>`,
  };
}

/** The hidden field every storefront POST form carries (the slot `csrf` of a page with a form). */
export const csrfField = (token: string) => `<input type="hidden" name="csrf" value="${token}">`;
