/** @jsxImportSource hono/jsx */
// Pieces the browse pages share: product cards in a grid (images sized, lazy below the fold), prices, the search
// highlight, keyset paging links, and the words of a failed catalog read.
import { encodeFilterValue, normalizeFilterList, splitFilterValues } from '../../../../lib/catalog/filter-values';
import type { Schemas } from '../../../../lib/client';
import { money } from '../web/format';
import { productPath } from './paths';

/** Cards on the first screen of a phone: their images load at once; the rest lazily. */
const EAGER_CARDS = 2;
/** The size every card image is drawn at (4:5, as shop.css crops it), so nothing moves as images arrive. */
export const CARD_IMAGE = { width: 400, height: 500 };

export const price = (p: Schemas['Money']) => money(p.amount, p.currency);

/**
 * `text` with each word of the search `q` marked (<mark>), everything escaped (hono escapes strings). Words are
 * matched at the start of a word, case-insensitively; excluded words (`-dress`) and `or` are not marked.
 */
export function highlight(text: string, q: string | undefined) {
  const words = (q ?? '')
    .toLowerCase()
    .split(/[\s"]+/)
    .filter((w) => w && !w.startsWith('-') && w !== 'or')
    .map((w) => w.replace(/[^\p{L}\p{N}]/gu, ''))
    .filter((w) => w.length > 0);
  if (words.length === 0) return text;
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${words.join('|')})`, 'giu');
  const parts: (string | ReturnType<typeof Mark>)[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(Mark({ text: m[0] }));
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}
const Mark = (p: { text: string }) => <mark>{p.text}</mark>;

export function ProductCard(props: { product: Schemas['ProductSummary']; index: number; q?: string }) {
  const p = props.product;
  return (
    <li class="card">
      <a href={productPath(p.slug)}>
        {p.image ? (
          <img
            src={p.image}
            alt=""
            width={CARD_IMAGE.width}
            height={CARD_IMAGE.height}
            loading={props.index < EAGER_CARDS ? 'eager' : 'lazy'}
            decoding="async"
          />
        ) : (
          <span class="noimg" />
        )}
        <span class="title">{highlight(p.title, props.q)}</span>
      </a>
      <span class="brand-name">{highlight(p.brand, props.q)}</span>
      <span class="price">{price(p.price)}</span>
    </li>
  );
}

/** A grid of product cards; `belowFold` (a second grid on the page) loads all its images lazily. */
export function ProductGrid(props: {
  items: Schemas['ProductSummary'][];
  label: string;
  q?: string;
  belowFold?: boolean;
}) {
  return (
    <ul class="grid" aria-label={props.label}>
      {props.items.map((product, index) => (
        <ProductCard product={product} index={props.belowFold ? EAGER_CARDS + index : index} q={props.q} />
      ))}
    </ul>
  );
}

/** Keyset paging: the next page by its cursor, and the way back to the first (a cursor only goes forward). */
export function Pager(props: { base: string; params: Record<string, string | undefined>; next: string | null }) {
  const href = (cursor?: string) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(props.params)) if (v) q.set(k, v);
    if (cursor) q.set('cursor', cursor);
    const s = q.toString();
    return s ? `${props.base}?${s}` : props.base;
  };
  const first = props.params.cursor !== undefined;
  if (!first && !props.next) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {first && <a href={href()}>First page</a>}
      {props.next && (
        <a href={href(props.next)} rel="next">
          Next page
        </a>
      )}
    </nav>
  );
}

export const SORTS = {
  newest: 'Newest',
  price_asc: 'Price: low to high',
  price_desc: 'Price: high to low',
  relevance: 'Best match',
} as const;
export type Sort = keyof typeof SORTS;

/** The sort form (GET), the list's own parameters (query, filters) kept; relevance only where there is a query. */
export function SortForm(props: {
  action: string;
  sort: Sort;
  q?: string;
  filters?: Record<string, string | undefined>;
}) {
  const sorts = (Object.keys(SORTS) as Sort[]).filter((s) => s !== 'relevance' || props.q);
  return (
    <form class="toolbar" method="get" action={props.action}>
      {props.q && <input type="hidden" name="q" value={props.q} />}
      {Object.entries(props.filters ?? {}).map(([k, v]) => v && <input type="hidden" name={k} value={v} />)}
      <div>
        <label for="sort">Sort by</label>
        <select id="sort" name="sort">
          {sorts.map((s) => (
            <option value={s} selected={s === props.sort}>
              {SORTS[s]}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="quiet">
        Sort
      </button>
    </form>
  );
}

/** The filter parameters the browse pages take (the API's own, one comma list each). */
export const FILTER_PARAMS = ['brand', 'size', 'colour', 'price_min', 'price_max'] as const;
type FilterParam = (typeof FILTER_PARAMS)[number];
const LIST_KINDS = ['category', 'brand', 'size', 'colour'] as const;
const KIND_NAMES = { category: 'Category', brand: 'Brand', price: 'Price', size: 'Size', colour: 'Colour' } as const;

/**
 * A comma list as the API normalizes it (trimmed, lower case, deduplicated, sorted; `\,` a comma within a value),
 * so a page has one cache key.
 */
export function normalizedList(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return normalizeFilterList([value]).join(',');
}

/**
 * The facets of a list as links (no JavaScript): each value adds itself to its kind's filter, or, when selected,
 * takes itself out; a price band sets (or clears) price_min and price_max; every link starts again at the first page.
 * `params` is the page's query without its cursor.
 */
export function FacetLinks(props: {
  base: string;
  params: Partial<Record<'q' | 'sort' | 'category' | FilterParam, string>>;
  facets: Schemas['Facets'] | undefined;
  exhaustive?: boolean;
  /** The bands' currency (the catalog's: its products'). */
  currency: string;
}) {
  const { facets, params } = props;
  if (!facets) return null;
  const href = (change: Partial<Record<string, string | undefined>>) => {
    const q = new URLSearchParams();
    const next = { ...params, ...change };
    for (const k of Object.keys(next).sort()) {
      const v = next[k as keyof typeof next];
      if (v) q.set(k, v);
    }
    const s = q.toString();
    return s ? `${props.base}?${s}` : props.base;
  };
  // A kind's selected values as a facet's `value` spells them (a comma in one escaped), joined as the API reads them.
  const listOf = (kind: string) =>
    splitFilterValues(params[kind as keyof typeof params] ?? '')
      .filter(Boolean)
      .map(encodeFilterValue);
  const toggle = (kind: string, value: string) => {
    const now = listOf(kind);
    const next = now.includes(value) ? now.filter((v) => v !== value) : [...now, value].sort();
    return href({ [kind]: next.join(',') || undefined });
  };
  const sections = LIST_KINDS.flatMap((kind) => {
    const values = facets[kind];
    if (!values?.length) return [];
    const chosen = listOf(kind);
    return [
      <section>
        <h3>{KIND_NAMES[kind]}</h3>
        <ul>
          {values.map((v) => (
            <li>
              <a href={toggle(kind, v.value)} aria-current={chosen.includes(v.value) ? 'true' : undefined}>
                {chosen.includes(v.value) ? '✓ ' : ''}
                {v.label} ({v.count})
              </a>
            </li>
          ))}
        </ul>
      </section>,
    ];
  });
  const amount = (minor: number) => price({ amount: minor, currency: props.currency });
  const bandChosen = (b: { min: number; max: number | null }) =>
    params.price_min === String(b.min) && (params.price_max ?? '') === (b.max === null ? '' : String(b.max));
  const bands = facets.price?.length ? (
    <section>
      <h3>{KIND_NAMES.price}</h3>
      <ul>
        {facets.price.map((b) => (
          <li>
            <a
              href={
                bandChosen(b)
                  ? href({ price_min: undefined, price_max: undefined })
                  : href({ price_min: String(b.min), price_max: b.max === null ? undefined : String(b.max) })
              }
              aria-current={bandChosen(b) ? 'true' : undefined}
            >
              {bandChosen(b) ? '✓ ' : ''}
              {b.max === null ? `${amount(b.min)} and up` : `${amount(b.min)} – ${amount(b.max)}`} ({b.count})
            </a>
          </li>
        ))}
      </ul>
    </section>
  ) : null;
  const selected = FILTER_PARAMS.some((k) => params[k]);
  return (
    <nav class="facets" aria-label="Filters">
      {/* Folded until a filter is chosen, so that the products come first on a phone; works without JavaScript. */}
      <details open={selected || undefined}>
        <summary>Filter</summary>
        {selected && (
          <p>
            <a href={href(Object.fromEntries(FILTER_PARAMS.map((k) => [k, undefined])))}>Clear filters</a>
          </p>
        )}
        {sections}
        {bands}
        {props.exhaustive === false && <p class="note">Counts cover the first matches only.</p>}
      </details>
    </nav>
  );
}
