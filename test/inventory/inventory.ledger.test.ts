// InventoryDO's stock ledger, driven directly inside workerd (the checkout worker's real bindings and the test
// Postgres; HOLD_GRACE_SECONDS 0, sync delay 50 ms, INVENTORY_EVENTS_KEPT 5 here): one event per change of every
// kind, written with the change, none for a refusal; seq 1, 2, 3 ... without gaps under concurrency; the alarm's
// expiry; and the copy to Postgres: exactly once, retried after a failure, the object keeping only the newest
// copied events, and pages that continue from the object into Postgres.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { InventoryDO } from '../../durable-objects/inventory/inventory.do';
import { eventsPage } from '../../durable-objects/inventory/ledger.client';
import type { InventoryEvent, InventoryEventsAnswer, StockChange } from '../../lib/contracts/inventory';
import { dbSettings, sqlClient } from '../../lib/db/client';
import { freshSku, req, type Stub, stockOf, syncState, waitFor } from './helpers';

const merchant: StockChange = { actor: { type: 'merchant', id: 'merchant-1' }, reason: 'stock count' };
const admin: StockChange = { actor: { type: 'admin', id: 'admin-1' }, reason: 'damaged' };

/** Every event the object keeps, oldest first. */
const keptBy = async (stub: Stub, sku: string) =>
  ((await stub.events(sku, { limit: 1000 })) as InventoryEventsAnswer).events.reverse();
/**
 * Every event of the SKU, oldest first, as the admin API reads them: the object's, then Postgres' (the alarm copies
 * them within 50 ms here and the object then keeps only the newest 5).
 */
const eventsOf = async (_stub: Stub, sku: string): Promise<InventoryEvent[]> =>
  (await eventsPage(inventoryEnv, sku, { limit: 200 })).events
    .map((e) => ({ ...e, sku, at: Date.parse(e.at) }))
    .reverse();
const strip = (events: InventoryEvent[]) => events.map(({ at: _, sku: __, ...e }) => e);
const lv = (onHand: number, held: number, sold: number) => ({ onHand, held, sold, available: onHand - held - sold });
const byOrder = (id: string) => ({ type: 'order' as const, id });

const inventoryEnv = env as unknown as Parameters<typeof eventsPage>[0];

const pgRows = async (sku: string) => {
  const settings = dbSettings(inventoryEnv);
  return (await sqlClient(settings.DATABASE_URL, settings).query(
    'select seq, kind, on_hand, held, sold from inventory_events where sku = $1 order by seq',
    [sku],
  )) as { seq: string; kind: string; on_hand: number; held: number; sold: number }[];
};

