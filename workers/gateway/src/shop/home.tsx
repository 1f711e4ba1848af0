/** @jsxImportSource hono/jsx */
// The home page: featured products (the newest), trending ones (the catalog's sort=trending: most bought in the
// last 7 days) and the categories, read at once. It degrades rather than fails:
// - trending or the categories unreadable: the page is rendered without them and marked degraded, so the page cache answers its last
//   good copy of the same generation instead (trending included) when it has one, and never keeps the degraded
//   page (page-cache.ts);
// - featured unreadable (and no good copy): the home page's shell still answers, with the categories when they
//   could be read, the search, and what to do; status 503 with Retry-After, not 200, so that no cache or crawler
//   takes the shell for the home page and the outage shows in the request figures; the request id is on it.
import { HOME_FEATURED, HOME_TRENDING } from '../../../../lib/catalog/warm';
import type { Schemas } from '../../../../lib/client';
import { ProductGrid } from './components';
import { ShopPage } from './layout';
import { renderPage } from './page';
import type { Rendered } from './page-cache';
import type { CatalogReads, Read } from './reads';

export type HomeReads = Pick<CatalogReads, 'categories' | 'products' | 'generations'>;

/** The home page as rendered from the catalog's answers (`requestId` is shown on a 503). */
export async function renderHome(reads: HomeReads, requestId?: string): Promise<Rendered> {
  const [tree, featured, trending] = await Promise.all([
    reads.categories(),
    // The lists the catalog warms after a merchant write (lib/catalog/warm.ts).
    reads.products({ ...HOME_FEATURED }),
    reads.products({ ...HOME_TRENDING }),
  ]);
  const nav = tree.ok ? tree.data.categories.map((cat) => ({ slug: cat.slug, name: cat.name })) : undefined;
  const status = featured.ok ? 200 : 503;
  const html = await renderPage(
    <ShopPage
      title="Home"
      description="Clothing, home goods and more, from a storefront served at the edge."
      categories={nav}
      noindex={!featured.ok}
    >
      <h1>Welcome to Edge Storefront</h1>
      {!featured.ok && (
        <div class="notice bad" role="alert" id="home-unavailable">
          <p>
            Our products cannot be shown right now: the catalog is not answering. Please try again in a few seconds
            {tree.ok ? ', or choose a category below' : ''}.
          </p>
          {requestId && (
            <p class="muted">
              Request id: <code>{requestId}</code>
            </p>
          )}
        </div>
      )}
      {featured.ok && (
        <section aria-labelledby="featured">
          <h2 id="featured">Featured: new in</h2>
          <ProductGrid items={featured.data.items} label="Featured products" />
        </section>
      )}
      <Trending list={trending} />
      {tree.ok && <Categories tree={tree.data} />}
    </ShopPage>,
  );
  // Degraded: a part is missing (trending, or the categories and with them the nav) though the page answers.
  return { html, status, generations: reads.generations, degraded: featured.ok && (!trending.ok || !tree.ok) };
}

function Trending(props: { list: Read<Schemas['ProductList']> }) {
  if (!props.list.ok || props.list.data.items.length === 0) return null;
  return (
    <section aria-labelledby="trending">
      <h2 id="trending">Trending this week</h2>
      <ProductGrid items={props.list.data.items} label="Trending products" belowFold />
    </section>
  );
}

function Categories(props: { tree: Schemas['CategoryTree'] }) {
  return (
    <section aria-labelledby="shop-by">
      <h2 id="shop-by">Shop by category</h2>
      <ul class="grid">
        {props.tree.categories.map((cat) => (
          <li class="card">
            <a href={`/c/${cat.slug}`}>
              <span class="title">{cat.name}</span>
            </a>
            <span class="muted">{cat.children.map((child) => child.name).join(', ')}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
