// Archival end to end (issue 14, docs/runbook.md#archival): refunded orders, a fulfilled order past its refund window
// (ARCHIVE_REFUND_WINDOW_DAYS) and stock events made old in Postgres (their times moved back two years) leave the hot tables for gzip NDJSON objects in R2 when an admin runs archival;
// the batches' manifests count exactly the rows that left; the merchant still reads the archived order (marked
// archived); an order that can still change stays; the daily Cron Trigger's run then moves nothing. Only this
// file's rows are ever old in the test stack, so the run's counts are this file's.
import zlib from 'node:zlib';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { archiveChecks, localArchiveReader } from '../../dev/backup/archive-check';
import { adminOrder, adminToken, copied, merchantToken, paidOrder, refund } from './admin-orders-helpers';
import { adjustStock, freshSku } from './checkout-helpers';
import { client, eventually, gateway, primary, replica, replicaEu } from './helpers';

const OLD = `interval '2 years'`;

async function refundedOrder() {
  const o = await paidOrder(1, { price: 1800 });
  const r = await refund(o.orderId, {});
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  await copied(o.orderId, 'refunded');
  return o;
}

/** A paid order the merchant fulfilled, copied as fulfilled. */
async function fulfilledOrder() {
  const o = await paidOrder(1, { price: 1700 });
  const f = await client(await merchantToken()).POST('/v1/admin/orders/{id}/fulfillment', {
    params: { path: { id: o.orderId } },
    body: { carrier: 'UPS', trackingNumber: '1Z999AA10123456784' },
  });
  expect(f.response.status, JSON.stringify(f.error)).toBe(200);
  await copied(o.orderId, 'fulfilled');
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
    const [a, b, open, shipped] = await Promise.all([refundedOrder(), refundedOrder(), paidOrder(1), fulfilledOrder()]);
    // A SKU whose oldest ledger events its InventoryDO has let go (the test stack keeps 5): only Postgres has them.
    const ledgerSku = await freshSku(10);
    for (let i = 0; i < 7; i++) expect((await adjustStock(ledgerSku, 1)).response.status).toBe(200);
    const ids = [a.orderId, b.orderId, shipped.orderId];
    const skus = [a.sku, b.sku, open.sku, shipped.sku, ledgerSku];
    const ledger = async (query: Record<string, unknown>) => {
      const r = await client(await merchantToken()).GET('/v1/admin/inventory/{sku}/events', {
        params: { path: { sku: ledgerSku }, query: query as never },
      });
      expect(r.response.status, JSON.stringify(r.error)).toBe(200);
      return r.data!;
    };
    const [{ n: ledgerEvents }] = await eventually(
      'the ledger copied (the object then lets go of all but its newest 5, in the same alarm run)',
      async () => {
        // Up to the object's newest event (a SKU's first events can take more than one alarm run to copy).
        const newest = (await ledger({ limit: 1 })).events[0]?.seq ?? 0;
        const rows = await primary(
          'select count(*)::int as n, max(seq)::int as top from inventory_events where sku = $1',
          [ledgerSku],
        );
        return rows[0].n === rows[0].top && rows[0].n >= 8 && rows[0].top === newest ? rows : false;
      },
      10_000,
    );
    // Every stock event of these SKUs copied to Postgres before they are made old (the objects copy from an alarm).
    await eventually('stock events copied', async () => {
      const [r] = await primary('select count(distinct sku)::int as n from inventory_events where sku = any($1)', [
        skus,
      ]);
      return r.n === 5;
    });
    // Made old (and unchanged since): the paid order too, which can still be fulfilled and so stays.
    await primary(
      `update orders set created_at = created_at - ${OLD}, updated_at = updated_at - ${OLD} where id = any($1)`,
      [[...ids, open.orderId]],
    );
    await primary(`update order_events set at = at - ${OLD} where order_id = any($1)`, [ids]);
    await primary(`update inventory_events set at = at - ${OLD} where sku = any($1)`, [skus]);
    const before = await rowsOf(ids, skus);
    expect(before).toMatchObject({ orders: 3, orderLines: 3, payments: 3 });
    expect(before.orderEvents).toBeGreaterThanOrEqual(6);
    expect(before.stockEvents).toBeGreaterThanOrEqual(4);

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
    expect(Date.parse(run.data!.closedCutoff)).toBeLessThanOrEqual(Date.parse(run.data!.cutoff));

    // The hot tables lost exactly those rows (the fulfilled order's window has passed: it is closed); the order that
    // can still change (paid, not fulfilled) stayed.
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
      [shipped.sku, 1],
      [ledgerSku, 0],
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

    // The merchant's order list: hot orders only, unless archived ones are asked for; then both, newest first, in
    // keyset pages, under the same filters (only this file's orders are two years old in the test stack).
    const window = {
      from: new Date(Date.now() - 3 * 365 * 86_400_000).toISOString(),
      to: new Date(Date.now() - 365 * 86_400_000).toISOString(),
    };
    await eventually('the archive on both replicas', async () => {
      const q = 'select count(*)::int as n from order_archive where order_id = any($1)';
      return (await replica(q, [ids]))[0].n === 3 && (await replicaEu(q, [ids]))[0].n === 3;
    });
    const hotOnly = await merchant.GET('/v1/admin/orders', { params: { query: { ...window } } });
    expect(hotOnly.data!.orders.map((o) => [o.id, o.archived])).toEqual([[open.orderId, false]]);
    const seen: [string, boolean][] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await merchant.GET('/v1/admin/orders', {
        params: { query: { ...window, include: 'archived', limit: 2, ...(cursor ? { cursor } : {}) } },
      });
      expect(page.response.status, JSON.stringify(page.error)).toBe(200);
      seen.push(...page.data!.orders.map((o) => [o.id, o.archived] as [string, boolean]));
      cursor = page.data!.nextCursor ?? undefined;
      if (!cursor) break;
    }
    expect(new Map(seen)).toEqual(
      new Map([
        [a.orderId, true],
        [b.orderId, true],
        [shipped.orderId, true],
        [open.orderId, false],
      ]),
    );
    expect(seen).toHaveLength(4);
    const bySku = await merchant.GET('/v1/admin/orders', {
      params: { query: { sku: shipped.sku, include: 'archived' } },
    });
    expect(bySku.data!.orders).toEqual([
      expect.objectContaining({
        id: shipped.orderId,
        archived: true,
        status: 'fulfilled',
        lines: 1,
        total: { amount: shipped.total, currency: expect.any(String) },
      }),
    ]);
    expect((await merchant.GET('/v1/admin/orders', { params: { query: { sku: shipped.sku } } })).data!.orders).toEqual(
      [],
    );
    expect(
      (await merchant.GET('/v1/admin/orders', { params: { query: { include: 'everything' as never } } })).response
        .status,
    ).toBe(400);

    // The stock ledger: the hot one ends where the object's kept events end (Postgres' older ones left); with
    // include=archived it goes on with the archived ones, from R2, in the same seq pages, every event once.
    const hotLedger = (await ledger({ limit: 200 })).events;
    expect(hotLedger.at(-1)!.seq).toBeGreaterThan(1);
    expect(hotLedger.every((e) => !e.archived)).toBe(true);
    const paged: { seq: number; archived?: boolean }[] = [];
    let at: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await ledger({ include: 'archived', limit: 3, ...(at ? { cursor: at } : {}) });
      paged.push(...page.events);
      at = page.nextCursor ?? undefined;
      if (!at) break;
    }
    expect(paged.map((e) => e.seq)).toEqual(Array.from({ length: ledgerEvents }, (_, i) => ledgerEvents - i));
    expect(paged.filter((e) => e.archived).map((e) => e.seq)).toEqual(
      paged.map((e) => e.seq).filter((seq) => seq < hotLedger.at(-1)!.seq),
    );
    const adjustments = await ledger({ include: 'archived', kind: 'adjust', limit: 50 });
    expect(adjustments.events.map((e) => e.kind)).toEqual(Array(7).fill('adjust'));

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
    expect((await adminOrder(shipped.orderId)).data).toMatchObject({ archived: true, status: 'fulfilled' });
  });
});

