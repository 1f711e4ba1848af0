// Archival end to end (issue 14, docs/runbook.md#archival): refunded orders and stock events made old in Postgres
// (their times moved back two years) leave the hot tables for gzip NDJSON objects in R2 when an admin runs archival;
// the batches' manifests count exactly the rows that left; the merchant still reads the archived order (marked
// archived); an order that can still change stays; the daily Cron Trigger's run then moves nothing. Only this
// file's rows are ever old in the test stack, so the run's counts are this file's.
import zlib from 'node:zlib';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { archiveChecks, localArchiveReader } from '../../dev/backup/archive-check';
import { adminOrder, adminToken, copied, merchantToken, paidOrder, refund } from './admin-orders-helpers';
import { client, eventually, gateway, primary } from './helpers';

const OLD = `interval '2 years'`;

async function refundedOrder() {
  const o = await paidOrder(1, { price: 1800 });
  const r = await refund(o.orderId, {});
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  await copied(o.orderId, 'refunded');
  return o;
}

const rowsOf = async (ids: string[], skus: string[]) => {
  const [r] = await primary(
    `select (select count(*) from orders where id = any($1))::int as orders,
            (select count(*) from order_lines where order_id = any($1))::int as "orderLines",
            (select count(*) from payments where order_id = any($1))::int as payments,
            (select count(*) from order_events where order_id = any($1))::int as "orderEvents",
            (select count(*) from inventory_events where sku = any($2) and at < now() - interval '1 year')::int
              as "stockEvents"`,
    [ids, skus],
  );
  return r as Record<'orders' | 'orderLines' | 'payments' | 'orderEvents' | 'stockEvents', number>;
};

