// The bulk CSV import and export end to end (issue 13): validate mode writes nothing; a file with a bad row writes
// nothing (all or nothing) unless mode=partial, whose report names the rejected rows; the same file twice changes
// nothing the second time; export then import changes nothing (quoting, formulas, options, stock); stock in the
// file is set live; one audit entry per import; shoppers see the import within the bound; a shopper's token, a
// wrong content type and a file too large are refused.
import { describe, expect, it } from 'vitest';
import { BULK_COLUMNS, BULK_MAX_BYTES, BULK_MAX_ROWS } from '../../lib/admin/bulk.schemas';
import { csvRecord, parseCsv, unneutralise } from '../../lib/csv';
import { adjustStock, guestToken, inventory, setStock } from './checkout-helpers';
import { api, client, eventually, gateway, insertProduct, merchantToken, ok, primary, uniqueWord } from './helpers';

type Row = Partial<Record<(typeof BULK_COLUMNS)[number], string>>;
const BOUND_MS = 2000 + 3000;

const csvOf = (rows: Row[], columns: readonly string[] = BULK_COLUMNS) =>
  csvRecord(columns) + rows.map((r) => csvRecord(columns.map((c) => r[c as keyof Row] ?? ''))).join('');

async function importCsv(
  body: string,
  mode?: 'apply' | 'partial' | 'validate',
  headers: Record<string, string> = {},
  init: RequestInit = {},
) {
  return api(`/v1/admin/products/import${mode ? `?mode=${mode}` : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await merchantToken()}`, 'content-type': 'text/csv', ...headers },
    body,
    ...init,
  });
}

async function exportCsv(query = '') {
  return api<string>(`/v1/admin/products/export.csv${query}`, {
    headers: { authorization: `Bearer ${await merchantToken()}` },
  });
}

async function newCategory() {
  const slug = uniqueWord('bulkcat');
  const c = await client(await merchantToken());
  await ok('category', c.POST('/v1/admin/categories', { body: { slug, name: 'Bulk', parent: null } }));
  return slug;
}

/** A product of two sizes (and a third row for another product) in `category`. */
function shirtRows(category: string): Row[] {
  const handle = uniqueWord('shirt');
  const sku = handle.toUpperCase();
  const product = {
    handle,
    title: 'Harbor, "the" shirt',
    description: 'Washed linen.\nTwo lines, and a comma.',
    brand: 'Harbor',
    category,
    status: 'published',
    currency: 'USD',
    option1_name: 'Size',
  };
  return [
    { ...product, option1_value: 'S', sku: `${sku}-S`, variant_title: 'Small', price: '4500', stock: '7' },
    { ...product, option1_value: 'M', sku: `${sku}-M`, variant_title: 'Medium', price: '4200', stock: '3' },
  ];
}

const statuses = (report: { rows: { status: string }[] }) => report.rows.map((r) => r.status);
const importAudits = async (sha256: string) =>
  primary(`select after from audit_log where action = 'product.import' and target_id = $1`, [sha256]);

