// Merchant variant writes: add a variant to a product (its stock then set in the SKU's InventoryDO by the caller) and
// change a variant's title, options or price. The product's "from" price (the lowest variant price, what lists show
// and sort by) is recomputed in the same transaction, with the audit row.
import { and, eq, sql } from 'drizzle-orm';
import { inventoryLevels, products, productVariants } from '../../../db/schema';
import type { VariantCreate, VariantPatch } from '../../../lib/admin/catalog.schemas';
import type { Actor } from '../../../lib/contracts/admin';
import { createDb } from '../../../lib/db/client';
import { AppError } from '../../../lib/errors';
import { auditedWrites, type PrimaryDb } from './audit';
import { guard, guardFailure } from './guards';
import {
  adminProduct,
  type CatalogWriteEnv,
  conflictOf,
  invalid,
  productState,
  publishCatalogWrite,
  read,
  skusTaken,
  takenSkus,
} from './products';

type Options = { name: string; values: string[] }[];

/** The options of a variant must name one value of each of the product's options, and nothing else. */
function checkOptions(options: Options, given: Record<string, string>) {
  for (const o of options) {
    if (!o.values.includes(given[o.name] ?? ''))
      throw invalid(`options.${o.name}`, `must be one of ${o.values.join(', ')}`);
  }
  for (const key of Object.keys(given)) {
    if (!options.some((o) => o.name === key)) throw invalid(`options.${key}`, 'not an option of this product');
  }
}

async function productOf(db: PrimaryDb, slug: string) {
  const [row] = await read(
    db
      .select({ id: products.id, currency: products.currency, options: products.options })
      .from(products)
      .where(eq(products.slug, slug)),
  );
  if (!row) throw new AppError('NOT_FOUND', `No product with slug "${slug}".`);
  return { id: row.id, currency: row.currency.trim(), options: (row.options ?? []) as Options };
}

/**
 * Two variants of a product with the same options could not be told apart by a shopper picking them: checked in
 * the write's transaction under the product's lock (guards.ts), so two concurrent writes cannot both pass. A product
 * without options has one variant per SKU with no options, which never collide.
 */
const optionsFree = (productId: string, options: Record<string, string>, exceptSku?: string) =>
  Object.keys(options).length === 0
    ? []
    : [
        guard(
          'VARIANT_OPTIONS_TAKEN',
          sql`select v.sku from ${productVariants} v where v.product_id = ${productId}
            and v.options = ${JSON.stringify(options)}::jsonb ${exceptSku ? sql`and v.sku <> ${exceptSku}` : sql``}`,
        ),
      ];

/** A variant write that failed its options guard: 409 naming the variant that has those options already. */
function optionsTakenOr(err: unknown, options: Record<string, string> | undefined): never {
  const sku = guardFailure(err, 'VARIANT_OPTIONS_TAKEN');
  if (sku !== undefined)
    throw new AppError('VARIANT_OPTIONS_TAKEN', `The variant ${sku} has these options already.`, {
      details: { sku, options },
    });
  throw err;
}

const fromPrice = (id: string) =>
  sql`(select min(${productVariants.priceAmount}) from ${productVariants} where ${productVariants.productId} = ${id})`;

/** POST /v1/admin/products/:slug/variants. */
export async function addVariant(env: CatalogWriteEnv, actor: Actor, slug: string, input: VariantCreate) {
  const db = createDb(env).$primary;
  const product = await productOf(db, slug);
  checkOptions(product.options, input.options);
  if ((await takenSkus(db, [input.sku])).length) throw skusTaken([input.sku]);
  const { id } = product;
  await auditedWrites(
    db,
    actor,
    {
      action: 'variant.create',
      target: { type: 'product', id },
      state: productState(sql`p.id = ${id}`),
      lock: sql`select 1 from ${products} where id = ${id} for update`,
    },
    [
      ...optionsFree(id, input.options).map((check) => db.execute(check)),
      db.insert(productVariants).values({
        productId: id,
        sku: input.sku,
        title: input.title,
        options: input.options,
        priceAmount: input.priceAmount,
        currency: product.currency,
        position: sql`(select coalesce(max(position) + 1, 0) from ${productVariants} where product_id = ${id})`,
      }),
      db
        .insert(inventoryLevels)
        .values({ sku: input.sku, initialOnHand: input.initialStock })
        .onConflictDoUpdate({ target: inventoryLevels.sku, set: { initialOnHand: sql`excluded.initial_on_hand` } }),
      db
        .update(products)
        .set({ priceAmount: fromPrice(id), updatedAt: sql`now()` })
        .where(eq(products.id, id)),
    ],
  ).catch((err) =>
    guardFailure(err, 'VARIANT_OPTIONS_TAKEN')
      ? optionsTakenOr(err, input.options)
      : conflictOf(err, { skus: [input.sku] }),
  );
  const generation = await publishCatalogWrite(env);
  return { product: await adminProduct(db, id), generation };
}

/** PATCH /v1/admin/products/:slug/variants/:sku. */
export async function updateVariant(
  env: CatalogWriteEnv,
  actor: Actor,
  slug: string,
  sku: string,
  patch: VariantPatch,
) {
  const db = createDb(env).$primary;
  const product = await productOf(db, slug);
  if (patch.options) checkOptions(product.options, patch.options);
  const { id } = product;
  const variant = and(eq(productVariants.productId, id), eq(productVariants.sku, sku));
  const [found] = await read(db.select({ sku: productVariants.sku }).from(productVariants).where(variant));
  if (!found) throw new AppError('NOT_FOUND', `"${slug}" has no variant ${sku}.`);
  await auditedWrites(
    db,
    actor,
    {
      action: 'variant.update',
      target: { type: 'product', id },
      state: productState(sql`p.id = ${id}`),
      lock: sql`select 1 from ${products} where id = ${id} for update`,
    },
    [
      ...(patch.options ? optionsFree(id, patch.options, sku) : []).map((check) => db.execute(check)),
      db
        .update(productVariants)
        .set({
          ...(patch.title === undefined ? {} : { title: patch.title }),
          ...(patch.options === undefined ? {} : { options: patch.options }),
          ...(patch.priceAmount === undefined ? {} : { priceAmount: patch.priceAmount }),
        })
        .where(variant),
      db
        .update(products)
        .set({ priceAmount: fromPrice(id), updatedAt: sql`now()` })
        .where(eq(products.id, id)),
    ],
  ).catch((err) => optionsTakenOr(err, patch.options));
  const generation = await publishCatalogWrite(env);
  return { product: await adminProduct(db, id), generation };
}
