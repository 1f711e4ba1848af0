// Issue 14, the Durable Objects' part: their state exported to R2 (InventoryDO levels and ledger, OrdersDO orders,
// CartDO carts) in pages, read back through the API and checked against the manifest's SHA-256; and an InventoryDO
// corrupted on purpose (FAULT_CORRUPT_STOCK_REASON in test/stack.config.ts), found by the stock check and rebuilt
// from Postgres after a dry run, refused while it would oversell; and the restore drill's check of stock copies
// against the objects (dev/backup/object-check.ts), equal, then with a copy skewed on purpose; and a shopper's
// OrdersDO rebuilt from Postgres' order copies. Keeps to its own SKUs and shoppers (an export scoped to them), so
// it runs beside other files.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { apiObjectReader, compareStockWithObjects, objectChecks } from '../../dev/backup/object-check';
import { testVars } from '../stack.config';
import {
  addToCart,
  adminToken,
  checkout,
  checkoutBody,
  freshSku,
  guestToken,
  inventory,
  shopperWith,
  waitForStatus,
} from './checkout-helpers';
import { client, eventually, freshIp, gateway, merchantToken, ok, primary } from './helpers';

const subjectOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub as string;

/** A paid order of `quantity` x `sku` by a fresh guest: its id and the guest's subject. */
async function paidOrder(sku: string, quantity: number) {
  const token = await shopperWith(sku, quantity);
  const r = await checkout(token, checkoutBody('pm_card_visa'));
  expect(r.response.status).toBe(202);
  await waitForStatus(token, r.data!.orderId, 'paid');
  return { orderId: r.data!.orderId, subject: subjectOf(token) };
}

/** Until Postgres' levels copy of `sku` shows `sold` (the consumer wrote the object's newest send). */
const copied = (sku: string, sold: number) =>
  eventually(
    `inventory_levels of ${sku} sold ${sold}`,
    async () =>
      (await primary('select sold from inventory_levels where sku = $1', [sku]))[0]?.sold === sold &&
      (
        await primary(
          "select 1 from orders where id in (select order_id from order_lines where sku = $1) and status = 'paid'",
          [sku],
        )
      ).length > 0,
    10_000,
  );

const admin = async () => client(await adminToken());

