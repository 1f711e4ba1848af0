// Merchant product writes against the primary: create (with options, variants, images, a category), change any of
// the product's fields, publish / unpublish / archive, delete one never ordered. Each write and its audit row are one
// transaction (audit.ts); after the commit the catalog generation is published, which makes every cached catalog
// answer unreachable (lib/catalog/generation.ts, docs/catalog.md: the invalidation bound). Variants: variants.ts.
import { eq, inArray, type SQL, sql } from 'drizzle-orm';
import { categories, inventoryLevels, orderLines, products, productVariants } from '../../../db/schema';
import type { ProductCreate, ProductPatch } from '../../../lib/admin/catalog.schemas';
import { publishGeneration } from '../../../lib/catalog/generation';
import type { Actor } from '../../../lib/contracts/admin';
import { createDb, type DbEnv } from '../../../lib/db/client';
import { mapDbError } from '../../../lib/db/errors';
import { isoFromPostgres } from '../../../lib/db/timestamps';
import { AppError } from '../../../lib/errors';
import { retry } from '../../../lib/resilience';
import { auditedWrites, type PrimaryDb } from './audit';
import { guard, guardFailure } from './guards';
import { type ImagesEnv, missingImages } from './images';
import { type WarmEnv, warmCatalog } from './warm';

export type CatalogWriteEnv = DbEnv & WarmEnv & { CATALOG_META: KVNamespace };
export type ProductWriteEnv = CatalogWriteEnv & ImagesEnv;

/**
 * A product row `p` as JSON without the columns derived from others: the search vector, the normalized brand and the
 * facet keys and combinations of its variants' options (migrations 0013, 0014), which the audit log and an import's
 * digest leave out.
 */
export const productOwnJson = sql`(to_jsonb(p) - array['search', 'brand_key', 'facet_keys', 'facet_labels', 'facet_combos'])`;

/** The product `where` selects, with its variants, as the audit log keeps it (before and after a write). */
export const productState = (where: SQL) =>
  sql`(select ${productOwnJson} || jsonb_build_object('variants', coalesce((select jsonb_agg(
      to_jsonb(v) - 'product_id' order by v.position, v.sku) from ${productVariants} v where v.product_id = p.id),
      '[]'::jsonb)) from ${products} p where ${where})`;

/** A read on the primary, an outage answered 503. */
export async function read<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (err) {
    mapDbError(err);
  }
}

/**
 * Publishes the WAL position after a committed catalog write as the new generation. Read after the commit, so the
 * position is at or past the commit record. With a NEW client, tried twice: the request's client's deadline runs
 * from its creation and may have passed during the write, which is committed by now. Then the catalog warms the
 * new generation's hot entries in the background (warm.ts).
 */
export async function publishCatalogWrite(env: CatalogWriteEnv): Promise<string> {
  const lsnResult = await retry(
    () => read(createDb(env).$primary.execute<{ lsn: string }>(sql`select pg_current_wal_lsn()::text as lsn`)),
    { attempts: 2, baseMs: 50, maxMs: 200 },
  );
  const generation = await publishGeneration(env.CATALOG_META, lsnResult.rows[0]!.lsn);
  warmCatalog(env, generation);
  return generation;
}

export const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', `Invalid body: ${field}: ${message}`, {
    details: [{ path: field.split('.'), message }],
  });

export async function productIdOf(
  db: PrimaryDb,
  slug: string,
): Promise<{ id: string; currency: string; status: string }> {
  const [row] = await read(
    db
      .select({ id: products.id, currency: products.currency, status: products.status })
      .from(products)
      .where(eq(products.slug, slug)),
  );
  if (!row) throw new AppError('NOT_FOUND', `No product with slug "${slug}".`);
  return { id: row.id, currency: row.currency.trim(), status: row.status };
}

async function categoryIdOf(db: PrimaryDb, slug: string): Promise<number> {
  const [row] = await read(db.select({ id: categories.id }).from(categories).where(eq(categories.slug, slug)));
  if (!row) throw invalid('category', `no category with slug "${slug}"`);
  return row.id;
}

async function checkImages(env: ImagesEnv, refs: readonly string[] | undefined) {
  const missing = refs ? await missingImages(env, refs) : [];
  if (missing.length) throw invalid('images', `not uploaded: ${missing.join(', ')} (POST /v1/admin/images first)`);
}

