// The stock ledger end to end (issue 13): every change of a SKU's stock (first stock, a merchant's set and
// adjustment with their reasons, a shopper's hold and sale, a declined payment's release) is listed by
// GET /v1/admin/inventory/:sku/events with who, why and the levels it left, newest first in keyset pages, and lands
// in Postgres (`inventory_events`) exactly once, also when Postgres was down while the changes were made.
import { afterEach, describe, expect, it } from 'vitest';
import type { paths } from '../../lib/client';
import { checkout, checkoutBody, freshSku, guestToken, shopperWith, waitForStatus } from './checkout-helpers';
import { client, eventually, insertProduct, merchantToken, ok, primary } from './helpers';
import { pgControl } from './pg-control';

type EventsQuery = NonNullable<paths['/v1/admin/inventory/{sku}/events']['get']['parameters']['query']>;

const events = async (sku: string, query: EventsQuery = {}, token?: string) =>
  client(token ?? (await merchantToken())).GET('/v1/admin/inventory/{sku}/events', {
    params: { path: { sku }, query },
  });

const merchantSub = async () =>
  (await primary<{ id: string }>("select id from customers where email = 'merchant@storefront.local'"))[0]!.id;

/** The SKU's rows in Postgres: seq, kind and how many times each seq is there. */
const copiedRows = (sku: string) =>
  primary<{ seq: string; kind: string; reason: string | null; on_hand: number; held: number; sold: number }>(
    'select seq, kind, reason, on_hand, held, sold from inventory_events where sku = $1 order by seq',
    [sku],
  );

/** Waits until Postgres has exactly the events 1..last of the SKU (the copy runs from the object's alarm). */
const copiedUpTo = (sku: string, last: number, timeoutMs = 15_000) =>
  eventually(
    `events 1..${last} of ${sku} in Postgres`,
    async () => {
      const rows = await copiedRows(sku);
      return rows.length >= last ? rows : false;
    },
    timeoutMs,
    100,
  );

let pgStopped = false;
afterEach(async () => {
  if (pgStopped) await pgControl('startAll');
  pgStopped = false;
});

