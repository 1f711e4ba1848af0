// Merchant product writes against the primary, each with its audit row in the same transaction (audit.ts). After
// the commit the catalog generation is published, which makes every cached catalog answer unreachable (see
// lib/catalog/generation.ts).
import { eq, type SQL, sql } from 'drizzle-orm';
import { products, productVariants } from '../../../db/schema';
import { publishGeneration } from '../../../lib/catalog/generation';
import type { ProductUpdate } from '../../../lib/catalog/schemas';
import type { Actor } from '../../../lib/contracts/admin';
import { createDb, type DbEnv } from '../../../lib/db/client';
import { mapDbError } from '../../../lib/db/errors';
import { isoFromPostgres } from '../../../lib/db/timestamps';
import { AppError } from '../../../lib/errors';
import { auditedWrites, type PrimaryDb } from './audit';

export type CatalogWriteEnv = DbEnv & { CATALOG_META: KVNamespace };

/** The product `where` selects, with its variants, as the audit log keeps it (before and after a write). */
export const productState = (where: SQL) =>
  sql`(select (to_jsonb(p) - 'search') || jsonb_build_object('variants', coalesce((select jsonb_agg(
      to_jsonb(v) - 'product_id' order by v.position, v.sku) from ${productVariants} v where v.product_id = p.id),
      '[]'::jsonb)) from ${products} p where ${where})`;

/**
 * Publishes the WAL position after a committed catalog write as the new generation. Read after the commit, so the
 * position is at or past the commit record.
 */
export async function publishCatalogWrite(env: CatalogWriteEnv, db: PrimaryDb): Promise<string> {
  let lsn: string;
  try {
    const lsnResult = await db.execute<{ lsn: string }>(sql`select pg_current_wal_lsn()::text as lsn`);
    lsn = lsnResult.rows[0]!.lsn;
  } catch (err) {
    mapDbError(err);
  }
  return publishGeneration(env.CATALOG_META, lsn);
}

export async function updateProduct(env: CatalogWriteEnv, actor: Actor, slug: string, patch: ProductUpdate) {
  const db = createDb(env).$primary;
  const update = db
    .update(products)
    .set({
      ...(patch.title === undefined ? {} : { title: patch.title }),
      ...(patch.priceAmount === undefined ? {} : { priceAmount: patch.priceAmount }),
      updatedAt: sql`now()`,
    })
    .where(eq(products.slug, slug))
    .returning({
      id: products.id,
      slug: products.slug,
      title: products.title,
      priceAmount: products.priceAmount,
      currency: products.currency,
      updatedAt: products.updatedAt,
    });
  // One transaction: the product's "from" price, every variant's price and the audit row change together.
  const variants = (priceAmount: number) =>
    db
      .update(productVariants)
      .set({ priceAmount })
      .where(sql`${productVariants.productId} = (select id from ${products} where slug = ${slug})`);
  const change = {
    action: 'product.update',
    target: { type: 'product', id: sql`(select id::text from ${products} where slug = ${slug})` },
    state: productState(sql`p.slug = ${slug}`),
    lock: sql`select 1 from ${products} where slug = ${slug} for update`,
  };
  const [rows] =
    patch.priceAmount === undefined
      ? await auditedWrites(db, actor, change, [update])
      : await auditedWrites(db, actor, change, [update, variants(patch.priceAmount)]);
  const row = rows[0];
  if (!row) throw new AppError('NOT_FOUND', `No product with slug "${slug}".`);
  const generation = await publishCatalogWrite(env, db);
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
