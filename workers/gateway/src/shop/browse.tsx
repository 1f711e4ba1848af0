/** @jsxImportSource hono/jsx */
// The browse pages: home (home.tsx: featured and trending products, the categories), a category (its products, sorted, in keyset
// pages) and search results (the query's words highlighted). Each is rendered from the public API and cached at
// the edge under the catalog generation (cached.ts); a query they do not take is a 400 page before any call.
import { Hono } from 'hono';
import type { Schemas } from '../../../../lib/client';
import { canonicalPath, sendCachedPage } from './cached';
import {
  FacetLinks,
  FILTER_PARAMS,
  normalizedList,
  Pager,
  ProductGrid,
  SORTS,
  type Sort,
  SortForm,
} from './components';
import { renderHome } from './home';
import { ShopPage } from './layout';
import { MessagePage, messagePage, renderPage } from './page';
import type { Rendered } from './page-cache';
import { CatalogReads, findCategory, type Read } from './reads';
import type { ShopApp, ShopContext } from './session';

const PAGE_SIZE = 24;
const CURSOR = /^[A-Za-z0-9_-]{1,512}$/;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Parameters that ads and mail links add to a landing page's URL: never read, never part of a page's cache key. */
const TRACKING = new Set(['gclid', 'fbclid', 'msclkid', 'dclid', 'gbraid', 'wbraid', 'mc_cid', 'mc_eid', '_ga', 'ref']);
export const isTrackingParam = (key: string) => key.startsWith('utm_') || TRACKING.has(key);

/**
 * The query of a page without its tracking parameters (isTrackingParam, any number of times), if what is left holds
 * only `allowed` parameters, each once.
 */
export function queryOf(c: ShopContext, allowed: string[]): Record<string, string> | undefined {
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.req.queries())) {
    if (isTrackingParam(k)) continue;
    if (!allowed.includes(k) || v.length !== 1) return undefined;
    query[k] = v[0]!;
  }
  return query;
}

type Filters = Partial<Record<(typeof FILTER_PARAMS)[number] | 'category', string>>;
const PRICE = /^\d{1,10}$/;

/**
 * The filters of a list page (the API's parameters; each once, a comma list), normalized as the API does so that a
 * page has one cache key; undefined when a price is not a whole number (the API names any other bad value).
 */
export function filtersOf(q: Record<string, string>, kinds: readonly string[]): Filters | undefined {
  const f: Filters = {};
  for (const k of kinds) {
    const v = q[k];
    if (v === undefined || v === '') continue;
    if (k === 'price_min' || k === 'price_max') {
      if (!PRICE.test(v)) return undefined;
      f[k] = String(Number(v));
    } else f[k as keyof Filters] = normalizedList(v);
  }
  return f;
}
const apiFilters = (f: Filters) => ({
  ...f,
  price_min: f.price_min === undefined ? undefined : Number(f.price_min),
  price_max: f.price_max === undefined ? undefined : Number(f.price_max),
});

/** The status a page answers for a catalog read that failed: its 4xx as is, a 5xx or no answer 503. */
export const failedStatus = (r: { status: number }) => (r.status >= 400 && r.status < 500 ? r.status : 503);

const navOf = (tree: Read<Schemas['CategoryTree']>) =>
  tree.ok ? tree.data.categories.map((cat) => ({ slug: cat.slug, name: cat.name })) : undefined;

async function rendered(
  reads: CatalogReads,
  status: number,
  page: Parameters<typeof renderPage>[0],
): Promise<Rendered> {
  return { html: await renderPage(page), status, generations: reads.generations };
}

/** A failed read's page: what went wrong in a shopper's words (a 5xx names the request id: it is never cached). */
function failed(
  c: ShopContext,
  reads: CatalogReads,
  r: { status: number; code?: string; message: string },
  nav?: ReturnType<typeof navOf>,
  query?: string,
) {
  const status = failedStatus(r);
  const message =
    status === 503
      ? 'Our catalog is not answering right now. Please try again in a few seconds.'
      : r.code === 'BAD_CURSOR'
        ? 'That page link no longer works with these filters: start again from the first page.'
        : `That request could not be answered: ${r.message}`;
  const requestId = status >= 500 ? c.get('requestId') : undefined;
  return rendered(
    reads,
    status,
    <MessagePage status={status} message={message} categories={nav} query={query} requestId={requestId} />,
  );
}

