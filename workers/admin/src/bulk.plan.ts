// The second step of a bulk import: the checked rows against the catalog as it is, decided row by row, before
// anything is written. Rows are grouped by product (handle); a row's SKU is its identity (idempotent by SKU: a known
// SKU updates its variant, a new one creates it, the same values again change nothing). The rules the JSON API
// enforces hold here too, over the product as it will be (its variants in the file and those not in it): one value
// of every option per variant, no two variants with the same options, at most 100 variants and 50 values per
// option, an existing category, no SKU of another product, a product's currency and option names unchanged.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ImportRow } from '../../../lib/admin/bulk.schemas';
import { ProductOption } from '../../../lib/admin/catalog.schemas';
import { createDb, type DbEnv } from '../../../lib/db/client';
import { stockFigure, stockVersion } from './bulk.export';
import type { ReadRow, RowError } from './bulk.read';
import { read } from './products';

type Options = { name: string; values: string[] }[];

/** A product's own columns as the import and the export see them (category by slug). */
export type ProductFields = {
  slug: string;
  title: string;
  description: string;
  brand: string;
  category: string;
  status: string;
  currency: string;
};

export type ProductNow = ProductFields & { id: string; options: Options };

export type VariantNow = {
  sku: string;
  handle: string;
  title: string;
  options: Record<string, string>;
  price: number;
  position: number;
  stock: number;
  /** The version of the stock figure (0: the object never changed it): what an export writes as stock_version. */
  stock_version: number;
};

export interface CatalogNow {
  products: Map<string, ProductNow>;
  /** By SKU: the file's SKUs and every variant of the file's products. */
  variants: Map<string, VariantNow>;
  /** The variants of each of the file's products (by handle), in position order. */
  byProduct: Map<string, VariantNow[]>;
  categories: Set<string>;
  /** SKUs whose InventoryDO was used (a level copy with a version), known as variants or not. */
  liveObjects: Set<string>;
}