/** GET a path as the admin, raw (an export file is newline-delimited JSON, not one JSON value). */
async function adminGet(path: string) {
  const res = await fetch(`${gateway()}${path}`, {
    headers: { authorization: `Bearer ${await adminToken()}`, 'cf-connecting-ip': freshIp() },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('exporting the Durable Objects to R2', () => {
  it('exports the named objects page by page; every file reads back with the SHA-256 of its manifest', async () => {
    const [sku1, sku2, sku3] = await Promise.all([freshSku(10), freshSku(5), freshSku(3)]);
    const buyer = await paidOrder(sku1, 2);
    const carter = await guestToken();
    await addToCart(carter, sku2, 1);
    await copied(sku1, 2);

    const api0 = await admin();
    // pageSize 2 over 3 SKUs and 2 shoppers: two inventory pages, then one of orders and one of carts.
    let progress = await ok(
      'start export',
      api0.POST('/v1/admin/durable-objects/exports', {
        body: { skus: [sku3, sku1, sku2], subjects: [buyer.subject, subjectOf(carter)], pageSize: 2 },
      }),
    );
    const wrote = [progress.wrote];
    for (let i = 0; !progress.done && i < 10; i++) {
      progress = await ok(
        'next page',
        api0.POST('/v1/admin/durable-objects/exports/{id}/pages', {
          params: { path: { id: progress.exportId } },
          body: { cursor: progress.cursor! },
        }),
      );
      wrote.push(progress.wrote);
    }
    expect(progress.done).toBe(true);
    const manifest = progress.manifest!;
    expect(manifest).toMatchObject({ exportId: progress.exportId, format: 'ndjson', scope: { skus: 3, subjects: 2 } });
    expect(manifest.catalogGeneration).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(manifest.counts.inventory).toEqual({ asked: 3, records: 3, failed: 0, differences: 0 });
    expect(manifest.counts.orders).toMatchObject({ asked: 2, records: 1, failed: 0 });
    expect(manifest.counts.carts).toMatchObject({ asked: 2, failed: 0 });
    expect(manifest.files.map((f) => f.key.split('/').slice(2).join('/'))).toEqual([
      'carts/00001.ndjson',
      'inventory/00001.ndjson',
      'inventory/00002.ndjson',
      'orders/00001.ndjson',
    ]);
    // What each call said it wrote is what the manifest lists.
    expect(
      wrote
        .filter(Boolean)
        .map((w) => w!.sha256)
        .sort(),
    ).toEqual(manifest.files.map((f) => f.sha256).sort());
    // The same manifest, read again.
    expect(
      await ok(
        'manifest',
        api0.GET('/v1/admin/durable-objects/exports/{id}', { params: { path: { id: manifest.exportId } } }),
      ),
    ).toEqual(manifest);

    const records: any[] = [];
    for (const f of manifest.files) {
      const [, , kind, part] = f.key.split('/');
      const r = await adminGet(`/v1/admin/durable-objects/exports/${manifest.exportId}/files/${kind}/${part}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('application/x-ndjson');
      expect(r.bytes.byteLength).toBe(f.bytes);
      expect(createHash('sha256').update(r.bytes).digest('hex')).toBe(f.sha256);
      expect(r.headers.get('x-content-sha256')).toBe(f.sha256);
      const lines = r.bytes
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.length).toBe(f.records);
      records.push(...lines);
    }
    const inv = records.find((r) => r.kind === 'inventory' && r.id === sku1);
    expect(inv.state.levels).toMatchObject({ sku: sku1, onHand: 10, held: 0, sold: 2, available: 8 });
    expect(inv.state.events.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['set', 'hold', 'sale']),
    );
    expect(inv.difference).toBeNull();
    expect(records.filter((r) => r.kind === 'inventory').map((r) => r.id)).toEqual([sku1, sku2, sku3].sort());
    const bought = records.find((r) => r.kind === 'orders' && r.id === buyer.subject);
    expect(bought.state.orders).toEqual([
      expect.objectContaining({
        id: buyer.orderId,
        status: 'paid',
        lines: [expect.objectContaining({ sku: sku1, quantity: 2 })],
      }),
    ]);
    const cart = records.find((r) => r.kind === 'carts' && r.id === subjectOf(carter));
    expect(cart.state.lines).toEqual([expect.objectContaining({ sku: sku2, quantity: 1 })]);
  });

  it('without a scope, pages through every id Postgres knows: SKUs, shoppers with orders, customers and guests', async () => {
    // At least two shoppers with an order in Postgres, whatever ran before (each page below is of one object).
    const orders = await Promise.all([paidOrder(await freshSku(2), 1), paidOrder(await freshSku(2), 1)]);
    await eventually(
      'the orders in Postgres',
      async () =>
        (await primary('select 1 from orders where id = any($1)', [orders.map((o) => o.orderId)])).length === 2,
      10_000,
    );
    const api0 = await admin();
    for (const kind of ['inventory', 'orders', 'carts'] as const) {
      // The first page of one object only: the whole store is not this file's to export.
      const first = await ok(
        `first page of ${kind}`,
        api0.POST('/v1/admin/durable-objects/exports', { body: { kinds: [kind], pageSize: 1 } }),
      );
      expect(first).toMatchObject({ done: false, manifest: null, wrote: { kind } });
      const next = await ok(
        `second page of ${kind}`,
        api0.POST('/v1/admin/durable-objects/exports/{id}/pages', {
          params: { path: { id: first.exportId } },
          body: { cursor: first.cursor! },
        }),
      );
      expect(next.wrote?.key).toMatch(new RegExp(`/${kind}/00002\\.ndjson$`));
    }
  });

  it('is for the admin role, and refuses a bad cursor, id or file with a 4xx', async () => {
    const asMerchant = client(await merchantToken());
    const refused = await asMerchant.POST('/v1/admin/durable-objects/exports', { body: { kinds: ['carts'] } });
    expect(refused.response.status).toBe(403);

    const sku = await freshSku(1);
    const api0 = await admin();
    const started = await ok(
      'start',
      api0.POST('/v1/admin/durable-objects/exports', { body: { kinds: ['inventory'], skus: [sku], pageSize: 1 } }),
    );
    expect(started.done).toBe(false);
    // Junk, and a well-formed position the run did not sign (made up, or given the MAC of its real cursor).
    const forged = Buffer.from(JSON.stringify({ k: 0, after: 'ZZZ', part: 2 })).toString('base64url');
    for (const cursor of ['bm90LWEtY3Vyc29y', forged, `${forged}.${started.cursor!.split('.')[1]}`]) {
      const bad = await api0.POST('/v1/admin/durable-objects/exports/{id}/pages', {
        params: { path: { id: started.exportId } },
        body: { cursor },
      });
      expect(bad.response.status, cursor).toBe(400);
      expect(bad.error?.error.code).toBe('BAD_CURSOR');
    }
    const unfinished = await api0.GET('/v1/admin/durable-objects/exports/{id}', {
      params: { path: { id: started.exportId } },
    });
    expect(unfinished.response.status).toBe(404);
    const noSuch = await api0.GET('/v1/admin/durable-objects/exports/{id}', {
      params: { path: { id: '20000101T000000Z-00000000' } },
    });
    expect(noSuch.response.status).toBe(404);
    expect((await adminGet('/v1/admin/durable-objects/exports/not-an-id/files/inventory/00001.ndjson')).status).toBe(
      400,
    );
    expect(
      (await adminGet(`/v1/admin/durable-objects/exports/${started.exportId}/files/images/00001.ndjson`)).status,
    ).toBe(400);
    expect(
      (await adminGet(`/v1/admin/durable-objects/exports/${started.exportId}/files/inventory/00009.ndjson`)).status,
    ).toBe(404);
  });
});

describe('rebuilding a corrupted InventoryDO from Postgres', () => {
  it('finds the corruption, shows the diff in a dry run, rebuilds, audits, and refuses an oversell unless forced', async () => {
    const sku = await freshSku(10);
    const { orderId } = await paidOrder(sku, 2);
    await copied(sku, 2);
    const api0 = await admin();

    // The fault: sold moves by 5 inside the object, with no hold, no event, no new version.
    const corrupt = await api0.POST('/v1/admin/inventory/{sku}/adjustments', {
      params: { path: { sku } },
      body: { delta: 5, reason: testVars.FAULT_CORRUPT_STOCK_REASON },
    });
    expect(corrupt.response.status).toBe(200);
    expect(await inventory(sku)).toMatchObject({ onHand: 10, sold: 7, available: 3 });

    const verified = await ok('verify', api0.GET('/v1/admin/inventory-verify', { params: { query: { skus: sku } } }));
    expect(verified).toMatchObject({ checked: 1, failed: [], nextCursor: null });
    expect(verified.differences).toEqual([
      expect.objectContaining({
        sku,
        problem: 'differs',
        object: expect.objectContaining({ sold: 7 }),
        postgres: expect.objectContaining({ sold: 2 }),
      }),
    ]);

    const rebuild = (body: Record<string, unknown>) =>
      api0.POST('/v1/admin/inventory/{sku}/rebuild', { params: { path: { sku } }, body: body as never });
    const dry = await ok('dry run', rebuild({}));
    expect(dry).toMatchObject({
      sku,
      dryRun: true,
      current: { sold: 7, soldHolds: 1 },
      plan: { onHand: 10, held: 0, sold: 2, holds: 1 },
    });
    expect(dry.diff).toEqual(
      expect.arrayContaining([
        { field: 'sold', from: 7, to: 2 },
        { field: 'available', from: 3, to: 8 },
      ]),
    );
    expect(dry.levels).toBeUndefined();
    expect(await inventory(sku)).toMatchObject({ sold: 7 }); // a dry run changes nothing

    const noVersion = await rebuild({ dryRun: false });
    expect(noVersion.response.status).toBe(400);
    const stale = await rebuild({ dryRun: false, expectVersion: dry.current.version + 1 });
    expect(stale.response.status).toBe(409);
    expect(stale.error?.error.code).toBe('REBUILD_STALE');
    const asMerchant = await client(await merchantToken()).POST('/v1/admin/inventory/{sku}/rebuild', {
      params: { path: { sku } },
      body: { dryRun: false, expectVersion: dry.current.version },
    });
    expect(asMerchant.response.status).toBe(403);
    expect(await inventory(sku)).toMatchObject({ sold: 7 });

    const done = await ok('rebuild', rebuild({ dryRun: false, expectVersion: dry.current.version }));
    expect(done.levels).toMatchObject({ onHand: 10, held: 0, sold: 2, available: 8 });
    expect(done.levels!.version).toBeGreaterThan(dry.current.version);
    expect(await inventory(sku)).toMatchObject({ onHand: 10, held: 0, sold: 2, available: 8 });

    // The ledger says so, the audit log has it, the copy catches up and the check finds nothing.
    const events = await ok(
      'ledger',
      api0.GET('/v1/admin/inventory/{sku}/events', { params: { path: { sku }, query: { kind: 'rebuild' } } }),
    );
    expect(events.events).toEqual([
      expect.objectContaining({ kind: 'rebuild', actor: expect.objectContaining({ type: 'admin' }) }),
    ]);
    const audit = await ok(
      'audit',
      api0.GET('/v1/admin/audit', { params: { query: { action: 'stock.rebuild', targetType: 'sku', targetId: sku } } }),
    );
    // The refused stale attempt is there as failed (refused by the object: nothing changed), the rebuild as succeeded.
    expect(audit.items.map((i) => i.outcome)).toEqual(['succeeded', 'failed']);
    // The rebuilt levels reach Postgres' copy (a newer version than any it had), and then the check agrees.
    await eventually(
      "the rebuilt levels' copy",
      async () =>
        Number((await primary('select version from inventory_levels where sku = $1', [sku]))[0]?.version) ===
        done.levels!.version,
      10_000,
    );
    await eventually(
      'the stock check agrees again',
      async () =>
        (await ok('verify', api0.GET('/v1/admin/inventory-verify', { params: { query: { skus: sku } } }))).differences
          .length === 0,
      10_000,
      200,
    );
    // The sold hold was rebuilt: a refund's restock still finds it (the hold is the order's).
    expect(dry.plan.sources.sold).toContain('1 paid orders');
    expect(orderId).toBeTruthy();

    // Postgres' copy says less on hand than is sold (a stale count): refused, and with force on hand is raised.
    await primary(
      "update inventory_levels set on_hand = 1, available = 0, held = 0, sold = 1, updated_at = now() + interval '1 hour' where sku = $1",
      [sku],
    );
    const oversell = await rebuild({});
    expect(oversell.response.status).toBe(409);
    expect(oversell.error?.error.code).toBe('REBUILD_OVERSELLS');
    const forced = await ok('forced dry run', rebuild({ force: true }));
    expect(forced.plan).toMatchObject({ onHand: 2, sold: 2, onHandRaisedBy: 1 });
  });

  it('plans an active hold for an order still waiting for payment', async () => {
    const sku = await freshSku(4);
    const token = await shopperWith(sku, 1);
    const r = await checkout(token, checkoutBody('pm_card_authenticationRequired'));
    expect(r.data!.payment.status).toBe('requires_action');
    await eventually(
      'the order in Postgres',
      async () => (await primary('select 1 from orders where id = $1', [r.data!.orderId])).length > 0,
      10_000,
    );
    const dry = await ok(
      'dry run',
      (await admin()).POST('/v1/admin/inventory/{sku}/rebuild', { params: { path: { sku } }, body: {} }),
    );
    expect(dry.current).toMatchObject({ held: 1, activeHolds: 1 });
    expect(dry.plan).toMatchObject({ held: 1, holds: 1, sold: 0 });
    expect(dry.diff).toEqual([]);
  });
});

describe("the restore drill's stock copies against the InventoryDOs", () => {
  it('finds every copy equal to its object, and reports a skewed copy and an object that changed before the target', async () => {
    const [sku, other] = await Promise.all([freshSku(10), freshSku(6)]);
    await paidOrder(sku, 2);
    await copied(sku, 2);
    await paidOrder(other, 1);
    await copied(other, 1);
    // The test stack's primary stands for the restored cluster; the objects are asked through the admin API.
    const reader = apiObjectReader({
      url: gateway(),
      token: await adminToken(),
      headers: { 'cf-connecting-ip': freshIp() },
    });
    const pc = new pg.Client({ connectionString: inject('databaseUrl') });
    await pc.connect();
    try {
      const skus = [sku, other];
      const equal = await objectChecks(pc, reader, { targetMs: Date.now(), skus });
      expect(equal, JSON.stringify(equal)).toEqual([
        { name: 'stock vs objects', ok: true, detail: expect.stringContaining('2 SKU copies equal') },
      ]);
      // Skew one copy (the same version, one more sold): the drill names it, with both figures.
      await primary('update inventory_levels set sold = sold + 1, available = available - 1 where sku = $1', [sku]);
      const skewed = await compareStockWithObjects(pc, reader, { targetMs: Date.now(), skus });
      expect(skewed).toMatchObject({ compared: 2, failed: [] });
      expect(skewed.differences).toEqual([
        expect.objectContaining({
          sku,
          problem: 'differs',
          object: expect.objectContaining({ sold: 2 }),
          postgres: expect.objectContaining({ sold: 3 }),
        }),
      ]);
      const [line] = await objectChecks(pc, reader, { targetMs: Date.now(), skus });
      expect(line).toMatchObject({ ok: false, detail: expect.stringContaining(`${sku}: differs`) });
      // A copy newer than its object (the object lost writes) is reported; an object that moved on after the target
      // is not (the restored copy is as of the target).
      await primary('update inventory_levels set version = version + 1 where sku = $1', [other]);
      const behind = await compareStockWithObjects(pc, reader, { targetMs: Date.now(), skus: [other] });
      expect(behind.differences.map((d) => d.problem)).toEqual(['object_behind']);
      await primary('update inventory_levels set version = version - 2 where sku = $1', [other]);
      const ahead = await compareStockWithObjects(pc, reader, { targetMs: Date.now() - 120_000, skus: [other] });
      expect(ahead).toMatchObject({ compared: 1, ahead: 1, differences: [] });
    } finally {
      await pc.end();
    }
  });
});

describe("rebuilding a shopper's OrdersDO from Postgres", () => {
  it('restores the orders the object lost or has older, keeps newer ones, audits, and restores nothing twice', async () => {
    const sku = await freshSku(5);
    const token = await shopperWith(sku, 1);
    const r = await checkout(token, checkoutBody('pm_card_visa'));
    expect(r.response.status).toBe(202);
    const kept = r.data!.orderId;
    await waitForStatus(token, kept, 'paid');
    const subject = subjectOf(token);
    await eventually(
      'the paid copy in Postgres',
      async () => (await primary('select status from orders where id = $1', [kept]))[0]?.status === 'paid',
      10_000,
    );
    // An order the object lost: Postgres has it (as the consumer wrote it), the object does not.
    const lost = `ord_lost${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
    await primary(
      `insert into orders (id, version, owner_sub, owner_role, email, status, currency, subtotal, shipping, tax, total,
         tax_rate_bps, shipping_method, shipping_address, hold_expires_at, created_at, updated_at)
       values ($1, 3, $2, 'guest', 'lost@example.test', 'paid', 'USD', 1500, 0, 0, 1500, 0, 'standard',
         '{"name":"A","line1":"1 St","city":"X","postalCode":"1","country":"US"}', now(), now() - interval '1 hour', now())`,
      [lost, subject],
    );
    await primary(
      `insert into order_lines (order_id, sku, title, quantity, unit_amount, line_total)
       values ($1, $2, 'Lost shirt', 1, 1500, 1500)`,
      [lost, sku],
    );
    await primary(
      `insert into payments (order_id, provider, intent_id, status, amount, refunded_amount, updated_at)
       values ($1, 'stripe', null, 'succeeded', 1500, 0, now())`,
      [lost],
    );
    await primary(
      `insert into order_events (order_id, seq, from_status, to_status, reason, at) values
         ($1, 1, 'created', 'pending_payment', 'accepted', now() - interval '1 hour'),
         ($1, 2, 'pending_payment', 'paid', 'paid', now())`,
      [lost],
    );
    const shopper = client(token);
    expect((await shopper.GET('/v1/orders/{id}', { params: { path: { id: lost } } })).response.status).toBe(404);

    const api0 = await admin();
    const rebuild = (body: Record<string, unknown>, who = api0) =>
      who.POST('/v1/admin/shoppers/{subject}/orders/rebuild', { params: { path: { subject } }, body: body as never });
    const dry = await ok('dry run', rebuild({}));
    expect(dry).toMatchObject({ subject, dryRun: true, copies: 2 });
    expect(dry.restore).toEqual([{ id: lost, status: 'paid', version: 3, objectVersion: null }]);
    expect(dry.keep).toEqual([expect.objectContaining({ id: kept })]);
    expect((await shopper.GET('/v1/orders/{id}', { params: { path: { id: lost } } })).response.status).toBe(404);

    expect((await rebuild({ dryRun: false }, client(await merchantToken()))).response.status).toBe(403);
    expect((await rebuild({ dryRun: 'no' })).response.status).toBe(400);
    const nobody = await api0.POST('/v1/admin/shoppers/{subject}/orders/rebuild', {
      params: { path: { subject: `guest:${crypto.randomUUID()}` } },
      body: {},
    });
    expect(nobody.response.status).toBe(404);

    const done = await ok('rebuild', rebuild({ dryRun: false }));
    expect(done.restore.map((x) => x.id)).toEqual([lost]);
    const restored = await ok('restored order', shopper.GET('/v1/orders/{id}', { params: { path: { id: lost } } }));
    expect(restored).toMatchObject({ id: lost, status: 'paid' });
    // Idempotent: run again, it restores nothing.
    const again = await ok('again', rebuild({ dryRun: false }));
    expect(again.restore).toEqual([]);
    expect(again.keep.map((k) => k.id).sort()).toEqual([kept, lost].sort());

    // The object lost writes to an order (Postgres has it newer: fulfilled): restored from the copy. An order the
    // object has newer than its copy is kept.
    await primary(`update orders set version = version + 5, status = 'fulfilled' where id = $1`, [kept]);
    await primary(
      `insert into order_events (order_id, seq, from_status, to_status, reason, at)
       values ($1, 99, 'paid', 'fulfilled', 'fulfilled by ops', now())`,
      [kept],
    );
    await primary('update orders set version = 1 where id = $1', [lost]);
    const newer = await ok('newer copy', rebuild({ dryRun: false }));
    expect(newer.restore).toEqual([expect.objectContaining({ id: kept, status: 'fulfilled' })]);
    expect(newer.keep).toEqual([{ id: lost, version: 3, copyVersion: 1 }]);
    expect(await ok('kept order', shopper.GET('/v1/orders/{id}', { params: { path: { id: kept } } }))).toMatchObject({
      status: 'fulfilled',
    });

    const audit = await ok(
      'audit',
      api0.GET('/v1/admin/audit', {
        params: { query: { action: 'orders.rebuild', targetType: 'shopper', targetId: subject } },
      }),
    );
    expect(audit.items.map((i) => i.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });
});