/** The unique violation in `err` or what it wraps (drizzle wraps the driver's error), if any. */
export function uniqueViolation(err: unknown): { constraint?: string } | undefined {
  let e = err as { code?: string; constraint?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if (e.code === '23505') return e;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Taken slugs and SKUs are 409s naming them; the constraints are the backstop for a race with another writer. */
export function conflictOf(err: unknown, what: { slug?: string; skus?: string[] }): never {
  const unique = uniqueViolation(err);
  if (unique && /sku/.test(unique.constraint ?? '')) throw skusTaken(what.skus ?? []);
  if (unique) throw slugTaken(what.slug ?? '');
  throw err;
}
const slugTaken = (slug: string) =>
  new AppError('SLUG_TAKEN', `A product with slug "${slug}" exists already.`, { details: { slug } });
export const skusTaken = (skus: string[]) =>
  new AppError('SKU_TAKEN', `These SKUs are sold already: ${skus.join(', ')}.`, { details: { skus } });

export async function takenSkus(db: PrimaryDb, skus: string[]): Promise<string[]> {
  const rows = await read(
    db.select({ sku: productVariants.sku }).from(productVariants).where(inArray(productVariants.sku, skus)),
  );
  return rows.map((r) => r.sku);
}

async function slugFree(db: PrimaryDb, slug: string) {
  const [row] = await read(db.select({ id: products.id }).from(products).where(eq(products.slug, slug)));
  if (row) throw slugTaken(slug);
}

/** The product's row as `productState` builds it (Postgres column names), with its category's slug. */
interface ProductJson {
  id: string;
  slug: string;
  title: string;
  description: string;
  brand: string;
  category_slug: string;
  status: 'draft' | 'published' | 'archived';
  currency: string;
  price_amount: number;
  options: { name: string; values: string[] }[] | null;
  images: string[] | null;
  created_at: string;
  updated_at: string;
  variants: {
    sku: string;
    title: string;
    options: Record<string, string> | null;
    price_amount: number;
    position: number;
  }[];
}

/** The product as the merchant API answers it (every status, every field). */
export async function adminProduct(db: PrimaryDb, id: string) {
  const { rows } = await read(
    db.execute<{ p: ProductJson | null }>(
      sql`select ${productState(sql`p.id = ${id}`)} || jsonb_build_object('category_slug',
          (select slug from ${categories} where id = (select category_id from ${products} where id = ${id}))) as p`,
    ),
  );
  const p = rows[0]?.p;
  if (!p) throw new AppError('NOT_FOUND', 'The product is gone.');
  return {
    id: p.id,
    slug: p.slug,
    title: p.title,
    description: p.description,
    brand: p.brand,
    category: p.category_slug,
    status: p.status,
    currency: String(p.currency).trim(),
    priceAmount: p.price_amount,
    options: p.options ?? [],
    images: p.images ?? [],
    variants: p.variants.map((v) => ({
      sku: v.sku,
      title: v.title,
      options: v.options ?? {},
      priceAmount: v.price_amount,
      position: v.position,
    })),
    createdAt: isoFromPostgres(p.created_at),
    updatedAt: isoFromPostgres(p.updated_at),
  };
}

/** POST /v1/admin/products. Stock is set afterwards in each SKU's InventoryDO by the caller (index.ts). */
export async function createProduct(env: ProductWriteEnv, actor: Actor, input: ProductCreate) {
  const db = createDb(env).$primary;
  const categoryId = await categoryIdOf(db, input.category);
  await checkImages(env, input.images);
  await slugFree(db, input.slug);
  const skus = input.variants.map((v) => v.sku);
  const taken = await takenSkus(db, skus);
  if (taken.length) throw skusTaken(taken);
  const id = crypto.randomUUID();
  const writes = [
    db.insert(products).values({
      id,
      slug: input.slug,
      title: input.title,
      description: input.description,
      brand: input.brand,
      categoryId,
      status: input.status,
      priceAmount: Math.min(...input.variants.map((v) => v.priceAmount)),
      currency: input.currency,
      options: input.options,
      images: input.images,
    }),
    db.insert(productVariants).values(
      input.variants.map((v, position) => ({
        productId: id,
        sku: v.sku,
        title: v.title,
        options: v.options,
        priceAmount: v.priceAmount,
        currency: input.currency,
        position,
      })),
    ),
    // The starting stock an InventoryDO loads when first used (as the seed's): the stock is right even if
    // setting it live fails below. A SKU sold before (a deleted product's) gets its new start.
    db
      .insert(inventoryLevels)
      .values(input.variants.map((v) => ({ sku: v.sku, initialOnHand: v.initialStock })))
      .onConflictDoUpdate({ target: inventoryLevels.sku, set: { initialOnHand: sql`excluded.initial_on_hand` } }),
  ] as const;
  await auditedWrites(
    db,
    actor,
    { action: 'product.create', target: { type: 'product', id }, state: productState(sql`p.id = ${id}`) },
    writes,
  ).catch((err) => conflictOf(err, { slug: input.slug, skus }));
  const generation = await publishCatalogWrite(env);
  return { product: await adminProduct(db, id), generation };
}

/** PATCH /v1/admin/products/:slug: any of the product's own fields; `priceAmount` sets every variant's price. */
export async function updateProduct(env: ProductWriteEnv, actor: Actor, slug: string, patch: ProductPatch) {
  const db = createDb(env).$primary;
  const { id } = await productIdOf(db, slug);
  if (patch.slug !== undefined && patch.slug !== slug) await slugFree(db, patch.slug);
  const categoryId = patch.category === undefined ? undefined : await categoryIdOf(db, patch.category);
  await checkImages(env, patch.images);
  const set = {
    ...(patch.slug === undefined ? {} : { slug: patch.slug }),
    ...(patch.title === undefined ? {} : { title: patch.title }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.brand === undefined ? {} : { brand: patch.brand }),
    ...(categoryId === undefined ? {} : { categoryId }),
    ...(patch.images === undefined ? {} : { images: patch.images }),
    ...(patch.priceAmount === undefined ? {} : { priceAmount: patch.priceAmount }),
    ...(patch.options === undefined ? {} : { options: patch.options }),
    updatedAt: sql`now()`,
  };
  const update = db.update(products).set(set).where(eq(products.id, id)).returning({
    id: products.id,
    slug: products.slug,
    title: products.title,
    priceAmount: products.priceAmount,
    currency: products.currency,
    updatedAt: products.updatedAt,
  });
  // One transaction: the product's "from" price, every variant's price and the audit row change together.
  const variants = (priceAmount: number) =>
    db.update(productVariants).set({ priceAmount }).where(eq(productVariants.productId, id));
  const change = {
    action: 'product.update',
    target: { type: 'product', id },
    state: productState(sql`p.id = ${id}`),
    lock: sql`select 1 from ${products} where id = ${id} for update`,
  };
  const fits = patch.options ? [db.execute(optionsFit(id, patch.options))] : [];
  const results = await (patch.priceAmount === undefined
    ? auditedWrites(db, actor, change, [...fits, update])
    : auditedWrites(db, actor, change, [...fits, update, variants(patch.priceAmount)])
  ).catch((err) => {
    const sku = guardFailure(err, 'OPTION_IN_USE');
    if (sku !== undefined)
      throw new AppError(
        'OPTION_IN_USE',
        `The variant ${sku} uses an option name or value the new options leave out.`,
        {
          details: { sku },
        },
      );
    return conflictOf(err, { slug: patch.slug });
  });
  // The update's answer follows the options check, when there is one.
  const row = (results[fits.length] as Awaited<typeof update>)[0];
  if (!row) throw new AppError('NOT_FOUND', `No product with slug "${slug}".`);
  const generation = await publishCatalogWrite(env);
  return {
    product: {
      id: row.id,
      slug: row.slug,
      title: row.title,
      price: { amount: row.priceAmount, currency: row.currency.trim() },
      updatedAt: isoFromPostgres(row.updatedAt),
    },
    generation,
  };
}

/**
 * The product's new options must still describe each of its variants (every name it uses, each value among the
 * option's values, no other name): checked under the product's lock (guards.ts), so a variant added meanwhile counts.
 */
function optionsFit(productId: string, options: { name: string; values: string[] }[]) {
  const allowed = JSON.stringify(Object.fromEntries(options.map((o) => [o.name, o.values])));
  return guard(
    'OPTION_IN_USE',
    sql`select v.sku from ${productVariants} v where v.product_id = ${productId} and not (
      (select count(*) from jsonb_object_keys(coalesce(v.options, '{}'::jsonb))) = ${options.length}
      and not exists (select 1 from jsonb_each_text(coalesce(v.options, '{}'::jsonb)) e
        where not coalesce((${allowed}::jsonb -> e.key) @> to_jsonb(e.value), false)))`,
  );
}

const statusOf = { publish: 'published', unpublish: 'draft', archive: 'archived' } as const;

/** POST /v1/admin/products/:slug/{publish,unpublish,archive}. The same status again changes (and records) nothing. */
export async function setProductStatus(
  env: CatalogWriteEnv,
  actor: Actor,
  slug: string,
  action: keyof typeof statusOf,
) {
  const db = createDb(env).$primary;
  const { id } = await productIdOf(db, slug);
  const status = statusOf[action];
  await auditedWrites(
    db,
    actor,
    {
      action: `product.${action}`,
      target: { type: 'product', id },
      state: productState(sql`p.id = ${id}`),
      lock: sql`select 1 from ${products} where id = ${id} for update`,
    },
    [
      db
        .update(products)
        .set({ status, updatedAt: sql`now()` })
        .where(sql`${products.id} = ${id} and ${products.status} <> ${status}`),
    ],
  );
  const generation = await publishCatalogWrite(env);
  return { product: await adminProduct(db, id), generation };
}

/**
 * DELETE /v1/admin/products/:slug, for a product never ordered: none of its SKUs in an order line in Postgres, and
 * none held or sold in its InventoryDO (`committed`, asked live by the caller, since Postgres' copy trails the
 * objects). Otherwise 409 PRODUCT_ORDERED naming the SKUs: archive it instead. Only a draft or archived product
 * is deleted (else 409 PRODUCT_PUBLISHED): a published one could be held and sold while the checks run. The delete
 * itself re-checks the status and the order lines, so a publish or an order copied in between still stops it.
 */
export async function deleteProduct(
  env: CatalogWriteEnv,
  actor: Actor,
  slug: string,
  committed: (skus: string[]) => Promise<string[]>,
) {
  const db = createDb(env).$primary;
  const { id, status } = await productIdOf(db, slug);
  // A published product can be held and paid between the live checks below and the delete: only one shoppers
  // cannot buy is deleted. The delete re-checks the status under the row's lock, so a publish in between stops it.
  const publishedError = () =>
    new AppError('PRODUCT_PUBLISHED', `"${slug}" is published: unpublish or archive it first, then delete it.`, {
      details: { status: 'published' },
    });
  if (status === 'published') throw publishedError();
  const skus = (
    await read(db.select({ sku: productVariants.sku }).from(productVariants).where(eq(productVariants.productId, id)))
  ).map((r) => r.sku);
  const ordered = await read(
    db.selectDistinct({ sku: orderLines.sku }).from(orderLines).where(inArray(orderLines.sku, skus)),
  );
  const refused = [...new Set([...ordered.map((r) => r.sku), ...(await committed(skus))])].sort();
  const orderedError = (list: string[]) =>
    new AppError('PRODUCT_ORDERED', `"${slug}" was ordered (${list.join(', ')}): archive it instead.`, {
      details: { skus: list },
    });
  if (refused.length) throw orderedError(refused);
  const [deleted] = await auditedWrites(
    db,
    actor,
    {
      action: 'product.delete',
      target: { type: 'product', id },
      state: productState(sql`p.id = ${id}`),
      lock: sql`select 1 from ${products} where id = ${id} for update`,
    },
    [
      db
        .delete(products)
        .where(
          sql`${products.id} = ${id} and ${products.status} <> 'published' and not exists (select 1 from
              ${orderLines} l join ${productVariants} v on v.sku = l.sku where v.product_id = ${id})`,
        )
        .returning({ id: products.id }),
    ],
  );
  if (deleted.length === 0) {
    if ((await productIdOf(db, slug).catch(() => null))?.status === 'published') throw publishedError();
    throw orderedError(skus);
  }
  const generation = await publishCatalogWrite(env);
  return { deleted: { id, slug }, generation };
}
