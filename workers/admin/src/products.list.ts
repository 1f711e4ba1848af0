// The merchant's product list (GET /v1/admin/products): every status, newest first, keyset pages over
// (created_at, id) bound to the filters they were made for. Read from the primary, as the product reads and the
// export are: a product the merchant just created or changed is listed at once.
import type { AdminProductQuery } from '../../../lib/admin/catalog.schemas';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { mapDbError } from '../../../lib/db/errors';
import { isoFromPostgres } from '../../../lib/db/timestamps';
import { contains, decodeCursor, encodeCursor } from './orders';

type Row = Record<string, unknown>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function listProducts(env: DbEnv, q: AdminProductQuery) {
  const filter = JSON.stringify([q.q ?? '', q.status ?? '']);
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (q.status) where.push(`p.status = ${param(q.status)}`);
  if (q.q) {
    const part = param(contains(q.q));
    where.push(`(p.title ilike ${part} or p.slug ilike ${part}
      or exists (select 1 from product_variants v where v.product_id = p.id and v.sku ilike ${part}))`);
  }
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor, filter, UUID);
    where.push(`(p.created_at, p.id) < (${param(at)}::timestamptz, ${param(id)}::uuid)`);
  }
  const text = `select p.id::text as id, p.slug, p.title, p.status, c.slug as category, trim(p.currency) as currency,
      p.price_amount, p.images->>0 as image, p.created_at::text as created_at, p.updated_at::text as updated_at,
      (select count(*) from product_variants v where v.product_id = p.id) as variants
    from products p join categories c on c.id = p.category_id
    ${where.length ? `where ${where.join(' and ')}` : ''}
    order by p.created_at desc, p.id desc limit ${param(q.limit + 1)}`;
  let rows: Row[];
  try {
    const settings = dbSettings(env);
    rows = (await sqlClient(settings.DATABASE_URL, settings).query(text, params)) as Row[];
  } catch (err) {
    mapDbError(err);
  }
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    products: page.map((r) => ({
      id: String(r.id),
      slug: String(r.slug),
      title: String(r.title),
      status: r.status as AdminProductQuery['status'] & string,
      category: String(r.category),
      currency: String(r.currency),
      priceAmount: Number(r.price_amount),
      variants: Number(r.variants),
      image: r.image === null ? null : String(r.image),
      createdAt: isoFromPostgres(String(r.created_at)),
      updatedAt: isoFromPostgres(String(r.updated_at)),
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor(String(last.created_at), String(last.id), filter) : null,
  };
}