describe('InventoryDO: the stock ledger', () => {
  it('records one event per change of every kind: who, why, the change and the levels it left', async () => {
    const sku = freshSku('ledger');
    const stub = stockOf(sku);
    await stub.initialize(sku, 10);
    await stub.setOnHand(sku, 12, merchant);
    await stub.adjust(sku, -2, admin);
    await stub.setMaxPerCustomer(sku, 3, { actor: merchant.actor });
    await stub.reserve(sku, req('ord_1', 2, 'ann'));
    await stub.commit(sku, 'ord_1');
    await stub.reserve(sku, req('ord_2', 1, 'bob'));
    await stub.release(sku, 'ord_2', 'payment declined');
    await stub.restock(sku, 're_1:X', 'ord_1', 1);
    // Copied, and the object keeps the newest 5: seq 1 to 4 are read back from Postgres, with the same fields.
    await waitFor(async () => (await keptBy(stub, sku)).length === 5, 'the copied events let go');
    const events = await eventsOf(stub, sku);
    expect(strip(events)).toEqual([
      {
        seq: 1,
        kind: 'initialize',
        delta: 10,
        actor: { type: 'system', id: 'inventory' },
        reason: 'first stock from the catalog',
        levels: lv(10, 0, 0),
      },
      { seq: 2, kind: 'set', delta: 2, actor: merchant.actor, reason: 'stock count', levels: lv(12, 0, 0) },
      { seq: 3, kind: 'adjust', delta: -2, actor: admin.actor, reason: 'damaged', levels: lv(10, 0, 0) },
      { seq: 4, kind: 'cap', delta: 0, actor: merchant.actor, reason: 'maxPerCustomer 3', levels: lv(10, 0, 0) },
      { seq: 5, kind: 'hold', delta: 2, actor: byOrder('ord_1'), reason: null, levels: lv(10, 2, 0) },
      { seq: 6, kind: 'sale', delta: 2, actor: byOrder('ord_1'), reason: null, levels: lv(10, 0, 2) },
      { seq: 7, kind: 'hold', delta: 1, actor: byOrder('ord_2'), reason: null, levels: lv(10, 1, 2) },
      { seq: 8, kind: 'release', delta: -1, actor: byOrder('ord_2'), reason: 'payment declined', levels: lv(10, 0, 2) },
      { seq: 9, kind: 'restock', delta: -1, actor: byOrder('ord_1'), reason: 'refund re_1:X', levels: lv(10, 0, 1) },
    ]);
    const times = events.map((e) => e.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(events.every((e) => e.sku === sku)).toBe(true);
    expect((await stub.levels(sku)).version).toBe(9); // one event per change
    // Newest first, and the filters: kind, time, and the cursor.
    const page = (await stub.events(sku, { limit: 2, kinds: ['hold', 'sale'] })) as InventoryEventsAnswer;
    expect(page.events.map((e) => e.seq)).toEqual([7, 6]);
    const below = (await stub.events(sku, { limit: 10, before: 6, kinds: ['hold', 'sale'] })) as InventoryEventsAnswer;
    expect(below.events.map((e) => e.seq)).toEqual([5]);
    const from = (await stub.events(sku, { limit: 10, from: events[8]!.at })) as InventoryEventsAnswer;
    expect(from.events.map((e) => e.seq)).toContain(9);
    expect(from.events.every((e) => e.at >= events[8]!.at)).toBe(true);
  });

  it('a refusal, a repeat or a write that changes nothing records nothing', async () => {
    const sku = freshSku('ledger-refusals');
    const stub = stockOf(sku);
    expect(await stub.reserve(sku, req('h0'))).toEqual({ ok: false, reason: 'UNINITIALIZED' });
    expect(await stub.events(sku, { limit: 10 })).toEqual({ hasStorage: false, events: [], oldestKept: null });
    await stub.initialize(sku, 3);
    await stub.setMaxPerCustomer(sku, 2, merchant);
    await stub.reserve(sku, req('h1', 2, 'ann'));
    const before = await eventsOf(stub, sku);
    const version = (await stub.levels(sku)).version;
    expect(before.map((e) => e.kind)).toEqual(['initialize', 'cap', 'hold']);
    const answers = [
      await stub.reserve(sku, req('h2', 2, 'bob')),
      await stub.reserve(sku, req('h3', 1, 'ann')),
      await stub.reserve(sku, req('h1', 1, 'ann')),
      await stub.reserve(sku, req('h1', 2, 'ann')), // a repeat: answered again, no change
      await stub.setOnHand(sku, 1, merchant),
      await stub.setOnHand(sku, 3, merchant), // the same count
      await stub.setOnHand(sku, -1, merchant),
      await stub.adjust(sku, -5, admin),
      await stub.adjust(sku, 1.5, admin),
      await stub.setMaxPerCustomer(sku, 2, merchant), // the same cap
      await stub.setMaxPerCustomer(sku, 0, merchant),
      await stub.commit(sku, 'nope'),
      await stub.release(sku, 'nope', 'test'),
      await stub.restock(sku, 're_x', 'h1', 1),
    ];
    expect(answers.map((a) => ('reason' in a ? a.reason : a.ok))).toEqual([
      'INSUFFICIENT',
      'CUSTOMER_LIMIT',
      'HOLD_MISMATCH',
      true,
      'BELOW_COMMITTED',
      true,
      'INVALID',
      'BELOW_COMMITTED',
      'INVALID',
      true,
      'INVALID',
      'UNKNOWN_HOLD',
      true,
      'NOT_SOLD',
    ]);
    expect(await stub.initialize(sku, 50)).toMatchObject({ onHand: 3 }); // only the first call sets stock
    expect(await eventsOf(stub, sku)).toEqual(before);
    expect((await stub.levels(sku)).version).toBe(version);
  });

  it('numbers events 1, 2, 3 ... without gaps under concurrent reserves: one per granted hold', async () => {
    const sku = freshSku('ledger-race');
    const stub = stockOf(sku);
    await stub.initialize(sku, 50);
    const answers = await Promise.all(Array.from({ length: 120 }, (_, i) => stub.reserve(sku, req(`h${i}`))));
    const granted = answers.filter((a) => a.ok).length;
    expect(granted).toBe(50);
    const events = await eventsOf(stub, sku);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(events.slice(1).map((e) => e.levels.held)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(events.slice(1).map((e) => e.actor.id)).size).toBe(50);
  });

  it("the alarm's expiry records one expire event per hold, with the levels each release left", async () => {
    const sku = freshSku('ledger-expiry');
    const stub = stockOf(sku);
    await stub.levels(sku);
    await runInDurableObject(stub, (i: InventoryDO, state) => {
      const now = Date.now();
      i.initialize(sku, 10);
      i.reserve(sku, req('ord_a', 1, 'o1', now - 3000));
      i.reserve(sku, req('ord_b', 2, 'o2', now - 2000));
      i.reserve(sku, req('ord_c', 3, 'o3', now - 1000));
      void state.storage.setAlarm(now + 3_600_000); // held back: the test runs it
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const expired = (await eventsOf(stub, sku)).filter((e) => e.kind === 'expire');
    expect(strip(expired)).toEqual([
      { seq: 5, kind: 'expire', delta: -1, actor: byOrder('ord_a'), reason: 'hold expired', levels: lv(10, 5, 0) },
      { seq: 6, kind: 'expire', delta: -2, actor: byOrder('ord_b'), reason: 'hold expired', levels: lv(10, 3, 0) },
      { seq: 7, kind: 'expire', delta: -3, actor: byOrder('ord_c'), reason: 'hold expired', levels: lv(10, 0, 0) },
    ]);
    expect(await stub.levels(sku)).toMatchObject({ held: 0, available: 10 });
  });

  it('copies every event to Postgres once, retries a failed copy, keeps only the newest copied ones, and pages on in Postgres', async () => {
    const sku = freshSku('ledger-copy');
    const stub = stockOf(sku);
    await stub.levels(sku);
    // The copy fails: the database settings are broken for the live instance.
    const realEnv = await runInDurableObject(stub, (instance: InventoryDO) => {
      const self = instance as unknown as { env: CheckoutEnv };
      const real = self.env;
      self.env = Object.create(real, { DATABASE_URL: { value: 'not a database url' } }) as CheckoutEnv;
      return real;
    });
    expect(realEnv).toBeDefined();
    await stub.initialize(sku, 30);
    for (let i = 0; i < 12; i++) await stub.reserve(sku, req(`ord_${i}`, 1, `o${i}`));
    await waitFor(async () => (await syncState(stub)).sync_failures >= 1, 'a failed copy');
    const all = await keptBy(stub, sku);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1)); // nothing let go
    expect(await pgRows(sku)).toEqual([]);

    // Back: the alarm copies everything once, and the object keeps the newest 5.
    await runInDurableObject(stub, (instance: InventoryDO) => {
      (instance as unknown as { env: CheckoutEnv }).env = Object.getPrototypeOf(
        (instance as unknown as { env: CheckoutEnv }).env,
      ) as CheckoutEnv;
    });
    await runDurableObjectAlarm(stub);
    await waitFor(async () => (await pgRows(sku)).length === 13, 'the copy', 15_000);
    const copied = await pgRows(sku);
    expect(copied.map((r) => Number(r.seq))).toEqual(all.map((e) => e.seq));
    expect(copied.map((r) => ({ onHand: r.on_hand, held: r.held, sold: r.sold }))).toEqual(
      all.map(({ levels: { available: _, ...l } }) => l),
    );
    await waitFor(async () => (await keptBy(stub, sku)).length === 5, 'the copied events let go');
    expect((await keptBy(stub, sku)).map((e) => e.seq)).toEqual([9, 10, 11, 12, 13]);
    expect(
      await runInDurableObject(
        stub,
        (_i: InventoryDO, s) => s.storage.sql.exec('select events_copied_seq as c from stock').one().c,
      ),
    ).toBe(13);

    // A copy repeated (as after a lost answer) adds nothing: the object forgets how far Postgres has them.
    await runInDurableObject(
      stub,
      (_i: InventoryDO, s) => void s.storage.sql.exec('update stock set events_copied_seq = 0'),
    );
    await runDurableObjectAlarm(stub);
    await waitFor(async () => (await syncState(stub)).sync_due_at === null, 'the repeated copy');
    expect((await pgRows(sku)).length).toBe(13);

    // Pages, newest first: from the object while it has them, then from Postgres, the same events either way.
    const seen: InventoryEvent[] = [];
    let cursor: string | undefined;
    const pages: number[][] = [];
    do {
      const page = await eventsPage(inventoryEnv, sku, { limit: 4, cursor });
      pages.push(page.events.map((e) => e.seq));
      seen.push(...page.events.map((e) => ({ ...e, sku, at: Date.parse(e.at) })));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual([[13, 12, 11, 10], [9, 8, 7, 6], [5, 4, 3, 2], [1]]);
    expect(seen.reverse()).toEqual(all);
    const holds = await eventsPage(inventoryEnv, sku, { limit: 50, kind: 'initialize' });
    expect(holds.events.map((e) => e.seq)).toEqual([1]);
  });
});
