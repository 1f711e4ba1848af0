// Issue 11, finding 4: only SKUs that exist get stock objects or rows, and reads never write. Before, a read of any
// SKU initialized its InventoryDO, whose levels then reached Postgres as a new `inventory_levels` row; a merchant
// PUT of a made-up SKU did the same. (That the object gets no storage is shown inside workerd, in the inventory
// project's inventory.exists.test.ts.)
import { describe, expect, it } from 'vitest';
import { adminToken, inventory, setStock } from './checkout-helpers';
import { client, insertProduct, primary } from './helpers';

const levelsRow = async (sku: string) =>
  (await primary<{ sku: string }>('select sku from inventory_levels where sku = $1', [sku])).length;
/** Longer than the stack's INVENTORY_SYNC_DELAY_MS (200) plus a Queue delivery: a levels send would have landed. */
const syncWindow = () => new Promise((r) => setTimeout(r, 2500));

describe('stock of SKUs that do not exist', () => {
  it('GET /v1/inventory/{sku} and the merchant writes answer 404 and create no inventory_levels row', async () => {
    const sku = `ZZZ-NOT-A-SKU-${Date.now().toString(36).toUpperCase()}`;
    const read = await client().GET('/v1/inventory/{sku}', { params: { path: { sku } } });
    expect(read.response.status).toBe(404);
    expect(read.error?.error.code).toBe('NOT_FOUND');

    const put = await setStock(`NOPE-${sku}`, 10);
    expect(put.response.status).toBe(404);
    expect(put.error?.error.code).toBe('NOT_FOUND');
    const adjust = await client(await adminToken()).POST('/v1/admin/inventory/{sku}/adjustments', {
      params: { path: { sku: `NOPE-${sku}` } },
      body: { delta: 5 },
    });
    expect(adjust.response.status).toBe(404);

    await syncWindow();
    expect(await levelsRow(sku)).toBe(0);
    expect(await levelsRow(`NOPE-${sku}`)).toBe(0);
  });

  it('a read of a real SKU answers its starting stock without initializing anything; a write then does', async () => {
    const slug = await insertProduct({ title: 'Never stocked item' });
    const [variant] = await primary<{ sku: string }>(
      'select v.sku from product_variants v join products p on p.id = v.product_id where p.slug = $1',
      [slug],
    );
    const sku = variant!.sku;
    await primary('insert into inventory_levels (sku, initial_on_hand) values ($1, 7)', [sku]);
    const before = await primary<{ version: number }>('select version from inventory_levels where sku = $1', [sku]);

    expect(await inventory(sku)).toMatchObject({ sku, onHand: 7, held: 0, sold: 0, available: 7 });
    expect(await inventory(sku)).toMatchObject({ onHand: 7 });
    await syncWindow();
    // Nothing was sent: the row is still the seeded one.
    expect(await primary('select version from inventory_levels where sku = $1', [sku])).toEqual(before);

    expect((await setStock(sku, 9)).response.status).toBe(200);
    expect(await inventory(sku)).toMatchObject({ onHand: 9, available: 9 });
  });
});
