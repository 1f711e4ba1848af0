// product.updated after a CSV import: one event per product the import changed (data.action product.import), none
// for a file that changes nothing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BULK_COLUMNS } from '../../lib/admin/bulk.schemas';
import { csvRecord } from '../../lib/csv';
import { api, client, eventually, merchantToken, ok, uniqueWord } from './helpers';
import { startReceiver } from './notify-helpers';

type Row = Partial<Record<(typeof BULK_COLUMNS)[number], string>>;
const csvOf = (rows: Row[]) =>
  csvRecord(BULK_COLUMNS) + rows.map((r) => csvRecord(BULK_COLUMNS.map((c) => r[c] ?? ''))).join('');

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let endpointId: string | undefined;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  const merchant = client(await merchantToken());
  if (endpointId) await merchant.DELETE('/v1/admin/webhooks/{id}', { params: { path: { id: endpointId } } });
  await receiver.stop();
});

const importCsv = async (rows: Row[]) => {
  const res = await api<{ counts: Record<string, number> }>('/v1/admin/products/import', {
    method: 'POST',
    headers: { authorization: `Bearer ${await merchantToken()}`, 'content-type': 'text/csv' },
    body: csvOf(rows),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

it('sends product.updated for each product an import changed, and none for a file that changes nothing', async () => {
  const merchant = client(await merchantToken());
  const path = '/import-events';
  const made = await merchant.POST('/v1/admin/webhooks', {
    body: { url: receiver.url(path), events: ['product.updated'], description: 'import events' },
  });
  expect(made.response.status, JSON.stringify(made.error)).toBe(201);
  endpointId = made.data!.endpoint.id;
  const category = uniqueWord('importcat');
  await ok(
    'category',
    merchant.POST('/v1/admin/categories', { body: { slug: category, name: 'Import', parent: null } }),
  );
  const product = (handle: string) => ({
    handle,
    title: `Imported ${handle}`,
    description: 'From a file.',
    brand: 'Bulk',
    category,
    status: 'published',
    currency: 'USD',
    sku: handle.toUpperCase(),
    variant_title: 'One size',
    price: '1500',
  });
  const [a, b] = [product(uniqueWord('imp')), product(uniqueWord('imp'))];
  const events = () =>
    receiver
      .received(path)
      .map((c) => JSON.parse(c.body))
      .filter((e) => [a.handle, b.handle].includes(e.data.product.slug));

  expect((await importCsv([a, b])).counts).toMatchObject({ created: 2 });
  const first = await eventually(
    'an event per created product',
    async () => events().length >= 2 && events(),
    20_000,
    100,
  );
  for (const e of first) expect(e).toMatchObject({ type: 'product.updated', data: { action: 'product.import' } });
  expect(first.map((e) => e.data.product.slug).sort()).toEqual([a.handle, b.handle].sort());
  expect(first.every((e) => e.data.product.status === 'published' && e.data.product.id)).toBe(true);

  // The same file again changes nothing, so it sends nothing; then a change of one product sends one event.
  expect((await importCsv([a, b])).counts).toMatchObject({ unchanged: 2 });
  expect((await importCsv([{ ...a, title: 'Renamed by file' }, b])).counts).toMatchObject({ updated: 1 });
  const renamed = await eventually(
    'the changed product event',
    async () => events().find((e) => e.data.product.title === 'Renamed by file'),
    20_000,
    100,
  );
  expect(renamed.data.product.slug).toBe(a.handle);
  expect(events()).toHaveLength(3);
});
