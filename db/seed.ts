// A realistic, deterministic catalog: a three-level category tree and 1,200 products with variants
// (size / colour / capacity), integer prices in USD cents, images and descriptions. `SEED_PRODUCTS=N` sizes it:
// the first 1,200 products are always these, the rest come from db/seed.scale.ts (Zipf-like word frequencies).
// Idempotent: fixed ids, slugs and SKUs with ON CONFLICT DO NOTHING, so re-running changes nothing. Written in
// batches of multi-row `insert ... select from unnest(...)` (one parameter per column), one transaction per batch.
// CLI: DATABASE_URL=postgres://... [SEED_PRODUCTS=100000] tsx db/seed.ts
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Leaf, tree } from './seed.data';
import { rng, type SeedProduct, slugify, tailGenerator } from './seed.scale';

/** The classic seed's size, and the default of SEED_PRODUCTS. */
export const SEED_PRODUCTS = 1200;
/** The largest SEED_PRODUCTS accepted. */
export const MAX_SEED_PRODUCTS = 5_000_000;

/** SEED_PRODUCTS from the environment: a whole number 1..MAX_SEED_PRODUCTS (underscores allowed), default 1,200. */
export function seedSize(value: string | undefined = process.env.SEED_PRODUCTS): number {
  if (value === undefined || value.trim() === '') return SEED_PRODUCTS;
  const n = Number(value.trim().replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1 || n > MAX_SEED_PRODUCTS) {
    throw new Error(`SEED_PRODUCTS must be a whole number from 1 to ${MAX_SEED_PRODUCTS}, not "${value}".`);
  }
  return n;
}

// Re-seeded by every seedData() call, so the same catalog comes out however often it runs in one process.
let rand = rng(20261123);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const hex = (n: number) =>
  Math.floor(rand() * 16 ** n)
    .toString(16)
    .padStart(n, '0');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;

interface CategoryRow {
  slug: string;
  name: string;
  parent: string | null;
  path: string;
  position: number;
}
type ProductRow = SeedProduct;

function categories(): { rows: CategoryRow[]; leaves: { path: string; slug: string; leaf: Leaf }[] } {
  const rows: CategoryRow[] = [];
  const leaves: { path: string; slug: string; leaf: Leaf }[] = [];
  tree.forEach((top, i) => {
    rows.push({ slug: top.slug, name: top.name, parent: null, path: top.slug, position: i });
    top.children.forEach((mid, j) => {
      const midPath = `${top.slug}/${mid.slug}`;
      rows.push({ slug: mid.slug, name: mid.name, parent: top.slug, path: midPath, position: j });
      if ('leaf' in mid) leaves.push({ path: midPath, slug: mid.slug, leaf: mid.leaf });
      else
        mid.children.forEach((low, k) => {
          rows.push({ slug: low.slug, name: low.name, parent: mid.slug, path: `${midPath}/${low.slug}`, position: k });
          leaves.push({ path: `${midPath}/${low.slug}`, slug: low.slug, leaf: low.leaf });
        });
    });
  });
  return { rows, leaves };
}