describe('import', () => {
  it('validate mode reports each row and writes nothing', async () => {
    const rows = shirtRows(await newCategory());
    const res = await importCsv(csvOf(rows), 'validate');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ mode: 'validate', applied: false, counts: { rows: 2, created: 2, rejected: 0 } });
    expect(res.body.rows.map((r: { row: number; sku: string }) => [r.row, r.sku])).toEqual([
      [2, rows[0]!.sku],
      [4, rows[1]!.sku],
    ]);
    expect(await primary('select 1 from products where slug = $1', [rows[0]!.handle])).toHaveLength(0);
  });

  it('a bad row: nothing written (422 with the report); mode=partial writes the others and names it', async () => {
    const category = await newCategory();
    const rows = shirtRows(category);
    const bad = { ...shirtRows(category)[0]!, price: '12.50', status: 'sold' };
    const file = csvOf([...rows, bad]);
    const refused = await importCsv(file);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('IMPORT_REJECTED');
    const report = refused.body.error.details;
    expect(statuses(report)).toEqual(['created', 'created', 'rejected']);
    expect(report.rows[2].errors.map((e: { field: string }) => e.field).sort()).toEqual(['price', 'status']);
    expect(report.applied).toBe(false);
    expect(await primary('select 1 from product_variants where sku = $1', [rows[0]!.sku])).toHaveLength(0);
    expect(await importAudits(report.sha256)).toHaveLength(0);

    const partial = await importCsv(file, 'partial');
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({
      applied: true,
      counts: { created: 2, rejected: 1 },
      products: { created: 1 },
    });
    expect(partial.body.rows[2]).toMatchObject({ status: 'rejected', sku: bad.sku });
    expect(await primary('select 1 from product_variants where sku = $1', [bad.sku])).toHaveLength(0);
    const [entry] = await importAudits(partial.body.sha256);
    expect(entry.after).toMatchObject({
      file: { sha256: partial.body.sha256 },
      mode: 'partial',
      counts: { rejected: 1 },
    });
    expect(entry.after.created.sort()).toEqual([rows[0]!.sku, rows[1]!.sku].sort());

    // Shoppers see it within the bound, priced from its lowest variant, with the file's stock.
    await eventually(
      'imported product in the catalog',
      async () => {
        const r = await client().GET('/v1/products/{slug}', { params: { path: { slug: rows[0]!.handle! } } });
        return r.data?.title === rows[0]!.title && r.data?.price.amount === 4200;
      },
      BOUND_MS,
      50,
    );
    expect(await inventory(rows[0]!.sku!)).toMatchObject({ onHand: 7, available: 7 });
  });

  it('is idempotent by SKU: the same file again changes nothing and says so; a changed row updates', async () => {
    const rows = shirtRows(await newCategory());
    const file = csvOf(rows);
    const first = await importCsv(file);
    expect(first.status).toBe(200);
    expect(statuses(first.body)).toEqual(['created', 'created']);
    const again = await importCsv(file);
    expect(again.body).toMatchObject({ applied: false, generation: null, counts: { unchanged: 2, created: 0 } });
    expect(await importAudits(first.body.sha256)).toHaveLength(1);

    const changed = [
      { ...rows[0]!, price: '3900' },
      { ...rows[1]!, title: 'Harbor shirt', variant_title: 'M' },
    ];
    changed[0]!.title = 'Harbor shirt';
    const update = await importCsv(csvOf(changed));
    expect(update.status).toBe(200);
    expect(update.body.rows.map((r: { status: string; changed: string[] }) => [r.status, r.changed])).toEqual([
      ['updated', ['title', 'price']],
      ['updated', ['title', 'variant_title']],
    ]);
    const [product] = await primary('select title, price_amount from products where slug = $1', [rows[0]!.handle]);
    expect(product).toEqual({ title: 'Harbor shirt', price_amount: 3900 });
  });

  it('the same new file sent twice at once: both succeed, one product, each SKU once, one audit entry', async () => {
    const rows = shirtRows(await newCategory());
    const file = csvOf(rows);
    const answers = await Promise.all([importCsv(file), importCsv(file)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const stored = await primary(
      `select p.slug, count(v.sku)::int as variants from products p join product_variants v on v.product_id = p.id
       where p.slug = $1 group by p.slug`,
      [rows[0]!.handle],
    );
    expect(stored).toEqual([{ slug: rows[0]!.handle, variants: 2 }]);
    // The second transaction found the first's rows and changed nothing: no second entry.
    expect(await importAudits(answers[0]!.body.sha256)).toHaveLength(1);
    expect((await importCsv(file)).body.counts).toMatchObject({ unchanged: 2 });
  });

  it('refuses a stock cell from an export older than the last stock change; a fresh export sets it', async () => {
    const rows = shirtRows(await newCategory());
    expect((await importCsv(csvOf(rows))).status).toBe(200);
    const category = rows[0]!.category!;
    await setStock(rows[0]!.sku!, 8);
    // The export as the merchant saves it, once Postgres' copy has the count (it trails the object by ~1 s).
    const exported = async () => {
      let text = '';
      await eventually('the stock copy has a version', async () => {
        text = (await exportCsv(`?category=${category}`)).body;
        return parseCsv(text)[1]!.fields[BULK_COLUMNS.indexOf('stock_version')] !== '0';
      });
      return text;
    };
    const old = await exported();
    // Then 2 units go (a sale or a write-off), and the copy catches up.
    await adjustStock(rows[0]!.sku!, -2);
    await eventually('the stock copy has the adjustment', async () => {
      const copy = parseCsv((await exportCsv(`?category=${category}`)).body)[1]!.fields;
      return copy[BULK_COLUMNS.indexOf('stock')] === '6';
    });
    // The old file with the merchant's count typed in: the stale row is refused (nothing written), naming versions.
    const stale = old.replace(/,8,(\d+)\r\n/, ',9,$1\r\n');
    expect(stale).not.toBe(old);
    const refused = await importCsv(stale);
    expect(refused.status).toBe(422);
    const row = refused.body.error.details.rows.find((r: { sku: string }) => r.sku === rows[0]!.sku);
    expect(row).toMatchObject({ status: 'rejected', errors: [{ field: 'stock' }] });
    expect(row.errors[0].message).toMatch(
      /changed since the file was exported \(stock_version \d+, now \d+, on hand 6\)/,
    );
    expect(await inventory(rows[0]!.sku!)).toMatchObject({ onHand: 6 });
    // The old file unchanged (stock 8 against 6 now) is refused too: importing it must not undo the sale.
    expect((await importCsv(old)).status).toBe(422);
    // A fresh export, edited, sets the count; so does a file without the stock_version column.
    const fresh = (await exported()).replace(/,6,(\d+)\r\n/, ',12,$1\r\n');
    expect((await importCsv(fresh)).body.stock).toEqual({ set: 1, failed: 0 });
    expect(await inventory(rows[0]!.sku!)).toMatchObject({ onHand: 12 });
    const columns = BULK_COLUMNS.filter((c) => c !== 'stock_version');
    const noVersion = await importCsv(csvOf([{ ...rows[0]!, stock: '4' }, rows[1]!], columns));
    expect(noVersion.body).toMatchObject({ stock: { set: 1, failed: 0 } });
    expect(await inventory(rows[0]!.sku!)).toMatchObject({ onHand: 4 });
  });

  it('sets a changed stock live (audited as stock.set), and a SKU of another product is refused', async () => {
    const rows = shirtRows(await newCategory());
    expect((await importCsv(csvOf(rows))).status).toBe(200);
    const res = await importCsv(csvOf([{ ...rows[0]!, stock: '11' }, rows[1]!]));
    expect(res.body.rows.map((r: { status: string; changed?: string[] }) => [r.status, r.changed])).toEqual([
      ['updated', ['stock']],
      ['unchanged', undefined],
    ]);
    expect(res.body.stock).toEqual({ set: 1, failed: 0 });
    expect(await inventory(rows[0]!.sku!)).toMatchObject({ onHand: 11 });
    const [set] = await primary(
      `select outcome, after from audit_log where action = 'stock.set' and target_id = $1 order by id desc`,
      [rows[0]!.sku],
    );
    expect(set).toMatchObject({ outcome: 'succeeded', after: { inventory: { onHand: 11 } } });
    // Only the stock changed: no catalog write, so no import entry.
    expect(await importAudits(res.body.sha256)).toHaveLength(0);
    const other = shirtRows(rows[0]!.category!)[0]!;
    const moved = await importCsv(csvOf([{ ...other, sku: rows[0]!.sku }]), 'validate');
    expect(moved.body.rows[0]).toMatchObject({ status: 'rejected', errors: [{ field: 'sku' }] });
  });

  it('refuses a shopper (403), no token (401), another content type (415), a file too large (413), a bad file (400)', async () => {
    const body = csvOf(shirtRows('x'));
    const guest = await guestToken();
    const asGuest = { authorization: `Bearer ${guest}` };
    expect((await importCsv(body, undefined, asGuest)).status).toBe(403);
    expect((await api('/v1/admin/products/export.csv', { headers: asGuest })).status).toBe(403);
    expect((await api('/v1/admin/products/export.csv')).status).toBe(401);
    expect((await importCsv(body, undefined, { 'content-type': 'application/json' })).status).toBe(415);
    // Read as UTF-8 only: another declared charset is refused before anything is read, UTF-8 spelled any way is fine.
    const latin1 = await importCsv(body, 'validate', { 'content-type': 'text/csv; charset=ISO-8859-1' });
    expect(latin1.status).toBe(415);
    expect(latin1.body.error.message).toMatch(/UTF-8.*ISO-8859-1/);
    expect((await importCsv(body, 'validate', { 'content-type': 'text/csv; charset="UTF-8"' })).status).toBe(200);
    const huge = await importCsv('handle\n'.padEnd(BULK_MAX_BYTES + 1, 'x'));
    expect(huge.status).toBe(413);
    // Sent without a length (chunked): streamed through the gateway, counted and stopped by the admin worker.
    const chunk = new TextEncoder().encode(`${'x'.repeat(8191)}\n`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > BULK_MAX_BYTES + chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(sent === chunk.length ? new TextEncoder().encode(`${csvRecord(BULK_COLUMNS)}`) : chunk);
      },
    });
    const chunked = await importCsv(stream as never, undefined, {}, { duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(chunked.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/bytes/) });
    const badHeader = await importCsv('handle,sku,colour\nx,y,z\n');
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error.message).toMatch(/unknown column "colour"/);
    expect((await importCsv(`${csvRecord(BULK_COLUMNS)}a,"open\n`)).status).toBe(400);
    expect((await importCsv(body, 'everything' as never)).status).toBe(400);
  });
});