export function browseRoutes(): Hono<ShopApp> {
  const r = new Hono<ShopApp>();

  r.get('/', async (c) => {
    if (!queryOf(c, [])) return messagePage(c, 400, 'The home page takes no parameters.');
    return sendCachedPage(c, '/', () => renderHome(new CatalogReads(c), c.get('requestId')));
  });

  r.get('/c/:slug', async (c) => {
    const slug = c.req.param('slug');
    const q = queryOf(c, ['sort', 'cursor', ...FILTER_PARAMS]);
    if (!q) return messagePage(c, 400, `A category page takes only sort, cursor and ${FILTER_PARAMS.join(', ')}.`);
    const filters = filtersOf(q, FILTER_PARAMS);
    if (!filters) return messagePage(c, 400, 'A price is a whole number of cents.');
    const sort = (q.sort ?? 'newest') as Sort;
    if (!(sort in SORTS) || sort === 'relevance')
      return messagePage(c, 400, 'Sort by newest, price_asc or price_desc.');
    if (q.cursor !== undefined && !CURSOR.test(q.cursor))
      return messagePage(c, 400, 'That page link is not one of ours: start from the first page.');
    if (!SLUG.test(slug)) return messagePage(c, 404, 'There is no such category.');
    const path = canonicalPath(`/c/${slug}`, { sort: q.sort && sort, cursor: q.cursor, ...filters });
    return sendCachedPage(c, path, async () => {
      const reads = new CatalogReads(c);
      const tree = await reads.categories();
      const nav = navOf(tree);
      if (!tree.ok) return failed(c, reads, tree, nav);
      const found = findCategory(tree.data.categories, slug);
      if (!found) {
        const message = 'There is no such category. Choose one from the list above, or search.';
        return rendered(reads, 404, <MessagePage status={404} message={message} categories={nav} />);
      }
      const list = await reads.products({
        category: slug,
        sort,
        cursor: q.cursor,
        limit: PAGE_SIZE,
        ...apiFilters(filters),
        facets: 'brand,colour,price,size',
      });
      if (!list.ok) return failed(c, reads, list, nav);
      const { node, trail } = found;
      const top = trail[0]?.slug ?? node.slug;
      return rendered(
        reads,
        200,
        <ShopPage
          title={node.name}
          description={`${node.name} at Edge Storefront.`}
          categories={nav}
          currentCategory={top}
        >
          <nav class="crumbs" aria-label="Breadcrumbs">
            <ol>
              <li>
                <a href="/">Home</a>
              </li>
              {trail.map((t) => (
                <li>
                  <a href={`/c/${t.slug}`}>{t.name}</a>
                </li>
              ))}
              <li aria-current="page">{node.name}</li>
            </ol>
          </nav>
          <h1>{node.name}</h1>
          {node.children.length > 0 && (
            <nav aria-label={`Within ${node.name}`}>
              <ul class="toolbar">
                {node.children.map((child) => (
                  <li>
                    <a href={`/c/${child.slug}`}>{child.name}</a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          <SortForm action={`/c/${slug}`} sort={sort} filters={filters} />
          <FacetLinks
            base={`/c/${slug}`}
            params={{ sort: q.sort && sort, ...filters }}
            facets={list.data.facets}
            exhaustive={list.data.facetsExhaustive}
            currency={list.data.items[0]?.price.currency ?? 'USD'}
          />
          {list.data.items.length === 0 ? (
            <p class="notice">
              {q.cursor
                ? 'That was the last page of this category.'
                : Object.keys(filters).length
                  ? 'Nothing in this category matches these filters.'
                  : 'Nothing in this category yet. Try another category above, or search.'}
            </p>
          ) : (
            <ProductGrid items={list.data.items} label={`${node.name} products`} />
          )}
          <Pager
            base={`/c/${slug}`}
            params={{ sort: q.sort && sort, cursor: q.cursor, ...filters }}
            next={list.data.nextCursor}
          />
        </ShopPage>,
      );
    });
  });

  r.get('/search', async (c) => {
    const kinds = ['category', ...FILTER_PARAMS];
    const q = queryOf(c, ['q', 'sort', 'cursor', ...kinds]);
    if (!q) return messagePage(c, 400, `A search takes only q, sort, cursor and ${kinds.join(', ')}.`);
    const filters = filtersOf(q, kinds);
    if (!filters) return messagePage(c, 400, 'A price is a whole number of cents.');
    // The API's normalization: the cache key and the words shown are what it searched for.
    const text = (q.q ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
    if (text.length > 200) return messagePage(c, 400, 'Search for at most 200 characters.');
    const sort = (q.sort ?? 'relevance') as Sort;
    if (!(sort in SORTS)) return messagePage(c, 400, 'Sort by relevance, newest, price_asc or price_desc.');
    if (q.cursor !== undefined && !CURSOR.test(q.cursor))
      return messagePage(c, 400, 'That page link is not one of ours: start from the first page.');
    const path = canonicalPath('/search', { q: text, sort: q.sort && sort, cursor: q.cursor, ...filters });
    return sendCachedPage(c, path, async () => {
      const reads = new CatalogReads(c);
      const [tree, list] = await Promise.all([
        reads.categories(),
        text
          ? reads.products({
              q: text,
              sort,
              cursor: q.cursor,
              limit: PAGE_SIZE,
              ...apiFilters(filters),
              facets: 'all',
            })
          : undefined,
      ]);
      const nav = navOf(tree);
      if (list && !list.ok) return failed(c, reads, list, nav, text);
      const title = text ? `Results for “${text}”` : 'Search';
      return rendered(
        reads,
        200,
        <ShopPage title={title} categories={nav} query={text} noindex>
          <h1>{title}</h1>
          {list && (
            <FacetLinks
              base="/search"
              params={{ q: text, sort: q.sort && sort, ...filters }}
              facets={list.data.facets}
              exhaustive={list.data.facetsExhaustive}
              currency={list.data.items[0]?.price.currency ?? 'USD'}
            />
          )}
          {!list ? (
            <p>Type what you are looking for in the search field above: a product, a brand or a material.</p>
          ) : list.data.items.length === 0 && Object.keys(filters).length > 0 ? (
            <p class="notice" role="status">
              {q.cursor ? 'No more results.' : <>No products match “{text}” with these filters.</>} Take a filter away.
            </p>
          ) : list.data.items.length === 0 ? (
            <div class="notice" role="status">
              <p>
                {q.cursor ? 'No more results.' : <>No products match “{text}”.</>} Try fewer or other words, check the
                spelling, or browse a category:
              </p>
              {nav && (
                <ul>
                  {nav.map((cat) => (
                    <li>
                      <a href={`/c/${cat.slug}`}>{cat.name}</a>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          ) : (
            <>
              <SortForm action="/search" sort={sort} q={text} filters={filters} />
              <ProductGrid items={list.data.items} label="Search results" q={text} />
              <Pager
                base="/search"
                params={{ q: text, sort: q.sort && sort, cursor: q.cursor, ...filters }}
                next={list.data.nextCursor}
              />
            </>
          )}
        </ShopPage>,
      );
    });
  });

  return r;
}