describe('the stock ledger', () => {
  it('lists every change with who, why and the levels it left, newest first, and copies each to Postgres once', async () => {
    const sku = await freshSku(10); // first stock 0 from Postgres (initialize), then set to 10 by the admin
    const merchant = await merchantToken();
    await ok(
      'set',
      client(merchant).PUT('/v1/admin/inventory/{sku}', {
        params: { path: { sku } },
        body: { onHand: 12, reason: 'stock count' },
      }),
    );
    await ok(
      'adjust',
      client(merchant).POST('/v1/admin/inventory/{sku}/adjustments', {
        params: { path: { sku } },
        body: { delta: -1, reason: 'damaged in the warehouse' },
      }),
    );
    const buyer = await shopperWith(sku, 2);
    const paid = await checkout(buyer);
    expect(paid.response.status).toBe(202);
    const paidId = paid.data!.orderId;
    await waitForStatus(buyer, paidId, 'paid');
    const decliner = await shopperWith(sku, 1);
    const declined = await checkout(decliner, checkoutBody('pm_card_chargeDeclined'));
    expect(declined.response.status).toBe(402);
    const declinedId = (declined.error!.error.details as { orderId: string }).orderId;

    const page = await ok('events', events(sku));
    expect(page.sku).toBe(sku);
    expect(page.nextCursor).toBeNull();
    const me = await merchantSub();
    const lv = (onHand: number, held: number, sold: number) => ({
      onHand,
      held,
      sold,
      available: onHand - held - sold,
    });
    expect(page.events.map(({ at: _, ...e }) => e)).toEqual([
      {
        seq: 8,
        kind: 'release',
        delta: -1,
        actor: { type: 'order', id: declinedId },
        reason: 'payment declined',
        levels: lv(11, 0, 2),
      },
      { seq: 7, kind: 'hold', delta: 1, actor: { type: 'order', id: declinedId }, reason: null, levels: lv(11, 1, 2) },
      { seq: 6, kind: 'sale', delta: 2, actor: { type: 'order', id: paidId }, reason: null, levels: lv(11, 0, 2) },
      { seq: 5, kind: 'hold', delta: 2, actor: { type: 'order', id: paidId }, reason: null, levels: lv(11, 2, 0) },
      {
        seq: 4,
        kind: 'adjust',
        delta: -1,
        actor: { type: 'merchant', id: me },
        reason: 'damaged in the warehouse',
        levels: lv(11, 0, 0),
      },
      {
        seq: 3,
        kind: 'set',
        delta: 2,
        actor: { type: 'merchant', id: me },
        reason: 'stock count',
        levels: lv(12, 0, 0),
      },
      {
        seq: 2,
        kind: 'set',
        delta: 10,
        actor: expect.objectContaining({ type: 'admin' }),
        reason: null,
        levels: lv(10, 0, 0),
      },
      {
        seq: 1,
        kind: 'initialize',
        delta: 0,
        actor: { type: 'system', id: 'inventory' },
        reason: 'first stock from the catalog',
        levels: lv(0, 0, 0),
      },
    ]);
    const times = page.events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(Date.now() - times[0]!).toBeLessThan(60_000);

    // Filters and keyset pages.
    const sales = await ok('by kind', events(sku, { kind: 'hold,sale' }));
    expect(sales.events.map((e) => e.seq)).toEqual([7, 6, 5]);
    const first = await ok('page 1', events(sku, { limit: 3 }));
    expect(first.events.map((e) => e.seq)).toEqual([8, 7, 6]);
    const second = await ok('page 2', events(sku, { limit: 3, cursor: first.nextCursor! }));
    expect(second.events.map((e) => e.seq)).toEqual([5, 4, 3]);
    const third = await ok('page 3', events(sku, { limit: 3, cursor: second.nextCursor! }));
    expect(third.events.map((e) => e.seq)).toEqual([2, 1]);
    expect(third.nextCursor).toBeNull();
    const later = await ok('from', events(sku, { from: page.events[2]!.at }));
    expect(later.events.every((e) => Date.parse(e.at) >= times[2]!)).toBe(true);
    expect(later.events.map((e) => e.seq)).toContain(6);

    // Postgres: every event exactly once (keyed by sku and seq), with the same levels.
    const rows = await copiedUpTo(sku, 8);
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rows.map((r) => r.kind)).toEqual(['initialize', 'set', 'set', 'adjust', 'hold', 'sale', 'hold', 'release']);
    expect(rows[7]).toMatchObject({ reason: 'payment declined', on_hand: 11, held: 0, sold: 2 });
  });

  it('answers 404 for an unknown SKU, 400 for a bad query, and 403 below the merchant role', async () => {
    const sku = await freshSku(3);
    expect((await events('ZZZ-NO-SUCH-SKU-1')).response.status).toBe(404);
    // A SKU sold in the catalog whose stock never changed: no events yet, and the read creates nothing.
    const untouched = await insertProduct({ title: 'Ledger untouched' });
    const [variant] = await primary<{ sku: string }>(
      'select v.sku from product_variants v join products p on p.id = v.product_id where p.slug = $1',
      [untouched],
    );
    expect(await ok('untouched', events(variant!.sku))).toEqual({ sku: variant!.sku, events: [], nextCursor: null });
    expect(await primary('select 1 from inventory_levels where sku = $1', [variant!.sku])).toEqual([]);
    for (const query of [
      { kind: 'theft' },
      { limit: 0 },
      { limit: 500 },
      { cursor: 'abc' },
      { from: 'yesterday' },
      { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' },
    ]) {
      const r = await events(sku, query as EventsQuery);
      expect(r.response.status, JSON.stringify(query)).toBe(400);
      expect(r.error?.error.code).toBe('VALIDATION_FAILED');
    }
    const unknownParam = await events(sku, { sort: 'asc' } as EventsQuery);
    expect(unknownParam.response.status).toBe(400);
    expect((await events(sku, {}, await guestToken())).response.status).toBe(403);
    // A reason longer than 200 characters is refused and changes nothing.
    const long = await client(await merchantToken()).PUT('/v1/admin/inventory/{sku}', {
      params: { path: { sku } },
      body: { onHand: 9, reason: 'x'.repeat(201) },
    });
    expect(long.response.status).toBe(400);
    expect((await ok('events', events(sku))).events.map((e) => e.kind)).toEqual(['set', 'initialize']);
  });

  it('keeps recording while Postgres is down, lists the changes from the object, and copies each once when it returns', async () => {
    const sku = await freshSku(20);
    const merchant = await merchantToken(); // signing in needs the database
    const shoppers = await Promise.all(Array.from({ length: 3 }, () => shopperWith(sku, 2)));
    pgStopped = true;
    await pgControl('stopAll');
    const answers = await Promise.all(shoppers.map((t) => checkout(t)));
    expect(answers.map((a) => a.response.status)).toEqual([202, 202, 202]);
    await Promise.all(answers.map((a, i) => waitForStatus(shoppers[i]!, a.data!.orderId, 'paid', 15_000)));
    // The ledger is read from the object: no database needed for the newest events.
    const during = await ok('events during the outage', events(sku, {}, merchant));
    expect(during.events.map((e) => e.kind).sort()).toEqual(
      ['hold', 'hold', 'hold', 'sale', 'sale', 'sale', 'set', 'initialize'].sort(),
    );
    expect(during.events[0]!.levels).toEqual({ onHand: 20, held: 0, sold: 6, available: 14 });
    await new Promise((r) => setTimeout(r, 1500)); // a few failed copies
    await pgControl('startAll');
    pgStopped = false;
    const rows = await copiedUpTo(sku, 8, 75_000);
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Still once each a while later (a copy repeated after a lost answer adds nothing).
    await new Promise((r) => setTimeout(r, 1000));
    expect((await copiedRows(sku)).length).toBe(8);
  }, 120_000);
});
