// The last units of a SKU raced for by 200 shoppers at once through the running stack: exactly as many sold as
// there were, every order paid and in Postgres once. It takes both cores, so it runs in the serial e2e group.
import { describe, expect, it } from 'vitest';
import { checkout, freshSku, invariantHolds, inventory, pgOrderRows, shopperWith } from './checkout-helpers';
import { eventually, primary } from './helpers';

describe('checkout race', () => {
  it('sells the last 10 units to exactly 10 of 200 shoppers racing for them', async () => {
    const sku = await freshSku(10);
    const shoppers: string[] = [];
    for (let i = 0; i < 200; i += 25)
      shoppers.push(...(await Promise.all(Array.from({ length: 25 }, () => shopperWith(sku, 1)))));
    const answers = await Promise.all(shoppers.map((t) => checkout(t)));
    const accepted = answers.filter((a) => a.response.status === 202);
    const refused = answers.filter((a) => a.response.status === 409);
    // The whole tally first, so a failure shows what the others got.
    const tally: Record<string, number> = {};
    for (const a of answers) {
      // An answer that is not our JSON error (a runtime's or proxy's page) is labelled by its start.
      const code = a.error === undefined ? '' : (a.error.error?.code ?? JSON.stringify(a.error).slice(0, 120));
      const label = `${a.response.status} ${code}`.trim();
      tally[label] = (tally[label] ?? 0) + 1;
    }
    expect(tally).toEqual({ '202': 10, '409 OUT_OF_STOCK': 190 });
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(190);
    expect(
      refused.every(
        (r) =>
          r.error?.error.code === 'OUT_OF_STOCK' &&
          (r.error.error.details as { items: { sku: string }[] }).items[0]!.sku === sku,
      ),
    ).toBe(true);
    const mid = await inventory(sku);
    expect(invariantHolds(mid)).toBe(true);
    expect(mid.held + mid.sold).toBe(10);
    expect(mid.available).toBe(0);

    const orderIds = accepted.map((a) => a.data!.orderId);
    const final = await eventually(
      'all 10 paid',
      async () => {
        const l = await inventory(sku);
        return l.sold === 10 ? l : false;
      },
      20_000,
      200,
    );
    expect(final).toEqual({ sku, onHand: 10, held: 0, sold: 10, available: 0, maxPerCustomer: null });
    const rows = await eventually(
      '10 orders in Postgres',
      async () => {
        const found = await pgOrderRows(orderIds);
        return found.length === 10 && found.every((o) => o.status === 'paid') ? found : false;
      },
      20_000,
      200,
    );
    expect(new Set(rows.map((r) => r.id)).size).toBe(10);
    const [sold] = await primary<{ n: string }>(
      'select coalesce(sum(quantity), 0) as n from order_lines l join orders o on o.id = l.order_id where l.sku = $1 and o.status = $2',
      [sku, 'paid'],
    );
    expect(Number(sold!.n)).toBe(10);
  }, 120_000);
});
