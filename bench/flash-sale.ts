// The flash sale: `BENCH_FLASH_SHOPPERS` guests each hold 1 unit of one SKU in their cart and check out at the
// same moment for `BENCH_FLASH_UNITS` units (pm_card_visa), `BENCH_FLASH_CONCURRENCY` at a time, through a stack
// with the production limiter on. Measures checkouts answered per second, p50/p95/p99 of the checkout answer, the
// status counts (202 / 409 / 429 / other), and checks the outcome: every 409 names the SKU (OUT_OF_STOCK), every
// 429 has Retry-After, the oversell count from the live stock, the orders and (after the webhooks and the queue)
// Postgres is 0, and every accepted order is paid and in Postgres exactly once. Bounded: one checkout per shopper,
// and at most 60 s of waiting for the webhooks and the Queue. Every call goes through the typed client.
import { sql as pgSql } from '../dev/sql';
import { stackCpuSeconds, threadSample, threadShares } from './cpu';
import { percentile } from './load';
import { printProfile, profileStack } from './profile';
import { apiOf, log, ok, type BenchStack as Stack } from './setup';

const flashShoppers = Number(process.env.BENCH_FLASH_SHOPPERS ?? 300);
// Checkouts in flight at once (wrangler dev's local proxy drops connections well before production would).
const flashConcurrency = Number(process.env.BENCH_FLASH_CONCURRENCY ?? 100);
const flashUnits = Number(process.env.BENCH_FLASH_UNITS ?? 25);

export interface FlashResult {
  shoppers: number;
  units: number;
  accepted: number;
  refused: number;
  limited: number;
  other: number;
  /** Answers outside the allowed set: a 409 not naming the SKU as OUT_OF_STOCK, a 429 without Retry-After. */
  malformed: number;
  /** Every answer by status and error code ("409 OUT_OF_STOCK": 275). */
  codes: Record<string, number>;
  seconds: number;
  allSeconds: number;
  /** CPU of the stack's workerd processes per checkout answered (ms): the cost, steadier than the rate here. */
  workerdMsPerCheckout: number;
  p50: number;
  p95: number;
  p99: number;
  /** p50 / p99 of each kind of answer (202, 409...): which of them makes the p99. */
  byStatus: Record<string, { n: number; p50: number; p99: number }>;
  oversold: number;
  paid: number;
  inPostgres: number;
  /** Accepted orders whose row is in Postgres more than once, or not paid there. */
  pgMismatch: number;
  /** Where the time went during the burst (cpu.ts threadShares). */
  threads: string;
}

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
  // BENCH_PROFILE=1: a CPU profile of every isolate over the burst (bench/profile.ts), printed after it.
  const profiling = process.env.BENCH_PROFILE === '1' ? await profileStack(process.pid) : undefined;
  // The stack runs as children of this process (bench/setup.ts), so its workerd processes are found from here.
  const cpu0 = stackCpuSeconds(process.pid);
  const threads0 = threadSample(process.pid);
  log(`flash sale: the burst starts (${shoppers.length} checkouts, ${flashConcurrency} in flight)`);
  const started = performance.now();
  let lastAccepted = started;
  const answers: { status: number; ms: number; orderId?: string; allowed: boolean; code?: string }[] = [];
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
        const status = res.response.status;
        if (status === 202) lastAccepted = Math.max(lastAccepted, done);
        const items = (res.error?.error.details as { items?: { sku: string }[] } | undefined)?.items;
        const allowed =
          status === 202 ||
          (status === 409 && res.error?.error.code === 'OUT_OF_STOCK' && items?.[0]?.sku === sku) ||
          (status === 429 && res.response.headers.has('retry-after'));
        answers.push({ status, ms: done - t0, orderId: res.data?.orderId, allowed, code: res.error?.error.code });
      } catch (err) {
        answers.push({ status: 0, ms: performance.now() - t0, allowed: false });
        log(`checkout request failed: ${String(err)}`);
      }
    }
  };
  let finished = 0;
  let threads = '';
  try {
    await Promise.all(Array.from({ length: Math.min(flashConcurrency, shoppers.length) }, worker));
    finished = performance.now();
    threads = threadShares(threads0, threadSample(process.pid));
    log(`flash sale: every checkout answered; waiting for the webhooks and the Queue`);
  } finally {
    if (profiling) printProfile('flash sale', await profiling.stop(), shoppers.length, 40);
  }
  const workerdMsPerCheckout = ((stackCpuSeconds(process.pid).workerd - cpu0.workerd) / shoppers.length) * 1000;
  const accepted = answers.filter((a) => a.status === 202);
  const ids = accepted.map((a) => a.orderId!);
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  // Wait (bounded) for the webhooks to mark them paid and the consumer to copy them to Postgres.
  const deadline = Date.now() + 60_000;
  let levels = { onHand: 0, held: 0, sold: 0, available: 0 };
  let inPostgres = 0;
  while (Date.now() < deadline) {
    // Each poll from its own address: the production anonymous limit counts per address.
    const ip = shopperIp(100_000 + Math.floor(Math.random() * 1_000_000));
    levels = await ok('inventory', () =>
      apiOf(s, undefined, ip).GET('/v1/inventory/{sku}', { params: { path: { sku } } }),
    );
    const [row] = await pgSql<{ n: string }>(
      s.pg.primaryUrl,
      "select count(*) as n from orders where id = any($1) and status = 'paid'",
      [ids],
    );
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
  // Exactly once, and paid: one row per accepted order (the primary key) and its payment row succeeded.
  const [pg] = await pgSql<{ rows: string; paid: string }>(
    s.pg.primaryUrl,
    `select count(*) as rows, count(*) filter (where o.status = 'paid' and p.status = 'succeeded') as paid
     from orders o left join payments p on p.order_id = o.id where o.id = any($1)`,
    [ids],
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
    limited: answers.filter((a) => a.status === 429).length,
    other: answers.filter((a) => ![202, 409, 429].includes(a.status)).length,
    malformed: answers.filter((a) => !a.allowed).length,
    codes: answers.reduce<Record<string, number>>((n, a) => {
      const k = a.code ? `${a.status} ${a.code}` : String(a.status);
      n[k] = (n[k] ?? 0) + 1;
      return n;
    }, {}),
    seconds: (lastAccepted - started) / 1000,
    allSeconds: (finished - started) / 1000,
    workerdMsPerCheckout,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    p99: percentile(ms, 99),
    byStatus: Object.fromEntries(
      [...new Set(answers.map((a) => a.status))].map((status) => {
        const own = answers
          .filter((a) => a.status === status)
          .map((a) => a.ms)
          .sort((a, b) => a - b);
        return [String(status), { n: own.length, p50: percentile(own, 50), p99: percentile(own, 99) }];
      }),
    ),
    oversold,
    paid: levels.sold,
    inPostgres,
    threads,
    pgMismatch: Math.abs(Number(pg!.rows) - accepted.length) + (accepted.length - Number(pg!.paid)),
  };
}