function product(n: number, cat: { slug: string; leaf: Leaf }): ProductRow {
  const { leaf } = cat;
  const noun = pick(leaf.nouns);
  const material = pick(leaf.materials);
  const adjective = pick(leaf.adjectives);
  const brand = pick(leaf.brands);
  const title = `${adjective} ${material} ${noun}`;
  const slug = `${slugify(`${brand} ${title}`)}-${n}`;
  const [lo, hi] = leaf.price;
  const base = Math.round((lo + rand() * (hi - lo)) / 100) * 100 - 1;
  const axes = leaf.options;
  const combos: Record<string, string>[] = [{}];
  for (const [axis, values] of Object.entries(axes)) {
    const chosen = values.filter(() => rand() < 0.7);
    const use = chosen.length ? chosen : [values[0]!];
    combos.splice(0, combos.length, ...combos.flatMap((c) => use.map((v) => ({ ...c, [axis]: v }))));
  }
  const variants = combos.slice(0, 8).map((options, position) => {
    const upcharge = Object.values(options).some((v) => /XL|XXL|1TB|Large|King/.test(v)) ? 500 : 0;
    const code = Object.values(options)
      .map((v) =>
        v
          .replace(/[^A-Za-z0-9]/g, '')
          .slice(0, 4)
          .toUpperCase(),
      )
      .join('-');
    return {
      sku: `${leaf.skuPrefix}-${String(n).padStart(5, '0')}${code ? `-${code}` : ''}`,
      title: Object.values(options).join(' / ') || 'Default',
      options,
      priceAmount: base + upcharge,
      position,
    };
  });
  const created = new Date(Date.UTC(2025, 10, 1) + n * 6.5 * 3600_000 + Math.floor(rand() * 3600_000));
  return {
    id: uuid(),
    slug,
    title,
    brand,
    category: cat.slug,
    description:
      `The ${title.toLowerCase()} from ${brand}: ${pick(leaf.pitches)} ` +
      `Made of ${material.toLowerCase()}, ${pick(['built to last', 'designed in-house', 'tested for everyday use', 'finished by hand'])}. ` +
      `${pick(['Free returns within 30 days.', 'Ships in recyclable packaging.', 'Covered by a two-year warranty.', 'A customer favourite.'])}`,
    priceAmount: Math.min(...variants.map((v) => v.priceAmount)),
    images: [1, 2, 3]
      .slice(0, 1 + Math.floor(rand() * 3))
      .map((i) => `https://images.storefront.example/products/${slug}/${i}.jpg`),
    createdAt: created.toISOString(),
    variants,
  };
}

/** The products of a seed of `count`, in batches of `batch`, generated as they are asked for (a million do not
 * fit in memory at once). The first 1,200 are the classic seed's; the same `count` gives the same products. */
