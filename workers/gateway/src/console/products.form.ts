// The catalog pages' forms as the API's bodies: a product with its options and a fixed number of variant rows
// (empty rows ignored), a variant, the product's own fields, a stock change. Only what a form cannot say in JSON
// is decided here (which rows count, numbers from text); every rule of the catalog is the API's, which names the
// field it refuses. A problem found here is a list of messages, each naming the row and the field.
import type { Schemas } from '../../../../lib/client';

/** Variant rows on the new-product page: enough for a first range without a script; more are added on the edit page. */
export const VARIANT_ROWS = 4;
/** The API takes up to 3 options per product. */
export const OPTION_SLOTS = 3;

export type Values = Record<string, string>;
type ProductOption = { name: string; values: string[] };
type Parsed<T> = { ok: true; body: T } | { ok: false; errors: string[] };

/** The form's fields as text, trimmed, for parsing and for showing the page again with what the merchant typed. */
export function valuesOf(form: URLSearchParams | FormData): Values {
  const values: Values = {};
  for (const [key, value] of form.entries()) {
    if (key !== 'csrf' && typeof value === 'string') values[key] = value.trim();
  }
  return values;
}

/** A whole number within bounds, or the message naming it. Minor units: 4500 is 45.00, so no decimal point. */
function integer(text: string, what: string, min: number, max: number): number | string {
  if (!/^-?\d+$/.test(text)) {
    return what.includes('price')
      ? `${what}: a whole number of minor units (4500 for 45.00), not "${text}"`
      : `${what}: a whole number, not "${text}"`;
  }
  const n = Number(text);
  if (n < min || n > max) return `${what}: between ${min} and ${max}`;
  return n;
}

/** Options from `optionN_name` and `optionN_values` (comma-separated); a slot without a name is no option. */
export function parseOptions(v: Values): Parsed<ProductOption[]> {
  const options: ProductOption[] = [];
  const errors: string[] = [];
  for (let i = 1; i <= OPTION_SLOTS; i++) {
    const name = v[`option${i}_name`] ?? '';
    const values = (v[`option${i}_values`] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!name && values.length) errors.push(`Option ${i}: give its name (such as Size) for the values`);
    else if (name && !values.length) errors.push(`Option ${i} (${name}): give its values, comma-separated`);
    else if (name) options.push({ name, values });
  }
  return errors.length ? { ok: false, errors } : { ok: true, body: options };
}

/** The fields of one variant row (`prefix` is `v1_`, `v2_`, ... or `` for a form with one variant). */
const ROW_FIELDS = ['sku', 'title', 'opt1', 'opt2', 'opt3', 'price', 'stock'] as const;
const isEmptyRow = (v: Values, prefix: string) => ROW_FIELDS.every((f) => !v[`${prefix}${f}`]);

/**
 * One variant row: SKU, price and initial stock (`withStock`), its value of each option (`optN`), a title (by
 * default its option values, else its SKU).
 */
export function parseVariantRow(
  v: Values,
  prefix: string,
  options: ProductOption[],
  label: string,
  withStock = true,
): Parsed<Schemas['VariantCreate']> {
  const errors: string[] = [];
  const sku = (v[`${prefix}sku`] ?? '').toUpperCase();
  if (!sku) errors.push(`${label}: give its SKU`);
  const priceText = v[`${prefix}price`] ?? '';
  const price = priceText ? integer(priceText, `${label} price`, 0, 100_000_000) : `${label}: give its price`;
  if (typeof price === 'string') errors.push(price);
  let stock: number | string = 0;
  if (withStock && v[`${prefix}stock`]) stock = integer(v[`${prefix}stock`]!, `${label} stock`, 0, 10_000_000);
  if (typeof stock === 'string') errors.push(stock);
  const chosen: Record<string, string> = {};
  options.forEach((o, i) => {
    const value = v[`${prefix}opt${i + 1}`] ?? '';
    if (!value) errors.push(`${label}: choose its ${o.name}`);
    else chosen[o.name] = value;
  });
  if (errors.length) return { ok: false, errors };
  const title = v[`${prefix}title`] || Object.values(chosen).join(' / ') || sku;
  return {
    ok: true,
    body: { sku, title, options: chosen, priceAmount: price as number, initialStock: stock as number },
  };
}