describe('a copy racing an archive commit', () => {
  it('never brings the archived order or stock event back into the hot tables (migration 0017)', async () => {
    const id = `ord_race${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const sku = `RACE-${id.slice(-10).toUpperCase()}`;
    const event = `insert into inventory_events (sku, seq, kind, delta, actor_type, actor_id, on_hand, held, sold, available, at)
       values ($1, 1, 'adjust', 1, 'system', 'race', 1, 0, 0, 1, now() - ${OLD}) on conflict (sku, seq) do nothing`;
    await primary(event, [sku]);
    await primary(
      `insert into orders (id, version, owner_sub, owner_role, email, status, currency, subtotal, shipping, tax, total,
         tax_rate_bps, shipping_method, shipping_address, hold_expires_at, created_at, updated_at)
       values ($1, 1, 'guest:race', 'guest', 'race@example.test', 'refunded', 'USD', 900, 0, 0, 900, 0, 'standard',
         '{}', now(), now() - ${OLD}, now() - ${OLD})`,
      [id],
    );
    await primary(
      `insert into order_lines (order_id, sku, title, quantity, unit_amount, line_total) values ($1, 'RACE-1', 'R', 1, 900, 900)`,
      [id],
    );
    await primary(
      `insert into payments (order_id, provider, intent_id, status, amount, refunded_amount, updated_at)
       values ($1, 'stripe', null, 'refunded', 900, 900, now())`,
      [id],
    );
    await primary(
      `insert into order_events (order_id, seq, from_status, to_status, reason, at)
       values ($1, 1, 'canceled', 'refunded', 'race', now())`,
      [id],
    );
    const [batch] = await primary(
      `insert into archive_batches (state, cutoff, orders, stock_events)
       values ('pending', now(), jsonb_build_array(jsonb_build_array($1::text, 1)),
         jsonb_build_array(jsonb_build_array($2::text, 1))) returning id::int as id`,
      [id, sku],
    );
    const archiver = new pg.Client({ connectionString: inject('databaseUrl') });
    const copier = new pg.Client({ connectionString: inject('databaseUrl') });
    const eventCopier = new pg.Client({ connectionString: inject('databaseUrl') });
    await Promise.all([archiver.connect(), copier.connect(), eventCopier.connect()]);
    try {
      // The commit runs (its transaction open), then the order's OrdersDO copy of a newer version arrives.
      await archiver.query('begin');
      const expected = { orders: 1, orderLines: 1, payments: 1, orderEvents: 1, stockEvents: 1 };
      const done = await archiver.query('select archive_batch_commit($1, $2::jsonb, $3::jsonb) as r', [
        batch.id,
        JSON.stringify(expected),
        '{}',
      ]);
      expect(done.rows[0].r).toBe('archived');
      const pids = [
        (await copier.query('select pg_backend_pid() as p')).rows[0].p,
        (await eventCopier.query('select pg_backend_pid() as p')).rows[0].p,
      ];
      // And the InventoryDO's copy of the same event again (durable-objects/inventory/copies.ts).
      const eventCopy = eventCopier.query(event, [sku]);
      // The consumer's upsert (workers/checkout/src/orders.consumer.ts): newest version wins.
      const copy = copier.query(
        `insert into orders (id, version, owner_sub, owner_role, email, status, currency, subtotal, shipping, tax, total,
           tax_rate_bps, shipping_method, shipping_address, hold_expires_at, created_at, updated_at)
         values ($1, 2, 'guest:race', 'guest', 'race@example.test', 'refunded', 'USD', 900, 0, 0, 900, 0, 'standard',
           '{}', now(), now() - ${OLD}, now())
         on conflict (id) do update set version = excluded.version, updated_at = excluded.updated_at
           where orders.version < excluded.version`,
        [id],
      );
      await eventually(
        'both copies waiting for the commit',
        async () =>
          (
            await primary(
              `select count(*)::int as n from pg_stat_activity where pid = any($1) and wait_event_type = 'Lock'`,
              [pids],
            )
          )[0].n === 2,
        5000,
        20,
      );
      await archiver.query('commit');
      await Promise.all([copy, eventCopy]);
      expect(await primary('select id from orders where id = $1', [id])).toEqual([]);
      expect(await primary('select seq from inventory_events where sku = $1', [sku])).toEqual([]);
      expect(await primary('select batch_id::int as b from order_archive where order_id = $1', [id])).toEqual([
        { b: batch.id },
      ]);
    } finally {
      await archiver.query('rollback').catch(() => {});
      await Promise.all([archiver.end(), copier.end(), eventCopier.end()]);
      // This batch has no object in R2 (it was committed by hand): it leaves no trace for the drill's checks.
      await primary('delete from order_archive where order_id = $1', [id]);
      await primary('delete from orders where id = $1', [id]);
      await primary('delete from inventory_event_archive where batch_id = $1', [batch.id]);
      await primary('delete from inventory_archive where sku = $1', [sku]);
      await primary('delete from inventory_events where sku = $1', [sku]);
      await primary('delete from archive_batches where id = $1', [batch.id]);
    }
  });
});

describe('an archive commit behind a stuck copy', () => {
  it('gives up after its lock timeout (migration 0020) and deletes nothing; the batch stays pending', async () => {
    const id = `ord_stuck${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const [batch] = await primary(
      `insert into archive_batches (state, cutoff, orders, stock_events)
       values ('pending', now(), jsonb_build_array(jsonb_build_array($1::text, 1)), '[]'::jsonb)
       returning id::int as id`,
      [id],
    );
    const copier = new pg.Client({ connectionString: inject('databaseUrl') });
    const archiver = new pg.Client({ connectionString: inject('databaseUrl') });
    await Promise.all([copier.connect(), archiver.connect()]);
    try {
      // A copy of the order being written and stuck before its commit: it holds the order's archive lock (0017).
      await copier.query('begin');
      await copier.query('select pg_advisory_xact_lock_shared(1401, hashtext($1))', [id]);
      const expected = { orders: 0, orderLines: 0, payments: 0, orderEvents: 0, stockEvents: 0 };
      const err = await archiver
        .query('select archive_batch_commit($1, $2::jsonb, $3::jsonb) as r', [batch.id, JSON.stringify(expected), '{}'])
        .then(
          () => null,
          (e: { code?: string }) => e,
        );
      expect(err?.code).toBe('55P03'); // lock_not_available: it waited lock_timeout, not for good
      expect(await primary('select state from archive_batches where id = $1', [batch.id])).toEqual([
        { state: 'pending' },
      ]);
    } finally {
      await copier.query('rollback').catch(() => {});
      await Promise.all([copier.end(), archiver.end()]);
      await primary('delete from archive_batches where id = $1', [batch.id]);
    }
  }, 30_000);
});