export function* seedBatches(count: number = SEED_PRODUCTS, batch = 5000): Generator<ProductRow[]> {
  rand = rng(20261123);
  const { leaves } = categories();
  const tail = tailGenerator(leaves);
  let chunk: ProductRow[] = [];
  for (let n = 1; n <= count; n++) {
    chunk.push(n <= SEED_PRODUCTS ? product(n, leaves[(n - 1) % leaves.length]!) : tail(n));
    if (chunk.length === batch) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

/** The whole seed, computed (not yet written): for sizes that fit in memory. */
export function seedData(count: number = SEED_PRODUCTS) {
  const products = [...seedBatches(count)].flat();
  return { categories: categories().rows, products };
}

/** One batch of products, their variants and (for the sized tail) their starting stock, in one transaction. */
async function writeBatch(client: pg.ClientBase, ids: Map<string, number>, batch: ProductRow[]) {
  const col = <T>(f: (p: ProductRow) => T) => batch.map(f);
  const variants = batch.flatMap((p) => p.variants.map((v) => ({ ...v, productId: p.id })));
  const vcol = <T>(f: (v: (typeof variants)[number]) => T) => variants.map(f);
  const stocked = variants.filter((v) => v.stock !== undefined);
  await client.query('begin');
  try {
    await client.query(
      `insert into products (id, slug, title, description, brand, category_id, status, price_amount, currency, images,
                             created_at, updated_at)
       select id, slug, title, description, brand, category_id, 'published', price_amount, 'USD', images::jsonb,
              created_at, created_at
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[],
                   $9::timestamptz[]) as t(id, slug, title, description, brand, category_id, price_amount, images,
                                           created_at)
       on conflict (slug) do nothing`,
      [
        col((p) => p.id),
        col((p) => p.slug),
        col((p) => p.title),
        col((p) => p.description),
        col((p) => p.brand),
        col((p) => ids.get(p.category)),
        col((p) => p.priceAmount),
        col((p) => JSON.stringify(p.images)),
        col((p) => p.createdAt),
      ],
    );
    await client.query(
      `insert into product_variants (product_id, sku, title, options, price_amount, currency, position)
       select product_id, sku, title, options::jsonb, price_amount, 'USD', position
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[])
            as t(product_id, sku, title, options, price_amount, position)
       on conflict (sku) do nothing`,
      [
        vcol((v) => v.productId),
        vcol((v) => v.sku),
        vcol((v) => v.title),
        vcol((v) => JSON.stringify(v.options)),
        vcol((v) => v.priceAmount),
        vcol((v) => v.position),
      ],
    );
    if (stocked.length) {
      await client.query(
        `insert into inventory_levels (sku, initial_on_hand, on_hand, available)
         select sku, n, n, n from unnest($1::text[], $2::int[]) as t(sku, n) on conflict (sku) do nothing`,
        [stocked.map((v) => v.sku), stocked.map((v) => v.stock)],
      );
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  }
}

export interface SeedOptions {
  /** How many products (default: SEED_PRODUCTS from the environment, else 1,200). */
  products?: number;
  /** Called after each batch once the seed is larger than the classic one (e.g. a progress line). */
  progress?: (done: number, total: number, elapsedMs: number) => void;
}

export async function seed(
  databaseUrl: string,
  opts: SeedOptions = {},
): Promise<{ categories: number; products: number; variants: number }> {
  const count = opts.products ?? seedSize();
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  const started = Date.now();
  try {
    // A seed is rebuilt from scratch if lost: no need to wait for each batch's WAL flush.
    await client.query('set synchronous_commit = off');
    await client.query('begin');
    for (const c of categories().rows) {
      await client.query(
        `insert into categories (slug, name, parent_id, path, position)
         values ($1, $2, (select id from categories where slug = $3), $4, $5) on conflict (slug) do nothing`,
        [c.slug, c.name, c.parent, c.path, c.position],
      );
    }
    await client.query('commit');
    const ids = new Map(
      (await client.query<{ id: number; slug: string }>('select id, slug from categories')).rows.map((r) => [
        r.slug,
        r.id,
      ]),
    );
    let done = 0;
    // A sized seed loaded before (its last product is there) is not generated again: a million would take minutes.
    const loaded =
      count > SEED_PRODUCTS &&
      (
        await client.query('select 1 from products where right(slug, $2) = $1 limit 1', [
          `-${count}`,
          `${count}`.length + 1,
        ])
      ).rowCount === 1;
    for (const batch of loaded ? [] : seedBatches(count)) {
      await writeBatch(client, ids, batch);
      done += batch.length;
      if (count > SEED_PRODUCTS) opts.progress?.(done, count, Date.now() - started);
    }
    // A sized load gives the planner its statistics at once: until autovacuum's ANALYZE comes round, the search's
    // plans are chosen blind (measured at 100,000 products right after the load: common words p99 647 ms through
    // the gateway, engine p99 201 ms; a minute later, analyzed, 90 ms and 1.3 ms).
    if (!loaded && count > SEED_PRODUCTS) await client.query('analyze');
    // Starting stock of the classic seed, deterministic per SKU (25 to 224 units): each InventoryDO takes it on
    // first use. (The sized tail's stock was written with its batches.)
    await client.query(
      `insert into inventory_levels (sku, initial_on_hand, on_hand, available)
       select sku, 25 + abs(hashtext(sku)) % 200, 25 + abs(hashtext(sku)) % 200, 25 + abs(hashtext(sku)) % 200
       from product_variants on conflict (sku) do nothing`,
    );
    const counts = await client.query<{ c: string; p: string; v: string }>(
      'select (select count(*) from categories) c, (select count(*) from products) p, (select count(*) from product_variants) v',
    );
    const row = counts.rows[0]!;
    return { categories: Number(row.c), products: Number(row.p), variants: Number(row.v) };
  } finally {
    await client.end();
  }
}

/** A progress line for a sized seed: done, rate, and what is left at that rate. */
export function progressLine(done: number, total: number, elapsedMs: number): string {
  const rate = done / Math.max(elapsedMs / 1000, 0.001);
  const left = (total - done) / Math.max(rate, 1);
  return `seed: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} products, ${Math.round(rate)}/s, ~${Math.ceil(left)}s left`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set.');
    process.exit(2);
  }
  const started = Date.now();
  const counts = await seed(url, { progress: (d, t, ms) => console.log(progressLine(d, t, ms)) });
  console.log({ ...counts, seconds: (Date.now() - started) / 1000 });
}