/** A slug from a title, when the merchant left the slug empty: "Linen Shirt, Blue" is `linen-shirt-blue`. */
export const slugOf = (title: string) =>
  title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
    .replace(/-+$/, '');

/** The new-product form as the body of POST /v1/admin/products. */
export function parseNewProduct(v: Values): Parsed<Schemas['ProductCreate']> {
  const options = parseOptions(v);
  const errors = options.ok ? [] : [...options.errors];
  const variants: Schemas['VariantCreate'][] = [];
  for (let i = 1; i <= VARIANT_ROWS; i++) {
    const prefix = `v${i}_`;
    if (isEmptyRow(v, prefix)) continue;
    const row = parseVariantRow(v, prefix, options.ok ? options.body : [], `Variant ${i}`);
    if (row.ok) variants.push(row.body);
    else errors.push(...row.errors);
  }
  if (!variants.length && !errors.length) errors.push('Give at least one variant: a row with its SKU and price');
  if (!v.title) errors.push('Give the title');
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    body: {
      slug: v.slug || slugOf(v.title ?? ''),
      title: v.title ?? '',
      description: v.description ?? '',
      brand: v.brand ?? '',
      category: v.category ?? '',
      currency: (v.currency ?? '').toUpperCase(),
      status: v.status === 'published' ? 'published' : 'draft',
      options: options.ok ? options.body : [],
      variants,
    },
  };
}

/** The edit form of a product's own fields as a PATCH: every field is sent, the API keeps what did not change. */
export function parseProductPatch(v: Values): Parsed<Schemas['ProductUpdate']> {
  const options = parseOptions(v);
  if (!options.ok) return options;
  return {
    ok: true,
    body: {
      slug: v.slug ?? '',
      title: v.title ?? '',
      description: v.description ?? '',
      brand: v.brand ?? '',
      category: v.category ?? '',
      options: options.body,
    },
  };
}

/** A stock change: set on hand or adjust by a delta, always with a reason (the ledger's "why"). */
export type StockChange =
  | { sku: string; kind: 'set'; body: { onHand: number; reason: string } }
  | { sku: string; kind: 'adjust'; body: { delta: number; reason: string } };

/**
 * A delta as typed: one sign at most, `+`, `-` or the minus sign U+2212 the form's hint shows (what a phone's
 * keyboard or a copy of the hint gives); "+-5" stays as typed, so integer() refuses it.
 */
const deltaText = (text: string) =>
  text
    .trim()
    .replace(/^\u2212/, '-')
    .replace(/^\+(?=\d)/, '');

export function parseStockChange(v: Values): { ok: true; change: StockChange } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const sku = (v.sku ?? '').toUpperCase();
  if (!sku) errors.push('Choose the SKU');
  const reason = v.reason ?? '';
  if (!reason) errors.push('Give the reason: it is kept in the stock ledger (such as "stock count")');
  const kind = v.kind === 'adjust' ? 'adjust' : v.kind === 'set' ? 'set' : undefined;
  if (!kind) errors.push('Choose set or adjust');
  const text = v.quantity ?? '';
  const n = !text
    ? `Give the ${kind === 'adjust' ? 'change (+ received, − lost)' : 'count on hand'}`
    : kind === 'adjust'
      ? integer(deltaText(text), 'The change', -10_000_000, 10_000_000)
      : integer(text, 'On hand', 0, 10_000_000);
  if (typeof n === 'string') errors.push(n);
  else if (kind === 'adjust' && n === 0) errors.push('The change: not 0');
  if (errors.length || !kind || typeof n === 'string') return { ok: false, errors };
  return {
    ok: true,
    change: kind === 'set' ? { sku, kind, body: { onHand: n, reason } } : { sku, kind, body: { delta: n, reason } },
  };
}
