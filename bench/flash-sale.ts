// The flash sale: `BENCH_FLASH_SHOPPERS` guests each hold 1 unit of one SKU in their cart and check out at the
// same moment for `BENCH_FLASH_UNITS` units (pm_card_visa), `BENCH_FLASH_CONCURRENCY` at a time. Measures
// accepted orders per second over the burst, p50/p99 of the checkout answer, and the oversell count from the
// live stock, the orders and (after the webhooks and the queue) Postgres, which must be 0. Bounded: one checkout
// per shopper, and at most 60 s of waiting for the webhooks and the Queue. Every call goes through the typed client.
import { sql as pgSql } from '../dev/sql';
import type { Stack } from '../dev/stack';
import { apiOf, log, ok } from './setup';

const flashShoppers = Number(process.env.BENCH_FLASH_SHOPPERS ?? 300);
// Checkouts in flight at once (wrangler dev's local proxy drops connections well before production would).
const flashConcurrency = Number(process.env.BENCH_FLASH_CONCURRENCY ?? 100);
const flashUnits = Number(process.env.BENCH_FLASH_UNITS ?? 25);

export interface FlashResult {
  shoppers: number;
  units: number;
  accepted: number;
  refused: number;
  other: number;
  seconds: number;
  allSeconds: number;
  p50: number;
  p99: number;
  oversold: number;
  paid: number;
  inPostgres: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
// One /64 per shopper, as distinct subscribers have: the stock caps count a whole IPv6 /64 as one network.
const shopperIp = (n: number) => `2001:db8:3:${n.toString(16)}::1`;

/** One SKU with exactly `flashUnits` on hand and nothing held or sold. */
async function saleSku(s: Stack): Promise<string> {
  const { email, password } = s.accounts.find((a) => a.role === 'merchant')!;
  const merchant = (await ok('merchant login', () => apiOf(s).POST('/v1/auth/login', { body: { email, password } })))
    .accessToken;
  const query = { category: 'footwear', limit: 1, sort: 'price_desc' } as const;
  const list = await ok('product list', () => apiOf(s).GET('/v1/products', { params: { query } }));
  const slug = list.items[0]!.slug;
  const product = await ok('product', () => apiOf(s).GET('/v1/products/{slug}', { params: { path: { slug } } }));
  const sku = product.variants.at(-1)!.sku;
  const put = await apiOf(s, merchant).PUT('/v1/admin/inventory/{sku}', {
    params: { path: { sku } },
    body: { onHand: flashUnits },
  });
  if (!put.data || put.data.held + put.data.sold > 0)
    throw new Error(`flash SKU ${sku} is not free for the run: ${JSON.stringify(put.data ?? put.error)}`);
  return sku;
}

/** Guests, 50 at a time, each with 1 unit of `sku` in the cart; their tokens. */
async function shoppersFor(s: Stack, sku: string): Promise<string[]> {
  const shoppers: string[] = [];
  for (let i = 0; i < flashShoppers; i += 50) {
    const batch = Array.from({ length: Math.min(50, flashShoppers - i) }, async (_, j) => {
      const ip = shopperIp(i + j);
      const { accessToken } = await ok('guest', () => apiOf(s, undefined, ip).POST('/v1/auth/guest'));
      await ok('add to cart', () => apiOf(s, accessToken, ip).POST('/v1/cart/items', { body: { sku, quantity: 1 } }));
      return accessToken;
    });
    shoppers.push(...(await Promise.all(batch)));
  }
  return shoppers;
}

export async function flashSale(s: Stack): Promise<FlashResult> {
  const sku = await saleSku(s);
  log(`flash sale: ${flashShoppers} shoppers (${flashConcurrency} at once), ${flashUnits} units of ${sku}`);
  const shoppers = await shoppersFor(s, sku);
  const body = {
    email: 'flash@example.com',
    shippingAddress: {
      name: 'Flash Shopper',
      line1: '1 Main St',
      city: 'Springfield',
      postalCode: '62701',
      country: 'US' as const,
    },
    paymentMethod: 'pm_card_visa',
  };
  const started = performance.now();
  let lastAccepted = started;
  const answers: { status: number; ms: number; orderId?: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < shoppers.length) {
      const n = next++;
      const t0 = performance.now();
      try {
        const res = await apiOf(s, shoppers[n], shopperIp(n)).POST('/v1/checkout', {
          params: { header: { 'idempotency-key': crypto.randomUUID() } },
          body,
        });
        const done = performance.now();
        if (res.response.status === 202) lastAccepted = Math.max(lastAccepted, done);
        answers.push({ status: res.response.status, ms: done - t0, orderId: res.data?.orderId });
      } catch (err) {
        answers.push({ status: 0, ms: performance.now() - t0 });
        log(`checkout request failed: ${String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(flashConcurrency, shoppers.length) }, worker));
  const finished = performance.now();
  const accepted = answers.filter((a) => a.status === 202);
  const ids = accepted.map((a) => a.orderId!);
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  // Wait (bounded) for the webhooks to mark them paid and the consumer to copy them to Postgres.
  const deadline = Date.now() + 60_000;
  let levels = { onHand: 0, held: 0, sold: 0, available: 0 };
  let inPostgres = 0;
  while (Date.now() < deadline) {
    levels = await ok('inventory', () => apiOf(s).GET('/v1/inventory/{sku}', { params: { path: { sku } } }));
    const [row] = await pgSql<{ n: string }>(s.pg.primaryUrl, 'select count(*) as n from orders where id = any($1)', [
      ids,
    ]);
    inPostgres = Number(row!.n);
    if (levels.sold === accepted.length && inPostgres === accepted.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // This run's orders only: the bench keeps Postgres between runs, and earlier runs sold the same SKU.
  const [pgSold] = await pgSql<{ n: string }>(
    s.pg.primaryUrl,
    'select coalesce(sum(quantity), 0) as n from order_lines where sku = $1 and order_id = any($2)',
    [sku, ids],
  );
  const oversold = Math.max(
    0,
    accepted.length - flashUnits,
    levels.held + levels.sold - levels.onHand,
    Number(pgSold!.n) - flashUnits,
  );
  return {
    shoppers: shoppers.length,
    units: flashUnits,
    accepted: accepted.length,
    refused: answers.filter((a) => a.status === 409).length,
    other: answers.filter((a) => a.status !== 202 && a.status !== 409).length,
    seconds: (lastAccepted - started) / 1000,
    allSeconds: (finished - started) / 1000,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    oversold,
    paid: levels.sold,
    inPostgres,
  };
}
