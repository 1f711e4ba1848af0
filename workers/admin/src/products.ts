// Merchant product writes against the primary. After the commit the catalog generation is published, which
// makes every cached catalog answer unreachable (see lib/catalog/generation.ts).
import { eq, sql } from 'drizzle-orm';
import { products, productVariants } from '../../../db/schema';
import { publishGeneration } from '../../../lib/catalog/generation';
import type { ProductUpdate } from '../../../lib/catalog/schemas';
import { createDb, type DbEnv } from '../../../lib/db/client';
import { mapDbError } from '../../../lib/db/errors';
import { isoFromPostgres } from '../../../lib/db/timestamps';
import { AppError } from '../../../lib/errors';

export async function updateProduct(env: DbEnv & { CATALOG_META: KVNamespace }, slug: string, patch: ProductUpdate) {
  const db = createDb(env).$primary;
  let lsn: string;
  let row:
    | { id: string; slug: string; title: string; priceAmount: number; currency: string; updatedAt: string }
    | undefined;
  try {
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
    if (patch.priceAmount === undefined) {
      [row] = await update;
    } else {
      // One transaction: the product's "from" price and every variant's price change together.
      const [updated] = await db.batch([
        update,
        db
          .update(productVariants)
          .set({ priceAmount: patch.priceAmount })
          .where(sql`${productVariants.productId} = (select id from ${products} where slug = ${slug})`),
      ]);
      [row] = updated;
    }
    if (!row) throw new AppError('NOT_FOUND', `No product with slug "${slug}".`);
    // Read after the commit, so the position is at or past the commit record.
    const lsnResult = await db.execute<{ lsn: string }>(sql`select pg_current_wal_lsn()::text as lsn`);
    lsn = lsnResult.rows[0]!.lsn;
  } catch (err) {
    mapDbError(err);
  }
  const generation = await publishGeneration(env.CATALOG_META, lsn);
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
