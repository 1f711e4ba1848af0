/** @jsxImportSource hono/jsx */
// A product's edit page (/admin/products/:slug): its status with publish / unpublish / archive and delete, its
// own fields and options, its images (upload, remove), its variants (change, add). Each part is its own form,
// posted to its own route; a refused one is shown again here with the API's message and what was typed.
import type { Schemas } from '../../../../lib/client';
import { CategorySelect, Errors, type Failed, Field, Notice, OptionFields, shown, VariantFields } from './fields';
import { type Nav, Page } from './layout';
import { money } from './ops.data';
import { productHref, StatusBadge } from './products.page';

type Product = Schemas['AdminProduct'];

/** The stored product as the edit form's values. */
export function productValues(p: Product): Record<string, string> {
  const v: Record<string, string> = {
    title: p.title,
    slug: p.slug,
    brand: p.brand,
    category: p.category,
    description: p.description,
  };
  p.options.forEach((o, i) => {
    v[`option${i + 1}_name`] = o.name;
    v[`option${i + 1}_values`] = o.values.join(', ');
  });
  return v;
}

function variantValues(p: Product, variant: Product['variants'][number]): Record<string, string> {
  const v: Record<string, string> = { title: variant.title, price: String(variant.priceAmount) };
  p.options.forEach((o, i) => {
    v[`opt${i + 1}`] = variant.options[o.name] ?? '';
  });
  return v;
}

const Csrf = ({ csrf }: { csrf?: string }) => <input type="hidden" name="csrf" value={csrf} />;

function StatusActions({ p, csrf, failed }: { p: Product; csrf?: string; failed?: Failed }) {
  const base = productHref(p.slug);
  const actions = {
    draft: ['publish', 'archive'],
    published: ['unpublish', 'archive'],
    archived: ['publish', 'unpublish'],
  }[p.status];
  return (
    <section aria-labelledby="h-status">
      <h2 id="h-status">Status</h2>
      <p>
        <StatusBadge status={p.status} /> {p.status === 'published' ? 'Shoppers see it.' : 'Hidden from shoppers.'}
      </p>
      <Errors failed={failed} form="status" />
      <div class="toolbar">
        {actions.map((action) => (
          <form method="post" action={`${base}/status`} class="inline">
            <Csrf csrf={csrf} />
            <input type="hidden" name="action" value={action} />
            <button type="submit">{action[0]!.toUpperCase() + action.slice(1)}</button>
          </form>
        ))}
        <form method="post" action={`${base}/delete`} class="inline">
          <Csrf csrf={csrf} />
          <button type="submit" class="danger">
            Delete
          </button>
        </form>
      </div>
      <Errors failed={failed} form="delete" />
      <p class="muted">Only a draft or archived product that was never ordered can be deleted: archive it instead.</p>
    </section>
  );
}

function Images({ p, csrf, failed }: { p: Product; csrf?: string; failed?: Failed }) {
  const base = productHref(p.slug);
  return (
    <section aria-labelledby="h-images">
      <h2 id="h-images">Images</h2>
      {p.images.length === 0 && <p class="muted">No image yet.</p>}
      <ul class="images">
        {p.images.map((url, i) => (
          <li>
            <img
              src={url}
              alt={`${p.title} (${i + 1} of ${p.images.length})`}
              width={160}
              height={160}
              loading="lazy"
            />
            <form method="post" action={`${base}/images/remove`}>
              <Csrf csrf={csrf} />
              <input type="hidden" name="url" value={url} />
              <button type="submit" class="secondary" aria-label={`Remove image ${i + 1}`}>
                Remove
              </button>
            </form>
          </li>
        ))}
      </ul>
      <Errors failed={failed} form="image" />
      <form method="post" action={`${base}/images`} enctype="multipart/form-data" class="stack">
        <Csrf csrf={csrf} />
        <label for="image">Upload an image (PNG, JPEG, WebP, GIF or AVIF; at most 5 MB)</label>
        <input id="image" name="image" type="file" accept="image/*" required />
        <button type="submit">Upload</button>
      </form>
    </section>
  );
}

function Variants({ p, csrf, failed }: { p: Product; csrf?: string; failed?: Failed }) {
  const base = productHref(p.slug);
  const names = p.options.map((o) => o.name);
  return (
    <section aria-labelledby="h-variants">
      <h2 id="h-variants">Variants</h2>
      <p>
        <a href={`${base}/stock`}>Stock and its ledger</a> for every variant.
      </p>
      {p.variants.map((variant) => {
        const form = `variant-${variant.sku}`;
        return (
          <form method="post" action={`${base}/variants/${encodeURIComponent(variant.sku)}`} class="variant">
            <fieldset>
              <legend>
                <code>{variant.sku}</code> · {money(variant.priceAmount, p.currency)}
              </legend>
              <Csrf csrf={csrf} />
              <Errors failed={failed} form={form} />
              <VariantFields
                id={`${form}-`}
                rowPrefix=""
                values={shown(failed, form, variantValues(p, variant))}
                optionNames={names}
                withSku={false}
                withStock={false}
              />
              <button type="submit">Save variant</button>
            </fieldset>
          </form>
        );
      })}
      <form method="post" action={`${base}/variants`} class="variant">
        <fieldset>
          <legend>Add a variant</legend>
          <Csrf csrf={csrf} />
          <Errors failed={failed} form="add-variant" />
          <VariantFields
            id="add-"
            rowPrefix=""
            values={shown(failed, 'add-variant', {})}
            optionNames={names}
            withSku
            withStock
          />
          <button type="submit">Add variant</button>
        </fieldset>
      </form>
    </section>
  );
}

export function ProductPage(
  props: Nav & { product: Product; categories: Schemas['CategoryNode'][]; failed?: Failed; notice?: string },
) {
  const { product: p, failed, csrf } = props;
  const v = shown(failed, 'product', productValues(p));
  return (
    <Page title={p.title} {...props} current="/admin/products">
      <p>
        <a href="/admin/products">← Products</a>
      </p>
      <h1>{p.title}</h1>
      <Notice text={props.notice} />
      <p class="muted">
        <code>{p.slug}</code> · {p.currency} · from {money(p.priceAmount, p.currency)} · updated{' '}
        {p.updatedAt.slice(0, 16).replace('T', ' ')} UTC
        {p.status === 'published' && (
          <>
            {' '}
            · <a href={`/v1/products/${encodeURIComponent(p.slug)}`}>as shoppers see it (JSON)</a>
          </>
        )}
      </p>
      <StatusActions p={p} csrf={csrf} failed={failed} />
      <section aria-labelledby="h-details">
        <h2 id="h-details">Details</h2>
        <Errors failed={failed} form="product" />
        <form method="post" action={productHref(p.slug)} class="wide">
          <Csrf csrf={csrf} />
          <fieldset class="grid">
            <legend>Product</legend>
            <Field id="title" name="title" label="Title" value={v.title} required />
            <Field id="slug" name="slug" label="Slug (web address)" value={v.slug} required />
            <Field id="brand" name="brand" label="Brand" value={v.brand} required />
            <CategorySelect id="category" categories={props.categories} value={v.category} />
            <div class="field full">
              <label for="description">Description</label>
              <textarea id="description" name="description" rows={4}>
                {v.description ?? ''}
              </textarea>
            </div>
          </fieldset>
          <OptionFields prefix="" values={v} />
          <button type="submit">Save details</button>
        </form>
      </section>
      <Images p={p} csrf={csrf} failed={failed} />
      <Variants p={p} csrf={csrf} failed={failed} />
    </Page>
  );
}