describe('export', () => {
  it('streams one row per variant with quoting and neutralised formulas; importing it changes nothing', async () => {
    const category = await newCategory();
    const rows = shirtRows(category).map((r) => ({ ...r, title: '=HYPERLINK("http://x")', brand: '-Harbor' }));
    expect((await importCsv(csvOf(rows))).status).toBe(200);
    const res = await exportCsv(`?category=${category}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="products-[\d-]+\.csv"$/);
    const records = parseCsv(res.body).map((r) => r.fields);
    expect(records[0]).toEqual([...BULK_COLUMNS]);
    expect(records).toHaveLength(3);
    const title = BULK_COLUMNS.indexOf('title');
    expect(records[1]![title]).toBe(`'=HYPERLINK("http://x")`);
    expect(records[1]![BULK_COLUMNS.indexOf('brand')]).toBe("'-Harbor");
    expect(records[1]![BULK_COLUMNS.indexOf('description')]).toBe(rows[0]!.description);
    // As imported, plus the stock's version: 0, its starting stock (the SKU's object never changed it).
    expect(records.slice(1).map((r) => r.map(unneutralise))).toEqual(
      rows.map((r) => BULK_COLUMNS.map((c) => (c === 'stock_version' ? '0' : (r[c] ?? '')))),
    );
    const back = await importCsv(res.body);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ applied: false, counts: { rows: 2, unchanged: 2 } });
  });

  it('starts with a UTF-8 byte order mark (for spreadsheets), which the import takes off again', async () => {
    const category = await newCategory();
    const rows = shirtRows(category).map((r) => ({ ...r, title: 'Crème brûlée shirt' }));
    expect((await importCsv(csvOf(rows))).status).toBe(200);
    const res = await fetch(`${gateway()}/v1/admin/products/export.csv?category=${category}`, {
      headers: { authorization: `Bearer ${await merchantToken()}` },
      signal: AbortSignal.timeout(15_000),
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    // The file exactly as downloaded, BOM and all, imports as unchanged.
    const back = await importCsv(bytes as never);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ counts: { rows: 2, unchanged: 2, rejected: 0 } });
  });

  it('does not stop at a page of products without variants (they have no rows; the products after them do)', async () => {
    const category = await newCategory();
    // More products without variants than a page holds (100), sorted before the category's one real product.
    await primary(
      `insert into products (slug, title, description, brand, category_id, price_amount, currency, images, status)
       select 'aaa-' || $1 || '-' || lpad(n::text, 3, '0'), 'No variants', 'x', 'x',
         (select id from categories where slug = $2), 100, 'USD', '[]', 'draft'
       from generate_series(1, 130) n`,
      [uniqueWord('novar'), category],
    );
    const rows = shirtRows(category);
    expect((await importCsv(csvOf(rows))).status).toBe(200);
    const res = await exportCsv(`?category=${category}`);
    expect(res.status).toBe(200);
    const skus = parseCsv(res.body)
      .slice(1)
      .map((r) => r.fields[BULK_COLUMNS.indexOf('sku')]);
    expect(skus).toEqual(rows.map((r) => r.sku));
  });

  it('the whole catalog round trips: exported and imported (validate), no row would change', async () => {
    // Made outside the API, with a slug it refuses ("odd-title--t…"): its row comes back rejected, naming it.
    const odd = await insertProduct({ title: 'Odd title!' });
    const res = await exportCsv();
    expect(res.status).toBe(200);
    const [{ n }] = await primary('select count(*)::int as n from product_variants');
    const [header, ...records] = parseCsv(res.body).map((r) => r.fields);
    expect(records).toHaveLength(n);
    const reports: { status: string; sku: string; handle: string; errors: { field: string }[] }[] = [];
    // In files of at most BULK_MAX_ROWS rows (the catalog may hold more), written back as the export wrote them.
    for (let at = 0; at < records.length; at += BULK_MAX_ROWS) {
      const part = [header!, ...records.slice(at, at + BULK_MAX_ROWS)];
      const back = await importCsv(part.map((f) => csvRecord(f.map(unneutralise))).join(''), 'validate');
      expect(back.status).toBe(200);
      reports.push(...back.body.rows);
    }
    expect(reports.filter((r) => r.status === 'created' || r.status === 'updated').slice(0, 5)).toEqual([]);
    const oddRow = reports.find((r) => r.handle === odd)!;
    expect(oddRow.status).toBe('rejected');
    expect(oddRow.errors.map((e) => e.field)).toContain('handle');
    // Other tests insert products straight into Postgres, some with values the API refuses (a slug with "--"):
    // the import refuses those rows, naming them. The seed's and the API's all come back unchanged.
    // The seed's SKUs: a category prefix and the product's number (db/seed.ts), e.g. WDR-01200-XS-BLAC.
    const seed = new Set(
      (await primary(`select sku from product_variants where sku ~ '^[A-Z]{3}-[0-9]{5}(-|$)'`)).map((r) => r.sku),
    );
    expect(seed.size).toBeGreaterThan(5000);
    const seedRows = reports.filter((r) => seed.has(r.sku));
    expect(seedRows).toHaveLength(seed.size);
    expect(seedRows.filter((r) => r.status !== 'unchanged').slice(0, 5)).toEqual([]);
  });
});