function groupInto<T>(map: Map<string, T[]>, key: string, item: T) {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

const list = (values: Iterable<string>) => JSON.stringify([...new Set(values)]);
const inList = (values: Iterable<string>) => sql`(select jsonb_array_elements_text(${list(values)}::jsonb))`;

/** What the file's rows name, from the primary: four reads, each with its own client (and deadline). */
export async function loadCatalog(env: DbEnv, rows: ReadRow[]): Promise<CatalogNow> {
  const valid = rows.flatMap((r) => (r.value ? [r.value] : []));
  const handles = valid.map((r) => r.handle);
  const skus = valid.map((r) => r.sku);
  const db = () => createDb(env).$primary;
  const [products, variants, categories, levels] = await Promise.all([
    read(
      db().execute<ProductNow>(sql`select p.id, p.slug, p.title, p.description, p.brand, c.slug as category,
        p.status, trim(p.currency) as currency, p.options
        from products p join categories c on c.id = p.category_id where p.slug in ${inList(handles)}`),
    ),
    read(
      db().execute<VariantNow>(sql`select v.sku, p.slug as handle, v.title, v.options, v.price_amount as price,
        v.position, ${stockFigure} as stock, ${stockVersion} as stock_version
        from product_variants v join products p on p.id = v.product_id left join inventory_levels l on l.sku = v.sku
        where p.slug in ${inList(handles)} or v.sku in ${inList(skus)}`),
    ),
    read(
      db().execute<{ slug: string }>(
        sql`select slug from categories where slug in ${inList(valid.map((r) => r.category))}`,
      ),
    ),
    read(
      db().execute<{ sku: string }>(sql`select sku from inventory_levels where version > 0 and sku in ${inList(skus)}`),
    ),
  ]);
  const byProduct = new Map<string, VariantNow[]>();
  const bySku = new Map<string, VariantNow>();
  for (const row of variants.rows) {
    const v = { ...row, options: row.options ?? {}, price: Number(row.price), position: Number(row.position) };
    bySku.set(v.sku, { ...v, stock: Number(row.stock), stock_version: Number(row.stock_version) });
    groupInto(byProduct, v.handle, bySku.get(v.sku)!);
  }
  for (const list of byProduct.values()) list.sort((a, b) => a.position - b.position);
  return {
    products: new Map(products.rows.map((p) => [p.slug, { ...p, options: p.options ?? [] }])),
    variants: bySku,
    byProduct,
    categories: new Set(categories.rows.map((c) => c.slug)),
    liveObjects: new Set(levels.rows.map((l) => l.sku)),
  };
}

/** A product to create or change, as the file has it (options merged with the values it has already). */
export interface ProductWrite extends ProductNow {
  isNew: boolean;
  /** The lowest of the file's prices, for a new product (recomputed over all variants when written). */
  price: number;
}

export interface VariantWrite {
  handle: string;
  sku: string;
  title: string;
  options: Record<string, string>;
  price: number;
  position: number;
}

/** A row's decision: what it changes (empty: unchanged), or its errors (rejected). */
export interface RowPlan extends ReadRow {
  created: boolean;
  changed: string[];
  /** The on hand the file gives, when it may differ from the live figure (the caller asks the object). */
  stockCheck?: { sku: string; onHand: number };
  /** A new SKU whose InventoryDO exists from an earlier product: its stock must be set live after the commit. */
  stockLive?: { sku: string; onHand: number };
}

export interface Plan {
  rows: RowPlan[];
  products: ProductWrite[];
  variants: VariantWrite[];
  /** Starting stock of the new SKUs (inventory_levels.initial_on_hand). */
  levels: { sku: string; initial: number }[];
  /** Handles of the products that change. */
  touched: Set<string>;
}

const PRODUCT_FIELDS = ['title', 'description', 'brand', 'category', 'status', 'currency'] as const;
const optionNames = (r: ImportRow) =>
  [r.option1_name, r.option2_name, r.option3_name].filter((n): n is string => n !== undefined);
function optionsOf(r: ImportRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of [1, 2, 3] as const) {
    const name = r[`option${n}_name`];
    if (name !== undefined) out[name] = r[`option${n}_value`]!;
  }
  return out;
}
const sameOptions = (names: string[], a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && names.every((n) => a[n] === b[n]);
const ProductOptions = z.array(ProductOption).max(3);

export function planImport(checked: ReadRow[], now: CatalogNow): Plan {
  const rows: RowPlan[] = checked.map((r) => ({ ...r, created: false, changed: [] }));
  const reject = (r: RowPlan, field: string, message: string) => r.errors.push({ field, message } as RowError);
  const ok = (r: RowPlan) => r.value !== undefined && r.errors.length === 0;

  // A SKU twice in the file is ambiguous: every row with it is refused.
  const bySku = new Map<string, RowPlan[]>();
  for (const r of rows.filter(ok)) groupInto(bySku, r.value!.sku, r);
  for (const same of bySku.values()) {
    if (same.length < 2) continue;
    // One message per SKU, naming a few rows: a SKU filled down 10,000 rows must not build 10,000 long messages.
    const more = same.length > 5 ? ` and ${same.length - 5} more` : '';
    const message = `appears on rows ${same
      .slice(0, 5)
      .map((s) => s.row)
      .join(', ')}${more} of the file`;
    for (const r of same) reject(r, 'sku', message);
  }

  const groups = new Map<string, RowPlan[]>();
  for (const r of rows.filter(ok)) groupInto(groups, r.value!.handle, r);

  const plan: Plan = { rows, products: [], variants: [], levels: [], touched: new Set() };
  for (const [handle, group] of groups) planProduct(handle, group, now, plan, reject);
  return plan;
}

function planProduct(
  handle: string,
  group: RowPlan[],
  now: CatalogNow,
  plan: Plan,
  reject: (r: RowPlan, field: string, message: string) => void,
) {
  const first = group[0]!;
  const p = first.value!;
  const names = optionNames(p);
  const live = () => group.filter((r) => r.errors.length === 0);
  const rejectAll = (field: string, message: string) => {
    for (const r of live()) reject(r, field, message);
  };
  // Every row of a product must say the same of the product; the first row is the reference.
  for (const r of group.slice(1)) {
    for (const f of PRODUCT_FIELDS)
      if (r.value![f] !== p[f]) reject(r, f, `differs from row ${first.row}, the first row of "${handle}"`);
    if (optionNames(r.value!).join('\n') !== names.join('\n'))
      reject(r, 'option1_name', `option names differ from row ${first.row}, the first row of "${handle}"`);
  }
  const existing = now.products.get(handle);
  if (!now.categories.has(p.category)) rejectAll('category', `no category with slug "${p.category}"`);
  if (existing && existing.currency !== p.currency)
    rejectAll('currency', `is ${existing.currency} for this product; an import cannot change it`);
  // The options the product has: its own, or (made before products kept them, as the seed's) its variants'.
  const siblings = now.byProduct.get(handle) ?? [];
  const base: Options = !existing
    ? names.map((name) => ({ name, values: [] }))
    : existing.options.length
      ? existing.options
      : Object.keys(siblings[0]?.options ?? {}).map((name) => ({
          name,
          values: [...new Set(siblings.flatMap((v) => (v.options[name] === undefined ? [] : [v.options[name]!])))],
        }));
  const existingNames = base.map((o) => o.name);
  if (existingNames.join('\n') !== names.join('\n'))
    rejectAll('option1_name', `must name the product's options: ${existingNames.join(', ') || '(none)'}, in order`);
  for (const r of live()) {
    const owner = now.variants.get(r.value!.sku)?.handle;
    if (owner !== undefined && owner !== handle) reject(r, 'sku', `belongs to the product "${owner}"`);
  }
  // A stock cell from an export older than the stock's last change would undo that change (a sale, a count).
  for (const r of live()) {
    const { sku, stock, stock_version: version } = r.value!;
    const was = now.variants.get(sku);
    if (!was || stock === undefined || version === undefined || stock === was.stock || version === was.stock_version)
      continue;
    reject(
      r,
      'stock',
      `changed since the file was exported (stock_version ${version}, now ${was.stock_version}, on hand ` +
        `${was.stock}): export again, or empty the stock cell to leave the stock as it is`,
    );
  }

  // The product's options: the values it has, then those the file adds, in the file's order.
  const options: Options = base.map((o) => ({ name: o.name, values: [...o.values] }));
  for (const r of live()) {
    const given = optionsOf(r.value!);
    for (const o of options) if (!o.values.includes(given[o.name]!)) o.values.push(given[o.name]!);
  }
  const checked = ProductOptions.safeParse(options);
  if (!checked.success) rejectAll('option1_value', checked.error.issues[0]?.message ?? 'bad options');

  // The variants as they will be: those not in the file, then the file's, in order; no two with the same options.
  const inFile = new Set(live().map((r) => r.value!.sku));
  const kept = siblings.filter((v) => !inFile.has(v.sku));
  const combos = new Map(kept.map((v) => [JSON.stringify(names.map((n) => v.options[n])), v.sku]));
  let count = kept.length;
  for (const r of live()) {
    const combo = JSON.stringify(names.map((n) => optionsOf(r.value!)[n]));
    const other = combos.get(combo);
    if (names.length && other !== undefined) reject(r, 'option1_value', `the same options as ${other}`);
    else if (++count > 100) reject(r, 'sku', 'the product would have more than 100 variants');
    else combos.set(combo, r.value!.sku);
  }
  const rows = live();
  if (rows.length === 0) return;

  const optionsChanged = JSON.stringify(base) !== JSON.stringify(options);
  const productChanged = existing
    ? [...PRODUCT_FIELDS.filter((f) => existing[f] !== p[f]), ...(optionsChanged ? ['options'] : [])]
    : [];
  if (!existing || productChanged.length)
    plan.products.push({
      id: existing?.id ?? crypto.randomUUID(),
      isNew: !existing,
      slug: handle,
      ...Object.fromEntries(PRODUCT_FIELDS.map((f) => [f, p[f]])),
      // Unchanged options are written as they are stored (a product with its variants' options keeps them there).
      options: existing && !optionsChanged ? existing.options : options,
      price: Math.min(...rows.map((r) => r.value!.price)),
    } as ProductWrite);
  let position = Math.max(-1, ...siblings.map((v) => v.position));
  for (const r of rows) {
    const v = r.value!;
    const was = now.variants.get(v.sku);
    const given = optionsOf(v);
    const write = { handle, sku: v.sku, title: v.variant_title, options: given, price: v.price, position: 0 };
    if (!was) {
      r.created = true;
      plan.variants.push({ ...write, position: ++position });
      plan.levels.push({ sku: v.sku, initial: v.stock ?? 0 });
      if (v.stock !== undefined && now.liveObjects.has(v.sku)) r.stockLive = { sku: v.sku, onHand: v.stock };
      continue;
    }
    const changed = [
      ...(was.title === v.variant_title ? [] : ['variant_title']),
      ...(sameOptions(names, was.options, given) ? [] : ['options']),
      ...(was.price === v.price ? [] : ['price']),
    ];
    if (changed.length) plan.variants.push({ ...write, position: was.position });
    r.changed = [...productChanged, ...changed];
    if (v.stock !== undefined && v.stock !== was.stock) r.stockCheck = { sku: v.sku, onHand: v.stock };
  }
  if (productChanged.length || rows.some((r) => r.created || r.changed.length)) plan.touched.add(handle);
}
