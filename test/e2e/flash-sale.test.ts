// A flash sale through the gateway with the test stack's production limiter on (issue 10): a burst of checkouts from
// distinct shoppers for a few units gets only 202, 409 OUT_OF_STOCK naming the SKU, or 429 with Retry-After; nothing
// is oversold; one key gives one order and one PaymentIntent, paid and in Postgres once. And a sold-out SKU that
// is restocked sells again within the published stock state's bound (STOCK_STATE_TTL_MS).
import { describe, expect, it } from 'vitest';
import { testVars } from '../stack.config';
import {
  adjustStock,
  checkout,
  freshSku,
  invariantHolds,
  inventory,
  orderOf,
  pgOrderRows,
  shopperWith,
  stripe,
} from './checkout-helpers';
import { eventually } from './helpers';

const SHOPPERS = 120;
const UNITS = 20;
/** The checkout worker's STOCK_STATE_TTL_MS (its wrangler.toml default unless the test stack sets it). */
const stockStateTtlMs = Number((testVars as Record<string, string>).STOCK_STATE_TTL_MS ?? 1000);

describe('flash sale', () => {
  it(`${SHOPPERS} shoppers at once for ${UNITS} units: only 202 / 409 naming the SKU / 429, none oversold, one order per key`, async () => {
    const sku = await freshSku(UNITS);
    const shoppers: string[] = [];
    for (let i = 0; i < SHOPPERS; i += 30)
      shoppers.push(...(await Promise.all(Array.from({ length: 30 }, () => shopperWith(sku, 1)))));
    const keys = shoppers.map(() => crypto.randomUUID());

    // All in flight at once; each request comes from its own address (checkout-helpers' client).
    const answers = await Promise.all(shoppers.map((t, i) => checkout(t, undefined, keys[i])));
    const statuses = answers.map((a) => a.response.status);
    const unexpected = answers.filter((a) => {
      const s = a.response.status;
      if (s === 202) return false;
      if (s === 429) return !a.response.headers.get('retry-after');
      if (s !== 409 || a.error?.error.code !== 'OUT_OF_STOCK') return true;
      const items = (a.error.error.details as { items: { sku: string }[] }).items;
      return items[0]?.sku !== sku;
    });
    expect(unexpected.map((a) => [a.response.status, a.error])).toEqual([]);
    const accepted = answers.flatMap((a, i) => (a.response.status === 202 ? [{ i, id: a.data!.orderId }] : []));
    expect(accepted.length).toBeLessThanOrEqual(UNITS);
    // Every unit sells unless the limiter refused enough shoppers that fewer than UNITS got through.
    expect(accepted.length).toBe(Math.min(UNITS, statuses.filter((s) => s !== 429).length));
    expect(new Set(accepted.map((a) => a.id)).size).toBe(accepted.length);

    const mid = await inventory(sku);
    expect(invariantHolds(mid)).toBe(true);
    expect(mid.held + mid.sold).toBe(accepted.length);

    // One key, one order: a replay of each accepted key answers the same order.
    const replays = await Promise.all(accepted.slice(0, 5).map((a) => checkout(shoppers[a.i]!, undefined, keys[a.i])));
    expect(replays.map((r) => r.data?.orderId)).toEqual(accepted.slice(0, 5).map((a) => a.id));

    // Paid, one PaymentIntent per order, and in Postgres exactly once.
    await eventually(
      'every accepted order paid',
      async () => {
        const views = await Promise.all(accepted.map((a) => orderOf(shoppers[a.i]!, a.id)));
        return views.every((v) => v.data?.status === 'paid');
      },
      30_000,
      250,
    );
    const ids = new Set(accepted.map((a) => a.id));
    const intents = (await stripe().paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 })).filter(
      (pi) => ids.has(pi.metadata?.orderId ?? ''),
    );
    expect(intents.length).toBe(accepted.length);
    expect(new Set(intents.map((pi) => pi.metadata.orderId)).size).toBe(accepted.length);
    const rows = await eventually(
      'the orders in Postgres',
      async () => {
        const found = await pgOrderRows([...ids]);
        return found.length === accepted.length && found.every((r) => r.status === 'paid') ? found : false;
      },
      30_000,
      250,
    );
    expect(new Set(rows.map((r) => r.id)).size).toBe(accepted.length);
    expect(await inventory(sku)).toMatchObject({ onHand: UNITS, held: 0, sold: accepted.length });
  }, 180_000);

  it('a restocked SKU sells again within the published stock state bound', async () => {
    const sku = await freshSku(1);
    const [first, second, third] = await Promise.all([shopperWith(sku), shopperWith(sku), shopperWith(sku)]);
    expect((await checkout(first!)).response.status).toBe(202);
    // Refused: the winner's hold published "0 available", so these are refused at admission. The refusal took
    // nothing and is not stored under its key: the same key goes through once the stock is back.
    const key = crypto.randomUUID();
    for (const t of [second!, third!]) {
      const r = await checkout(t, undefined, key);
      expect(r.response.status).toBe(409);
      expect(r.error?.error.code).toBe('OUT_OF_STOCK');
      expect(r.error?.error.details).toEqual({ items: [{ sku, requested: 1, available: 0 }] });
    }
    expect((await adjustStock(sku, 1)).response.status).toBe(200);
    const restockedAt = Date.now();
    let reopenedAfter = Number.POSITIVE_INFINITY;
    while (Date.now() - restockedAt < stockStateTtlMs + 5000) {
      const r = await checkout(third!, undefined, key);
      if (r.response.status === 202) {
        reopenedAfter = Date.now() - restockedAt;
        break;
      }
      expect(r.error?.error.code).toBe('OUT_OF_STOCK');
      await new Promise((res) => setTimeout(res, 50));
    }
    // The bound, plus the time of one checkout on a busy machine.
    expect(reopenedAfter).toBeLessThanOrEqual(stockStateTtlMs + 1500);
  }, 60_000);
});
