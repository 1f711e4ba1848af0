// The third step of a bulk import: the planned changes written in ONE Postgres transaction (one Neon HTTP batch),
// set-based (each statement takes up to CHUNK rows as one jsonb parameter), with one audit entry for the whole
// import (audit.ts, auditedWrites: the entry is in the same transaction, so without it nothing is written). Either
// every accepted row is applied or none is, whatever fails (a constraint, a lost connection, the audit insert).
// Then the catalog generation is published once for the import (products.ts, publishCatalogWrite).
import { type SQL, sql } from 'drizzle-orm';
import type { Actor } from '../../../lib/contracts/admin';
import { createDb } from '../../../lib/db/client';
import { AppError } from '../../../lib/errors';
import { auditedWrites } from './audit';
import type { Plan } from './bulk.plan';
import { guard, guardFailure } from './guards';
import type { ProductRef } from './notify.events';
import { type CatalogWriteEnv, conflictOf, productOwnJson, publishCatalogWrite, skusTaken } from './products';

/** Rows per statement: one jsonb parameter each, a few hundred KB. */
const CHUNK = 1000;
/** The import's transaction may take longer than a request's usual DB deadline (DB_TIMEOUT_MS). */
export const BULK_DB_TIMEOUT_MS = 30_000;
/** The parameters of the one batch, in bytes as sent: below the Neon HTTP request limit (10 MB). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * The bytes a JSON text parameter takes in the HTTP request to Neon: its UTF-8 (an accented title is more bytes
 * than characters), plus one more for each quote and backslash, which the request's own JSON escapes again.
 */
function wireBytes(json: string): number {
  let escaped = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 34 || c === 92) escaped++;
  }
  return new TextEncoder().encode(json).byteLength + escaped;
}

const chunks = <T>(items: T[]) =>
  Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));
const inList = (json: string) => sql`(select jsonb_array_elements_text(${json}::jsonb))`;

/**
 * What the audit entry keeps as `before` and `after`: the imported products' count, their variants' count and a
 * digest of their rows (variants with their starting stock), so the entry shows the import changed them without
 * copying thousands of rows into the log; the file's hash, counts and SKUs are added to `after` (the note).
 * Set-based (two aggregates over joins): a subquery per product took seconds for 2,000 products.
 */
const importState = (handles: string) => sql`(select jsonb_build_object('products', pc.n, 'variants', vc.n,
    'md5', md5(pc.d || vc.d))
  from (select count(*) as n, coalesce(string_agg(md5((${productOwnJson} - 'updated_at')::text), ''
      order by p.slug), '') as d
    from products p where p.slug in ${inList(handles)}) pc,
  (select count(*) as n, coalesce(string_agg(md5(((to_jsonb(v) - 'id') || jsonb_build_object('initial',
      l.initial_on_hand))::text), '' order by v.sku), '') as d
    from product_variants v join products p on p.id = v.product_id left join inventory_levels l on l.sku = v.sku
    where p.slug in ${inList(handles)}) vc)`;

export type ImportNote = {
  file: { sha256: string };
  mode: string;
  counts: Record<string, number>;
  created: string[];
  updated: string[];
};

