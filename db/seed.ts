// A realistic, deterministic catalog: a three-level category tree and 1,200 products with variants
// (size / colour / capacity), integer prices in USD cents, images and descriptions.
// Idempotent: fixed ids, slugs and SKUs with ON CONFLICT DO NOTHING, so re-running changes nothing.
// CLI: DATABASE_URL=postgres://... tsx db/seed.ts
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Leaf, tree } from './seed.data';

export const SEED_PRODUCTS = 1200;

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// Re-seeded by every seedData() call, so the same catalog comes out however often it runs in one process.
let rand = rng(20261123);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const slugify = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
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
interface ProductRow {
  id: string;
  slug: string;
  title: string;
  description: string;
  brand: string;
  category: string;
  priceAmount: number;
  images: string[];
  createdAt: string;
  variants: { sku: string; title: string; options: Record<string, string>; priceAmount: number; position: number }[];
}

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

/** The whole seed, computed (not yet written). */
export function seedData() {
  rand = rng(20261123);
  const { rows, leaves } = categories();
  const products = Array.from({ length: SEED_PRODUCTS }, (_, i) => product(i + 1, leaves[i % leaves.length]!));
  return { categories: rows, products };
}

async function insertMany(client: pg.ClientBase, table: string, cols: string[], rows: unknown[][], conflict: string) {
  for (let i = 0; i < rows.length; i += 250) {
    const chunk = rows.slice(i, i + 250);
    const params: unknown[] = [];
    const tuples = chunk.map((r) => `(${r.map((v) => `$${params.push(v)}`).join(', ')})`);
    await client.query(
      `insert into ${table} (${cols.join(', ')}) values ${tuples.join(', ')} on conflict (${conflict}) do nothing`,
      params,
    );
  }
}

export async function seed(databaseUrl: string): Promise<{ categories: number; products: number; variants: number }> {
  const data = seedData();
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('begin');
    for (const c of data.categories) {
      await client.query(
        `insert into categories (slug, name, parent_id, path, position)
         values ($1, $2, (select id from categories where slug = $3), $4, $5) on conflict (slug) do nothing`,
        [c.slug, c.name, c.parent, c.path, c.position],
      );
    }
    const ids = new Map(
      (await client.query<{ id: number; slug: string }>('select id, slug from categories')).rows.map((r) => [
        r.slug,
        r.id,
      ]),
    );
    await insertMany(
      client,
      'products',
      [
        'id',
        'slug',
        'title',
        'description',
        'brand',
        'category_id',
        'status',
        'price_amount',
        'currency',
        'images',
        'created_at',
        'updated_at',
      ],
      data.products.map((p) => [
        p.id,
        p.slug,
        p.title,
        p.description,
        p.brand,
        ids.get(p.category),
        'published',
        p.priceAmount,
        'USD',
        JSON.stringify(p.images),
        p.createdAt,
        p.createdAt,
      ]),
      'slug',
    );
    await insertMany(
      client,
      'product_variants',
      ['product_id', 'sku', 'title', 'options', 'price_amount', 'currency', 'position'],
      data.products.flatMap((p) =>
        p.variants.map((v) => [p.id, v.sku, v.title, JSON.stringify(v.options), v.priceAmount, 'USD', v.position]),
      ),
      'sku',
    );
    // Starting stock, deterministic per SKU (25 to 224 units): each InventoryDO takes it on first use.
    await client.query(
      `insert into inventory_levels (sku, initial_on_hand, on_hand, available)
       select sku, 25 + abs(hashtext(sku)) % 200, 25 + abs(hashtext(sku)) % 200, 25 + abs(hashtext(sku)) % 200
       from product_variants on conflict (sku) do nothing`,
    );
    await client.query('commit');
    const counts = await client.query<{ c: string; p: string; v: string }>(
      'select (select count(*) from categories) c, (select count(*) from products) p, (select count(*) from product_variants) v',
    );
    const row = counts.rows[0]!;
    return { categories: Number(row.c), products: Number(row.p), variants: Number(row.v) };
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set.');
    process.exit(2);
  }
  console.log(await seed(url));
}
