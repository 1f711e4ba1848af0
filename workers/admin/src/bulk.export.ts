// GET /v1/admin/products/export.csv: every product (any status) as CSV, one row per variant, streamed. The rows
// are read from the primary (an export right after an import shows it: the round trip) in keyset pages of
// products ordered by slug; each page is written to the stream before the next is read, and only when the reader
// asks for more (pull), so memory holds one page whatever the catalog's size. Products without variants have no
// row (the file is one row per variant). A failure mid-way errors the stream:
// the download ends incomplete, never as a file that looks whole but is short.
import { sql } from 'drizzle-orm';
import { BULK_COLUMNS } from '../../../lib/admin/bulk.schemas';
import { csvRecord } from '../../../lib/csv';
import { createDb, type DbEnv } from '../../../lib/db/client';
import type { ProductFields } from './bulk.plan';
import { read } from './products';

/** Products per page: at most 100 variants each, usually a handful, so a page is a few hundred rows. */
const PAGE_PRODUCTS = 100;

type ExportRow = ProductFields & {
  options: { name: string; values: string[] }[] | null;
  sku: string;
  variant_title: string;
  variant_options: Record<string, string> | null;
  price: number;
  stock: number | string;
  stock_version: number | string;
};

/**
 * The stock column: on hand as Postgres' copy of the InventoryDO's figures has it (`inventory_levels`, newest
 * version wins, about a second behind), or the starting stock of a SKU whose object was never used. Cheap (one
 * join), and what the import compares a file's stock with before it asks the object itself.
 */
export const stockFigure = sql`case when l.version > 0 then l.on_hand else coalesce(l.initial_on_hand, 0) end`;
/** The version of that figure (the copy's; 0 for a starting stock): the file's `stock_version`. */
export const stockVersion = sql`coalesce(l.version, 0)`;

async function page(env: DbEnv, after: string, category: string | undefined): Promise<ExportRow[]> {
  // A client per page: each client's deadline runs from its creation (lib/db/client.ts).
  const db = createDb(env).$primary;
  const inCategory = category ? sql`and c.slug = ${category}` : sql``;
  const { rows } = await read(
    db.execute<ExportRow>(sql`
      select p.slug, p.title, p.description, p.brand, c.slug as category, p.status, trim(p.currency) as currency,
        p.options, v.sku, v.title as variant_title, v.options as variant_options, v.price_amount as price,
        ${stockFigure} as stock, ${stockVersion} as stock_version
      from (select p.* from products p join categories c on c.id = p.category_id
            where p.slug > ${after} ${inCategory}
              -- A product without variants has no row: a page of only those must not read as the end.
              and exists (select 1 from product_variants v where v.product_id = p.id)
            order by p.slug limit ${PAGE_PRODUCTS}) p
      join categories c on c.id = p.category_id
      join product_variants v on v.product_id = p.id
      left join inventory_levels l on l.sku = v.sku
      order by p.slug, v.position, v.sku`),
  );
  return rows;
}

function toRecord(r: ExportRow): string {
  const values = r.variant_options ?? {};
  // A product made before options were kept on products (the seed's) names them on its variants only.
  const names = r.options?.length ? r.options.map((o) => o.name) : Object.keys(values);
  const cells: Record<(typeof BULK_COLUMNS)[number], string> = {
    handle: r.slug,
    title: r.title,
    description: r.description,
    brand: r.brand,
    category: r.category,
    status: r.status,
    currency: r.currency,
    option1_name: names[0] ?? '',
    option1_value: names[0] === undefined ? '' : (values[names[0]] ?? ''),
    option2_name: names[1] ?? '',
    option2_value: names[1] === undefined ? '' : (values[names[1]] ?? ''),
    option3_name: names[2] ?? '',
    option3_value: names[2] === undefined ? '' : (values[names[2]] ?? ''),
    sku: r.sku,
    variant_title: r.variant_title,
    price: String(r.price),
    stock: String(r.stock),
    stock_version: String(r.stock_version),
  };
  return csvRecord(BULK_COLUMNS.map((c) => cells[c]));
}

/** The CSV as a byte stream: the header, then a page of products per pull. */
export function exportProducts(env: DbEnv, category: string | undefined): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = '';
  let headerSent = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!headerSent) {
          headerSent = true;
          // A byte order mark first: Excel reads a CSV without one in the system's code page and garbles accents.
          // The import drops it again (lib/csv.ts).
          controller.enqueue(encoder.encode(`\uFEFF${csvRecord(BULK_COLUMNS)}`));
          return;
        }
        const rows = await page(env, after, category);
        if (rows.length === 0) {
          controller.close();
          return;
        }
        after = rows[rows.length - 1]!.slug;
        controller.enqueue(encoder.encode(rows.map(toRecord).join('')));
      },
    },
    { highWaterMark: 0 },
  );
}
