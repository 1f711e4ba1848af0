/** @jsxImportSource hono/jsx */
// The products list (/admin/products: GET /v1/admin/products with the page's search and status filter, newest
// first, keyset pages) and the new-product form (/admin/new-product: the product, its options and up to
// VARIANT_ROWS variants with their initial stock, sent as one POST /v1/admin/products).
import type { Schemas } from '../../../../lib/client';
import { CategorySelect, Errors, type Failed, Field, Notice, OptionFields, shown, VariantFields } from './fields';
import { type Nav, Page } from './layout';
import { money, type Part } from './ops.data';
import { OPTION_SLOTS, VARIANT_ROWS } from './products.form';
import { row, Table } from './table';

export const PRODUCT_STATUSES = ['draft', 'published', 'archived'] as const;
export const LIST_PARAMS = ['q', 'status', 'cursor', 'done'];

export const productHref = (slug: string) => `/admin/products/${encodeURIComponent(slug)}`;

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status}</span>;
}

function List({ page, next }: { page: Schemas['AdminProductList']; next?: string }) {
  return (
    <Table
      id="products"
      caption="Products, newest first"
      empty="No product matches."
      head={['Product', 'Status', 'Category', 'Price from', 'Variants', 'Updated (UTC)']}
      rows={page.products.map((p) =>
        row(
          [
            <>
              <a href={productHref(p.slug)}>{p.title}</a>
              <br />
              <code>{p.slug}</code>
            </>,
            <StatusBadge status={p.status} />,
            p.category,
            money(p.priceAmount, p.currency),
            p.variants,
            p.updatedAt.slice(0, 16).replace('T', ' '),
          ],
          { 'data-slug': p.slug },
        ),
      )}
      next={{ href: next, label: 'Older products' }}
    />
  );
}

export function ProductsPage(
  props: Nav & { query: Record<string, string>; result: Part<Schemas['AdminProductList']>; notice?: string },
) {
  const { query, result } = props;
  let next: string | undefined;
  if (result.ok && result.data.nextCursor) {
    const { done: _done, ...filters } = query;
    next = `/admin/products?${new URLSearchParams({ ...filters, cursor: result.data.nextCursor })}`;
  }
  return (
    <Page title="Products" {...props} current="/admin/products">
      <h1>Products</h1>
      <Notice text={props.notice} />
      <p>
        <a href="/admin/new-product" class="button">
          New product
        </a>
      </p>
      <form method="get" action="/admin/products" class="filters">
        <Field id="f-q" name="q" label="Search (title, slug or SKU)" value={query.q} />
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            <option value="">Any</option>
            {PRODUCT_STATUSES.map((s) => (
              <option value={s} selected={query.status === s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <button type="submit">Search</button> <a href="/admin/products">Clear</a>
        </div>
      </form>
      {!result.ok && (
        <p class="error" role="alert">
          {result.status === 400 ? 'Check the search: ' : `Could not read the products (${result.status}): `}
          {result.message}
        </p>
      )}
      {result.ok && <List page={result.data} next={next} />}
    </Page>
  );
}

export function NewProductPage(props: Nav & { categories: Schemas['CategoryNode'][]; failed?: Failed }) {
  const v = shown(props.failed, 'new', { currency: 'USD', status: 'draft' });
  return (
    <Page title="New product" {...props} current="/admin/products">
      <p>
        <a href="/admin/products">← Products</a>
      </p>
      <h1>New product</h1>
      <Errors failed={props.failed} form="new" />
      <form
        method="post"
        action="/admin/new-product"
        class="wide"
        aria-describedby={props.failed ? 'new-errors' : undefined}
      >
        <input type="hidden" name="csrf" value={props.csrf} />
        <fieldset class="grid">
          <legend>Product</legend>
          <Field id="title" name="title" label="Title" value={v.title} required />
          <Field id="slug" name="slug" label="Slug (web address; default: from the title)" value={v.slug} />
          <Field id="brand" name="brand" label="Brand" value={v.brand} required />
          <CategorySelect id="category" categories={props.categories} value={v.category} />
          <Field id="currency" name="currency" label="Currency (ISO 4217)" value={v.currency} required />
          <div class="field">
            <label for="status">Status</label>
            <select id="status" name="status">
              <option value="draft" selected={v.status !== 'published'}>
                draft (hidden from shoppers)
              </option>
              <option value="published" selected={v.status === 'published'}>
                published
              </option>
            </select>
          </div>
          <div class="field full">
            <label for="description">Description</label>
            <textarea id="description" name="description" rows={4}>
              {v.description ?? ''}
            </textarea>
          </div>
        </fieldset>
        <OptionFields prefix="" values={v} />
        <p class="muted">
          Variants: fill a row per variant (empty rows are ignored). Its option values are in the order of the options
          above.
        </p>
        {Array.from({ length: VARIANT_ROWS }, (_, i) => (
          <fieldset class="variant">
            <legend>Variant {i + 1}</legend>
            <VariantFields
              id={`v${i + 1}-`}
              rowPrefix={`v${i + 1}_`}
              values={v}
              optionNames={Array.from({ length: OPTION_SLOTS }, (_, n) => `Option ${n + 1} value`)}
              withSku
              withStock
            />
          </fieldset>
        ))}
        <button type="submit">Create product</button>
      </form>
    </Page>
  );
}