describe('archival', () => {
  it('moves old refunded orders and old stock events to R2, keeps them readable, and moves nothing twice', async () => {
    const [a, b, open] = await Promise.all([refundedOrder(), refundedOrder(), paidOrder(1)]);
    const ids = [a.orderId, b.orderId];
    const skus = [a.sku, b.sku, open.sku];
    // Every stock event of these SKUs copied to Postgres before they are made old (the objects copy from an alarm).
    await eventually('stock events copied', async () => {
      const [r] = await primary('select count(distinct sku)::int as n from inventory_events where sku = any($1)', [
        skus,
      ]);
      return r.n === 3;
    });
    await primary(`update orders set created_at = created_at - ${OLD} where id = any($1)`, [[...ids, open.orderId]]);
    await primary(`update order_events set at = at - ${OLD} where order_id = any($1)`, [ids]);
    await primary(`update inventory_events set at = at - ${OLD} where sku = any($1)`, [skus]);
    const before = await rowsOf(ids, skus);
    expect(before).toMatchObject({ orders: 2, orderLines: 2, payments: 2 });
    expect(before.orderEvents).toBeGreaterThanOrEqual(4);
    expect(before.stockEvents).toBeGreaterThanOrEqual(3);

    // Merchants may not run it; bad queries are refused.
    const merchant = client(await merchantToken());
    expect((await merchant.POST('/v1/admin/archive/runs')).response.status).toBe(403);
    for (const query of [{ limit: 0 }, { cursor: 'abc' }, { limit: 101 }])
      expect((await merchant.GET('/v1/admin/archive/batches', { params: { query } })).response.status).toBe(400);

    const admin = client(await adminToken());
    const run = await admin.POST('/v1/admin/archive/runs');
    expect(run.response.status, JSON.stringify(run.error)).toBe(200);
    expect(run.data!.more).toBe(false);
    expect(run.data!.moved).toEqual(before);

    // The hot tables lost exactly those rows; the order that can still change (paid) stayed.
    expect(await rowsOf(ids, skus)).toEqual({ orders: 0, orderLines: 0, payments: 0, orderEvents: 0, stockEvents: 0 });
    expect(await primary('select status from orders where id = $1', [open.orderId])).toEqual([{ status: 'paid' }]);
    // The units those orders sold are kept per SKU for the InventoryDO rebuild (their lines are gone), with the
    // highest archived seq of each SKU's ledger.
    const kept = await primary(
      `select sku, sold_units::int as units, max_seq::int as seq from inventory_archive where sku = any($1) order by sku`,
      [skus],
    );
    const units = new Map([
      [a.sku, 1],
      [b.sku, 1],
      [open.sku, 0], // its events were archived; its paid order was not
    ]);
    expect(new Map(kept.map((k) => [k.sku, k.units]))).toEqual(units);
    expect(kept.every((k) => k.seq >= 1)).toBe(true);
    // A late copy of an archived order or stock event (a resent version, a replayed dead letter) stays out.
    const late = await primary(
      `insert into orders (id, version, owner_sub, owner_role, email, status, currency, subtotal, shipping, tax, total,
         tax_rate_bps, shipping_method, shipping_address, hold_expires_at, created_at, updated_at)
       values ($1, 99, 'x', 'guest', 'x@example.com', 'refunded', 'USD', 0, 0, 0, 0, 0, 'standard', '{}', now(), now(),
         now()) returning id`,
      [a.orderId],
    );
    expect(late).toEqual([]);
    expect(
      await primary(
        `insert into order_events (order_id, seq, from_status, to_status, reason, at)
         values ($1, 99, 'paid', 'refunded', 'late', now()) returning order_id`,
        [a.orderId],
      ),
    ).toEqual([]);
    const seq = kept.find((k) => k.sku === a.sku)!.seq;
    expect(
      await primary(
        `insert into inventory_events (sku, seq, kind, delta, actor_type, actor_id, on_hand, held, sold, available, at)
         values ($1, $2, 'adjust', 0, 'system', 'late', 0, 0, 0, 0, now()) returning seq`,
        [a.sku, seq],
      ),
    ).toEqual([]);
    // So a rebuild of a SKU whose orders are archived still counts their units sold: the dry run changes no level
    // (only the settled order's own sold hold is not recreated: nothing can refund it any more).
    const dry = await admin.POST('/v1/admin/inventory/{sku}/rebuild', {
      params: { path: { sku: a.sku } },
      body: { dryRun: true },
    });
    expect(dry.response.status, JSON.stringify(dry.error)).toBe(200);
    expect(dry.data).toMatchObject({ current: { sold: 1 }, plan: { sold: 1 } });
    expect(dry.data!.diff).toEqual([{ field: 'soldHolds', from: 1, to: 0 }]);

    // The batches and their manifests, as merchants list them.
    const listed = await merchant.GET('/v1/admin/archive/batches', { params: { query: { limit: 100 } } });
    expect(listed.response.status).toBe(200);
    const mine = listed.data!.batches.filter((x) => run.data!.batches.some((r) => r.batchId === x.batchId));
    expect(mine.map((x) => x.manifest)).toEqual(run.data!.batches);
    for (const { manifest } of mine) {
      expect(manifest).toMatchObject({ format: 'ndjson+gzip', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(manifest.key).toBe(`archive/batches/${String(manifest.batchId).padStart(12, '0')}/rows.ndjson.gz`);
      expect(manifest.compressedBytes).toBeLessThan(manifest.bytes);
      expect(Date.parse(manifest.range.orders!.to)).toBeLessThan(Date.parse(run.data!.cutoff));
    }

    // The restore drill's archive checks (dev/backup/archive-check.ts) read the objects wrangler dev wrote to its
    // local R2: whole, as their manifests say; the row counts as hot + archived. A missing or altered object fails.
    const reader = await localArchiveReader(inject('wranglerState'));
    const pc = new pg.Client({ connectionString: inject('databaseUrl') });
    await pc.connect();
    try {
      const checks = await archiveChecks(pc, reader);
      expect(
        checks.map((x) => [x.name, x.ok]),
        JSON.stringify(checks),
      ).toEqual([
        ['archive objects', true],
        ['hot + archived rows', true],
      ]);
      expect(checks[1]!.detail).toContain(`order_lines`);
      const key = run.data!.batches[0]!.key;
      const missing = await archiveChecks(pc, { get: async (k) => (k === key ? null : reader.get(k)) });
      expect(missing[0]).toMatchObject({ ok: false, detail: expect.stringContaining(`${key} missing`) });
      const altered = await archiveChecks(pc, {
        get: async (k) => {
          const body = await reader.get(k);
          if (k !== key || !body) return body;
          return zlib.gzipSync(zlib.gunzipSync(body).toString('utf8').replace('"refunded"', '"paid"'));
        },
      });
      expect(altered[0]).toMatchObject({ ok: false, detail: expect.stringContaining('SHA-256') });
    } finally {
      await pc.end();
      await reader.close();
    }

    // The merchant still reads the archived order, from R2, and it says so.
    const read = await adminOrder(a.orderId);
    expect(read.response.status, JSON.stringify(read.error)).toBe(200);
    expect(read.data).toMatchObject({
      id: a.orderId,
      status: 'refunded',
      archived: true,
      archive: { batchId: expect.any(Number) },
      lines: [{ sku: a.sku, quantity: 1, unitPrice: { amount: 1800 } }],
      totals: { total: { amount: a.total } },
      payment: { paymentIntentId: a.intentId, refunded: { amount: a.total } },
    });
    expect(read.data!.history.at(-1)).toMatchObject({ to: 'refunded' });
    const live = await adminOrder(open.orderId);
    expect(live.data).toMatchObject({ status: 'paid', archived: false, archive: null });
    expect((await adminOrder('ord_zzzzzzzzzzzzzzzz')).response.status).toBe(404);

    // The daily Cron Trigger runs it again: nothing is left to move, and the run is audited.
    const batches = await primary('select count(*)::int as n from archive_batches');
    const cron = await fetch(`${gateway()}/__scheduled?cron=41+3+*+*+*`, { signal: AbortSignal.timeout(30_000) });
    expect(cron.status).toBe(200);
    expect(await primary('select count(*)::int as n from archive_batches')).toEqual(batches);
    const [entry] = await primary(
      `select after from audit_log where actor_sub = 'cron:archive' and action = 'archive.run' order by id desc limit 1`,
    );
    expect(entry.after).toMatchObject({
      moved: { orders: 0, orderLines: 0, payments: 0, orderEvents: 0, stockEvents: 0 },
      more: false,
    });
    expect((await adminOrder(b.orderId)).data).toMatchObject({ archived: true, status: 'refunded' });
  });
});