/** Writes the plan; answers the generation published and the products it changed, as they are after the commit. */
export async function applyPlan(
  env: CatalogWriteEnv,
  actor: Actor,
  plan: Plan,
  note: ImportNote,
): Promise<{ generation: string; products: ProductRef[] }> {
  const db = createDb({ ...env, DB_TIMEOUT_MS: String(BULK_DB_TIMEOUT_MS) }).$primary;
  const handles = JSON.stringify([...plan.touched]);
  const variantChunks = chunks(plan.variants).map((c) => JSON.stringify(c));
  const params = [
    ...chunks(plan.products).map((c) => JSON.stringify(c)),
    ...chunks(plan.variants).map((c) => JSON.stringify(c)),
    ...chunks(plan.levels).map((c) => JSON.stringify(c)),
  ];
  // The handles go in six places (the lock, the price update, the audit state read before and after, twice each),
  // the variants twice (the SKU guard and the upsert), the note once.
  const size = params.reduce(
    (n, p) => n + wireBytes(p),
    wireBytes(handles) * 6 + wireBytes(JSON.stringify(note)) + variantChunks.reduce((n, c) => n + wireBytes(c), 0),
  );
  if (size > MAX_BATCH_BYTES)
    throw new AppError('PAYLOAD_TOO_LARGE', 'The changes are too large for one transaction: split the file.', {
      details: { changeBytes: size, maxChangeBytes: MAX_BATCH_BYTES },
    });
  let i = 0;
  const productWrites = chunks(plan.products).map(() => upsertProducts(params[i++]!));
  const variantWrites = chunks(plan.variants).map(() => upsertVariants(params[i++]!));
  const levelWrites = chunks(plan.levels).map(() => startingStock(params[i++]!));
  const writes: SQL[] = [
    // Bounded on the server too: a client that gave up (BULK_DB_TIMEOUT_MS) must not see its import commit later.
    sql`set local lock_timeout = '20s'`,
    sql`set local statement_timeout = '25s'`,
    // The touched products' rows first, in id order, as the JSON API locks a product before its variants: an import
    // and a merchant's edit of the same product then wait for each other instead of deadlocking.
    sql`select id from products where slug in ${inList(handles)} order by id for update`,
    // The plan was made before the lock: a planned SKU that belongs to another product by now aborts the whole
    // import (the cast fails, naming the SKU), instead of being skipped while the report says "created".
    ...variantChunks.map((json) => skuGuard(json)),
    ...productWrites,
    ...variantWrites,
    ...levelWrites,
    // Each touched product's "from" price over all its variants, and its change time.
    sql`update products p set updated_at = now(), price_amount = (select min(v.price_amount) from product_variants v
        where v.product_id = p.id) where p.slug in ${inList(handles)}`,
  ];
  await auditedWrites(
    db,
    actor,
    {
      action: 'product.import',
      target: { type: 'import', id: note.file.sha256 },
      state: importState(handles),
      // Import transactions run one at a time: two touching the same products in another order could deadlock.
      lock: sql`select pg_advisory_xact_lock(hashtext('storefront.bulk-import'))`,
      note,
    },
    writes.map((w) => db.execute(w)),
  ).catch((err) => {
    const taken = guardFailure(err, 'SKU_TAKEN');
    if (taken) throw skusTaken([taken]);
    return conflictOf(err, { skus: plan.variants.map((v) => v.sku) });
  });
  const generation = await publishCatalogWrite(env);
  // Read after the commit: what product.updated carries for each product the import changed.
  const changed = await db.execute<{ id: string; slug: string; title: string; status: string; updated_at: string }>(
    sql`select id, slug, title, status, updated_at::text from products where slug in ${inList(handles)} order by slug`,
  );
  const products = changed.rows.map((p) => ({
    id: p.id,
    slug: p.slug,
    title: p.title,
    status: p.status,
    updatedAt: new Date(p.updated_at).toISOString(),
  }));
  return { generation, products };
}

const upsertProducts = (json: string) => sql`insert into products (id, slug, title, description, brand, category_id,
    status, price_amount, currency, options)
  select r.id, r.slug, r.title, r.description, r.brand, (select id from categories where slug = r.category), r.status,
    r.price, r.currency, r.options
  from jsonb_to_recordset(${json}::jsonb) as r(id uuid, slug text, title text, description text, brand text,
    category text, status text, price int, currency text, options jsonb)
  on conflict (slug) do update set title = excluded.title, description = excluded.description, brand = excluded.brand,
    category_id = excluded.category_id, status = excluded.status, options = excluded.options, updated_at = now()`;

// A SKU that meanwhile belongs to another product is not moved (the `where`): the plan refused that already.
const upsertVariants = (json: string) => sql`insert into product_variants (product_id, sku, title, options,
    price_amount, currency, position)
  select p.id, r.sku, r.title, r.options, r.price, p.currency, r.position
  from jsonb_to_recordset(${json}::jsonb) as r(handle text, sku text, title text, options jsonb, price int,
    position int)
  join products p on p.slug = r.handle
  on conflict (sku) do update set title = excluded.title, options = excluded.options,
    price_amount = excluded.price_amount
  where product_variants.product_id = excluded.product_id`;

const skuGuard = (json: string) =>
  guard(
    'SKU_TAKEN',
    sql`select v.sku from jsonb_to_recordset(${json}::jsonb) as r(handle text, sku text)
      join product_variants v on v.sku = r.sku join products p on p.id = v.product_id where p.slug <> r.handle`,
  );

// As createProduct: the starting stock an InventoryDO loads when first used; a SKU sold before gets its new start.
const startingStock = (json: string) => sql`insert into inventory_levels (sku, initial_on_hand)
  select r.sku, r.initial from jsonb_to_recordset(${json}::jsonb) as r(sku text, initial int)
  on conflict (sku) do update set initial_on_hand = excluded.initial_on_hand`;
