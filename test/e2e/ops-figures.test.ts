// The ops figures against the whole stack: a known mix of traffic (product reads, 404s, carts started and
// abandoned, orders with known totals, checkout refusals) inside a window of whole minutes that starts after every
// earlier test file (e2e files run one after another, and a figure belongs to the minute its request arrived), and
// the ops API must report exactly those counts and sums, and latency percentiles no higher than the client measured.
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { testVars } from '../stack.config';
import {
  addToCart,
  adminToken,
  checkout,
  checkoutBody,
  freshSku,
  guestToken,
  pgOrderRows,
  shopperWith,
  waitForStatus,
} from './checkout-helpers';
import { api, client, eventually, merchantToken, ok, uniqueWord } from './helpers';

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
};

describe('ops figures', () => {
  it('admin only; a bad window is a 400 naming the problem', async () => {
    const admin = await adminToken();
    expect((await api('/v1/admin/ops/figures')).status).toBe(401);
    expect((await api('/v1/admin/ops/slo')).status).toBe(401);
    const merchant = { authorization: `Bearer ${await merchantToken()}` };
    expect((await api('/v1/admin/ops/figures', { headers: merchant })).status).toBe(403);
    expect((await api('/v1/admin/ops/slo', { headers: merchant })).status).toBe(403);
    const asAdmin = { authorization: `Bearer ${admin}` };
    for (const [query, names] of [
      ['minutes=0', 'minutes'],
      ['minutes=10081', 'minutes'],
      ['from=yesterday', 'from'],
      ['top=101', 'top'],
      ['route=x', 'route'],
      ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'before'],
      ['from=2026-01-01T00:00:00Z&minutes=5', 'either'],
      ['from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z', '7 days'],
    ] as const) {
      const res = await api(`/v1/admin/ops/figures?${query}`, { headers: asAdmin });
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe('VALIDATION_FAILED');
      expect(res.body.error.message, query).toContain(names);
    }
    expect((await api('/v1/admin/ops/slo?x=1', { headers: asAdmin })).status).toBe(400);
  });

  it('reports exactly the traffic sent in its window', { timeout: 180_000 }, async () => {
    const admin = await adminToken();
    const sku = await freshSku(100, 1234);
    const otherSku = await freshSku(100, 500);
    const list = await ok('list', client().GET('/v1/products', { params: { query: { limit: 1 } } }));
    const slug = list.items[0]!.slug;

    // Start at a fresh minute: every earlier request belongs to an earlier one.
    const from = Math.ceil((Date.now() + 1) / 60_000) * 60_000;
    await new Promise((r) => setTimeout(r, from - Date.now() + 50));

    // 30 reads of one product (a few concurrent; the last three revalidate with the ETag they were given, the
    // browser tier), 7 reads of products that do not exist.
    const readMs: number[] = [];
    const cacheSeen = { hits: 0, lookups: 0 };
    let etag = '';
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 3 }, async () => {
          const started = performance.now();
          const headers = batch === 9 ? { 'if-none-match': etag } : {};
          const res = await client().GET('/v1/products/{slug}', { params: { path: { slug } }, headers });
          readMs.push(performance.now() - started);
          expect(res.response.status).toBe(batch === 9 ? 304 : 200);
          etag = res.response.headers.get('etag') ?? '';
          const cache = res.response.headers.get('x-cache');
          cacheSeen.lookups++;
          if (cache === 'HIT' || cache === 'STALE') cacheSeen.hits++;
        }),
      );
    }
    for (let i = 0; i < 7; i++) {
      const res = await client().GET('/v1/products/{slug}', { params: { path: { slug: `no-such-product-${i}` } } });
      expect(res.response.status).toBe(404);
    }

    // Five carts started: three check out (1, 2 and 3 units), two are abandoned; one more add to a started cart.
    const shoppers = await Promise.all(Array.from({ length: 5 }, () => guestToken()));
    for (const [i, token] of shoppers.entries()) await addToCart(token, sku, i < 3 ? i + 1 : 1);
    await addToCart(shoppers[4]!, otherSku, 1);
    const totals: number[] = [];
    const orderIds: string[] = [];
    for (const token of shoppers.slice(0, 3)) {
      const accepted = await ok('checkout', checkout(token));
      totals.push(accepted.totals.total.amount);
      orderIds.push(accepted.orderId);
      await waitForStatus(token, accepted.orderId, 'paid');
    }
    // Two refusals: an empty cart (a new guest's) and a body without a valid email.
    const empty = await checkout(await guestToken());
    expect(empty.response.status).toBe(422);
    const invalid = await checkout(shoppers[3]!, { ...checkoutBody(), email: 'not an email' });
    expect(invalid.response.status).toBe(400);
    await eventually('orders paid in Postgres', async () => {
      const rows = await pgOrderRows(orderIds);
      return rows.length === 3 && rows.every((r) => r.status === 'paid');
    });

    const asAdmin = client(admin);
    const figures = await eventually(
      'figures flushed and the orders on the replica',
      async () => {
        const f = await ok(
          'figures',
          asAdmin.GET('/v1/admin/ops/figures', { params: { query: { from: new Date(from).toISOString() } } }),
        );
        // Every request of the mix flushed (the last ones may still be in the isolate for FIGURES_FLUSH_MS) and
        // every order copied: the counts are then asserted exactly below.
        const count = (route: string) => f.requests.routes.find((r) => r.route === route)?.requests;
        const all =
          count('GET /v1/products/:slug') === 37 &&
          count('POST /v1/cart/items') === 6 &&
          count('POST /v1/checkout') === 5;
        return all && f.business.orders.paid === 3 ? f : false;
      },
      15_000,
      250,
    );

    expect(figures.window.from).toBe(new Date(from).toISOString());
    const reads = figures.requests.routes.find((r) => r.route === 'GET /v1/products/:slug')!;
    expect(reads).toMatchObject({ requests: 37, status4xx: 7, status5xx: 0, rate4xx: Number((7 / 37).toFixed(6)) });
    // The gateway's time for a request is within the client's: each percentile at most the client's, plus the
    // histogram's 2% (bucket 0 stands for 1 ms).
    const all = [...readMs];
    for (const [q, got] of [
      [0.5, reads.p50],
      [0.95, reads.p95],
      [0.99, reads.p99],
    ] as const) {
      expect(got, `p${q * 100}`).not.toBeNull();
      expect(got!, `p${q * 100}`).toBeLessThanOrEqual(Math.max(1, quantile(all, q) * 1.02));
    }
    expect(reads.p50!).toBeLessThanOrEqual(reads.p95!);
    expect(reads.p95!).toBeLessThanOrEqual(reads.p99!);
    expect(figures.requests.cache).toMatchObject({ hits: cacheSeen.hits, lookups: 30 });
    // Every read counted at the tier that answered it: three 304s, at least the first from Postgres.
    const tiers = figures.requests.cache.tiers;
    expect(tiers.map((t) => t.tier)).toEqual(['browser', 'memo', 'memory', 'cache-api', 'shared', 'origin']);
    expect(tiers[0]).toEqual({ tier: 'browser', hits: 3, reached: 30, hitRatio: 0.1 });
    expect(tiers.reduce((n, t) => n + t.hits, 0)).toBe(30);
    expect(tiers.find((t) => t.tier === 'origin')!.hits).toBeGreaterThanOrEqual(1);
    expect(figures.requests.rateLimited.count).toBe(0);

    const adds = figures.requests.routes.find((r) => r.route === 'POST /v1/cart/items')!;
    expect(adds.requests).toBe(6);
    expect(figures.requests.cartsStarted).toBe(5);
    const checkouts = figures.requests.routes.find((r) => r.route === 'POST /v1/checkout')!;
    expect(checkouts).toMatchObject({ requests: 5, status4xx: 2, status5xx: 0 });
    const refusals = figures.requests.refusals.filter((r) => r.route === 'POST /v1/checkout');
    expect(refusals).toEqual(
      expect.arrayContaining([
        { route: 'POST /v1/checkout', status: 422, code: 'CART_EMPTY', count: 1 },
        { route: 'POST /v1/checkout', status: 400, code: 'VALIDATION_FAILED', count: 1 },
      ]),
    );
    expect(refusals).toHaveLength(2);
    expect(figures.requests.refusals).toContainEqual({
      route: 'GET /v1/products/:slug',
      status: 404,
      code: 'NOT_FOUND',
      count: 7,
    });
    expect(figures.requests.minutes.reduce((s, m) => s + m.requests, 0)).toBe(figures.requests.total.requests);

    const revenue = totals.reduce((s, t) => s + t, 0);
    expect(figures.business.orders).toMatchObject({ accepted: 3, paid: 3 });
    expect(figures.business.orders.perMinute.reduce((s, m) => s + m.accepted, 0)).toBe(3);
    expect(figures.business.revenue.byCurrency).toEqual([{ currency: 'USD', amount: revenue, orders: 3 }]);
    expect(figures.business.revenue.perHour.reduce((s, h) => s + h.amount, 0)).toBe(revenue);
    expect(figures.business.hottestSkus[0]).toMatchObject({ sku, units: 6, orders: 3, currency: 'USD' });
    // Read from MetricsDO `breakers` (counted in test/workers/slow-queries.worker.test.ts): none of this mix is slow.
    expect(figures.slowQueries).toEqual({ total: expect.any(Number), perMinute: expect.any(Array) });
    expect(figures.funnel).toEqual({
      cartsStarted: 5,
      ordersAccepted: 3,
      ordersPaid: 3,
      conversionRate: 0.6,
      abandonmentRate: 0.4,
    });
    expect(figures.business.replica.configured).toBe(true);
    expect(figures.business.replica.lagBytes).toBeGreaterThanOrEqual(0);
    expect(figures.business.deadLetters.waiting).toBeGreaterThanOrEqual(0);

    const slo = await ok('slo', asAdmin.GET('/v1/admin/ops/slo'));
    expect(slo.journeys.map((j) => j.name)).toEqual(['catalog read', 'add to cart', 'checkout accepted', 'order paid']);
    const catalog = slo.journeys[0]!;
    // The last 5 minutes hold at least this test's 37 reads; none of them was a 5xx.
    expect(catalog.availability.burn.map((b) => b.window)).toEqual(['5m', '1h']);
    expect(catalog.availability.burn[0]!.total).toBeGreaterThanOrEqual(37);
    expect(slo.journeys[2]!.availability.burn[0]!.total).toBeGreaterThanOrEqual(5);
    for (const j of slo.journeys) expect(j.availability.budgetRemaining).toBeLessThanOrEqual(1);
  });

  it('counts an order copy the consumer has not confirmed until it lands', { timeout: 150_000 }, async () => {
    const asAdmin = client(await adminToken());
    const outbox = async () =>
      (await ok('figures', asAdmin.GET('/v1/admin/ops/figures', { params: { query: { minutes: 1 } } }))).business
        .outbox;
    // The outbox counts every object's copies; earlier tests' copies are confirmed within seconds, and a count that
    // moves under this test would hide its own copy, so start from a drained outbox.
    const before = await eventually(
      'earlier copies confirmed',
      async () => {
        const o = await outbox();
        return o.copies === 0 ? o : false;
      },
      60_000,
      500,
    );
    // The test stack loses the first send of each copy of this shopper's orders (FAULT_LOSE_ORDER_COPIES_OF): the
    // OrdersDO keeps the copy as a task until the consumer confirms it, ORDERS_CONFIRM_SECONDS later at the soonest.
    const sku = await freshSku(5);
    const token = await shopperWith(sku, 1);
    const r = await checkout(token, checkoutBody('pm_card_visa', { email: testVars.FAULT_LOSE_ORDER_COPIES_OF }));
    expect(r.response.status).toBe(202);
    const waiting = await eventually(
      'the unconfirmed copy reported',
      async () => {
        const o = await outbox();
        return o.copies >= before.copies + 1 && o.objects >= 1 ? o : false;
      },
      10_000,
      250,
    );
    expect(waiting.pending).toBeGreaterThanOrEqual(waiting.copies);
    // The objects report their next due task (the copy's recheck, the order's expiry): `outbox-stuck` reads it.
    expect(waiting.oldestDueAt).not.toBeNull();
    // Sent again, written, confirmed: the object reports its copy gone.
    await eventually(
      'the paid order in Postgres',
      async () => (await pgOrderRows([r.data!.orderId]))[0]?.status === 'paid',
      (Number(testVars.ORDERS_CONFIRM_SECONDS) + 40) * 1000,
      500,
    );
    await eventually(
      'the copy no longer counted',
      async () => (await outbox()).copies <= waiting.copies - 1,
      10_000,
      250,
    );
  });

  it('counts a slow query of the admin worker in slowQueries', { timeout: 60_000 }, async () => {
    const merchant = client(await merchantToken());
    const slug = uniqueWord('slowq');
    await ok('category', merchant.POST('/v1/admin/categories', { body: { slug, name: 'Slow', parent: null } }));
    const asAdmin = client(await adminToken());
    const adminSlow = async () => {
      const f = await ok('figures', asAdmin.GET('/v1/admin/ops/figures', { params: { query: { minutes: 5 } } }));
      return (f.slowQueries?.perMinute ?? []).filter((m) => m.worker === 'admin').reduce((n, m) => n + m.count, 0);
    };
    const before = await adminSlow();
    // The category's row is locked from outside for 900 ms: the admin's update waits for it, so its query is
    // answered after SLOW_QUERY_MS (500) and counted; it still succeeds within DB_TIMEOUT_MS.
    const holder = new pg.Client({ connectionString: inject('databaseUrl'), connectionTimeoutMillis: 3000 });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from categories where slug = $1 for update', [slug]);
      const patch = merchant.PATCH('/v1/admin/categories/{slug}', {
        params: { path: { slug } },
        body: { name: 'Slow, renamed' },
      });
      await new Promise((r) => setTimeout(r, 900));
      await holder.query('commit');
      expect((await patch).response.status).toBe(200);
    } finally {
      await holder.end();
    }
    // Pushed in the background to MetricsDO `breakers` (at most every 5 s), then read by the ops API.
    await eventually(
      "the admin worker's slow query counted",
      async () => (await adminSlow()) >= before + 1,
      20_000,
      500,
    );
  });
});
