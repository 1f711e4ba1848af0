// `npm run bench`: starts its own stack on loopback (bench ports, data in .data/bench) plus a bare worker
// that answers a constant, drives each with the same load generator (autocannon), and prints requests per
// second and p50/p99 latency for each scenario and the ratio of the cached catalog list to the bare worker;
// add-to-cart by a few hundred guest shoppers; a flash sale (hundreds of shoppers checking out at once for a
// few units: accepted orders/s, checkout p50/p99, oversell count, which must be 0); then the same cached list with each rate-limit backend, and
// the limiter's cost as a throughput ratio.
// Every run is bounded in time (BENCH_SECONDS) and in count (BENCH_MAX_REQUESTS). All workers run under
// `wrangler dev --log-level warn`, so the numbers include wrangler's local proxy: compare ratios, not absolutes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon, { type RequestSpec, type Result } from 'autocannon';
import { redisAvailable } from '../dev/redis';
import { sql as pgSql } from '../dev/sql';
import { projectRoot, type Stack, startStack } from '../dev/stack';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const maxRequests = Number(process.env.BENCH_MAX_REQUESTS ?? 200_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ports = {
  gateway: 28787,
  inspector: 29230,
  pgPrimary: 25432,
  pgReplica: 25433,
  neonProxy: 25440,
  redis: 25450,
  upstashBridge: 25451,
  stripe: 25460,
};
const barePort = 28790;
const dataRoot = path.join(projectRoot, '.data', 'bench');
const log = (l: string) => console.log(`[bench] ${l}`);

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  note?: string;
}

async function run(
  name: string,
  url: string,
  requests?: Parameters<typeof autocannon>[0]['requests'],
  note?: () => string,
): Promise<Row> {
  // Warm-up (not counted): JIT, connections, cache fill.
  await autocannon({ url, connections, duration: 2, maxOverallRequests: maxRequests, requests });
  const r: Result = await autocannon({
    url,
    connections,
    duration: seconds,
    maxOverallRequests: maxRequests,
    timeout: 10,
    requests,
  });
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    bad: r.non2xx + r.errors + r.timeouts,
    note: note?.(),
  };
}

async function waitUp(url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up`);
}

// A fresh edge cache every run, so "miss" requests really miss (Postgres data is kept: the seed is idempotent).
fs.rmSync(path.join(dataRoot, 'wrangler'), { recursive: true, force: true });
const bareLog = path.join(dataRoot, 'bare.log');
fs.mkdirSync(dataRoot, { recursive: true });
const bare = spawn(
  path.join(projectRoot, 'node_modules/.bin/wrangler'),
  [
    'dev',
    '-c',
    'bench/bare/wrangler.toml',
    '--ip',
    '127.0.0.1',
    '--port',
    String(barePort),
    '--inspector-port',
    '29231',
    '--persist-to',
    path.join(dataRoot, 'bare-state'),
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
  ],
  {
    cwd: projectRoot,
    stdio: ['ignore', fs.openSync(bareLog, 'a'), fs.openSync(bareLog, 'a')],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  },
);
let stack: Stack | undefined;
const stopAll = async () => {
  try {
    process.kill(-bare.pid!, 'SIGTERM');
  } catch {}
  await stack?.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void stopAll().then(() => process.exit(130)));

const cachedPath = '/v1/products?category=apparel&limit=24';
const cacheStates: Record<string, number> = {};
const countCache = (_s: number, _b: string, _c: unknown, headers: Record<string, string> | string[]) => {
  const h = Array.isArray(headers)
    ? headers[headers.findIndex((v, i) => i % 2 === 0 && v.toLowerCase() === 'x-cache') + 1]
    : headers['x-cache'];
  cacheStates[h ?? 'none'] = (cacheStates[h ?? 'none'] ?? 0) + 1;
};
const describeCache = () => {
  const text = Object.entries(cacheStates)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  for (const k of Object.keys(cacheStates)) delete cacheStates[k];
  return text;
};
// Shoppers come from many addresses: each request names its own client IP, so the limiter sees many keys.
let client = 0;
const fromManyClients = (req: RequestSpec) => ({
  ...req,
  headers: { ...req.headers, 'cf-connecting-ip': `2001:db8::${(client++ % 5000).toString(16)}` },
});

/** A stack with one rate-limit backend (limits far above the load, so the check runs and never refuses). */
async function withStack<T>(backend: 'off' | 'durable-object' | 'upstash', fn: (s: Stack) => Promise<T>): Promise<T> {
  // A fresh edge cache every run, so "miss" requests really miss (Postgres data is kept: the seed is idempotent).
  fs.rmSync(path.join(dataRoot, 'wrangler'), { recursive: true, force: true });
  log(`starting the stack with rate limits: ${backend}`);
  stack = await startStack({
    dataRoot,
    ports,
    logLevel: 'warn',
    upstash: backend === 'upstash' ? 'required' : 'off',
    vars: { RATE_LIMIT_BACKEND: backend, RATE_LIMIT_ANONYMOUS: '1000000000/60', RATE_LIMIT_TIMEOUT_MS: '5000' },
  });
  try {
    return await fn(stack);
  } finally {
    await stack.stop();
    stack = undefined;
  }
}

const flashShoppers = Number(process.env.BENCH_FLASH_SHOPPERS ?? 300);
// Checkouts in flight at once (wrangler dev's local proxy drops connections well before production would).
const flashConcurrency = Number(process.env.BENCH_FLASH_CONCURRENCY ?? 100);
const flashUnits = Number(process.env.BENCH_FLASH_UNITS ?? 25);
interface FlashResult {
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

/**
 * Flash sale: `flashShoppers` guests each hold 1 unit of one SKU in their cart and check out at the same moment
 * for `flashUnits` units (pm_card_visa). Prints accepted orders per second over the burst, p50/p99 of the
 * checkout answer, and the oversell count from the live stock, the orders and (after the webhooks and the
 * queue) Postgres. Bounded: one request per shopper.
 */
async function flashSale(s: Stack): Promise<FlashResult> {
  const login = await fetch(`${s.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: s.accounts.find((a) => a.role === 'merchant')!.email,
      password: s.accounts.find((a) => a.role === 'merchant')!.password,
    }),
  });
  const merchant = ((await login.json()) as { accessToken: string }).accessToken;
  const list = (await (await fetch(`${s.url}/v1/products?category=footwear&limit=1&sort=price_desc`)).json()) as {
    items: { slug: string }[];
  };
  const sku = (
    (await (await fetch(`${s.url}/v1/products/${list.items[0]!.slug}`)).json()) as { variants: { sku: string }[] }
  ).variants.at(-1)!.sku;
  const put = await fetch(`${s.url}/v1/admin/inventory/${sku}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant}` },
    body: JSON.stringify({ onHand: flashUnits }),
  });
  const start = (await put.json()) as { held: number; sold: number };
  if (!put.ok || start.held + start.sold > 0)
    throw new Error(`flash SKU ${sku} is not free for the run: ${JSON.stringify(start)}`);
  log(`flash sale: ${flashShoppers} shoppers (${flashConcurrency} at once), ${flashUnits} units of ${sku}`);
  const shoppers: string[] = [];
  for (let i = 0; i < flashShoppers; i += 50) {
    shoppers.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, flashShoppers - i) }, async (_, j) => {
          const ip = `2001:db8:3::${(i + j).toString(16)}`;
          const token = (
            (await (
              await fetch(`${s.url}/v1/auth/guest`, { method: 'POST', headers: { 'cf-connecting-ip': ip } })
            ).json()) as { accessToken: string }
          ).accessToken;
          const add = await fetch(`${s.url}/v1/cart/items`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'cf-connecting-ip': ip },
            body: JSON.stringify({ sku, quantity: 1 }),
          });
          if (!add.ok) throw new Error(`add to cart: ${add.status}`);
          return token;
        }),
      )),
    );
  }
  const body = JSON.stringify({
    email: 'flash@example.com',
    shippingAddress: {
      name: 'Flash Shopper',
      line1: '1 Main St',
      city: 'Springfield',
      postalCode: '62701',
      country: 'US',
    },
    paymentMethod: 'pm_card_visa',
  });
  const started = performance.now();
  let lastAccepted = started;
  const answers: { status: number; ms: number; orderId?: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < shoppers.length) {
      const n = next++;
      const t0 = performance.now();
      try {
        const res = await fetch(`${s.url}/v1/checkout`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${shoppers[n]}`,
            'idempotency-key': crypto.randomUUID(),
            'cf-connecting-ip': `2001:db8:3::${n.toString(16)}`,
          },
          body,
          signal: AbortSignal.timeout(60_000),
        });
        const json = (await res.json()) as { orderId?: string };
        const done = performance.now();
        if (res.status === 202) lastAccepted = Math.max(lastAccepted, done);
        answers.push({ status: res.status, ms: done - t0, orderId: json.orderId });
      } catch (err) {
        answers.push({ status: 0, ms: performance.now() - t0 });
        log(`checkout request failed: ${String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(flashConcurrency, shoppers.length) }, worker));
  const finished = performance.now();
  const accepted = answers.filter((a) => a.status === 202);
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  // Wait (bounded) for the webhooks to mark them paid and the consumer to copy them to Postgres.
  const deadline = Date.now() + 60_000;
  let levels = { onHand: 0, held: 0, sold: 0, available: 0 };
  let inPostgres = 0;
  while (Date.now() < deadline) {
    levels = (await (await fetch(`${s.url}/v1/inventory/${sku}`)).json()) as typeof levels;
    const ids = accepted.map((a) => a.orderId!);
    inPostgres = Number(
      (await pgSql<{ n: string }>(s.pg.primaryUrl, 'select count(*) as n from orders where id = any($1)', [ids]))[0]!.n,
    );
    if (levels.sold === accepted.length && inPostgres === accepted.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // This run's orders only: the bench keeps Postgres between runs, and earlier runs sold the same SKU.
  const [pgSold] = await pgSql<{ n: string }>(
    s.pg.primaryUrl,
    'select coalesce(sum(quantity), 0) as n from order_lines where sku = $1 and order_id = any($2)',
    [sku, accepted.map((a) => a.orderId!)],
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

const rows: Row[] = [];
const limiterRows: Row[] = [];
let flash: FlashResult | undefined;
try {
  await waitUp(`http://127.0.0.1:${barePort}/`);
  log(
    `load: ${connections} connections, ${seconds}s per scenario after a 2s warm-up, at most ${maxRequests} requests each`,
  );
  rows.push(await run('bare worker (constant)', `http://127.0.0.1:${barePort}/`));

  await withStack('off', async (s) => {
    rows.push(
      await run(
        'cached list via gateway',
        `${s.url}${cachedPath}`,
        [{ path: cachedPath, setupRequest: fromManyClients, onResponse: countCache }],
        describeCache,
      ),
    );
    // Every request a key not seen before: category x sort x limit, walked in order.
    const categories = [
      'apparel',
      'mens',
      'womens',
      'accessories',
      'footwear',
      'sneakers',
      'boots',
      'home',
      'kitchen',
      'lighting',
      'furniture',
      'outdoor',
      'camping',
      'electronics',
      'audio',
      'beauty',
    ];
    const sorts = ['newest', 'price_asc', 'price_desc'];
    let i = 0;
    const nextMissPath = () => {
      const n = i++;
      return `/v1/products?category=${categories[n % categories.length]}&sort=${sorts[Math.floor(n / categories.length) % sorts.length]}&limit=${1 + (Math.floor(n / (categories.length * sorts.length)) % 100)}&q=${n % 2 ? 'cotton' : 'black'}`;
    };
    describeCache();
    rows.push(
      await run(
        'cache miss via gateway (replica)',
        s.url,
        [{ setupRequest: (req) => fromManyClients({ ...req, path: nextMissPath() }), onResponse: countCache }],
        describeCache,
      ),
    );
    limiterRows.push({ ...rows[1]!, name: 'cached list, no rate limit' });

    // Add-to-cart: 300 guest shoppers, each request from one of them, SKUs from the seed.
    log('add to cart: setting up 300 guest shoppers');
    const sessions = await Promise.all(
      Array.from({ length: 300 }, async (_, n) => {
        const res = await fetch(`${s.url}/v1/auth/guest`, {
          method: 'POST',
          headers: { 'cf-connecting-ip': `2001:db8:1::${n.toString(16)}` },
        });
        return ((await res.json()) as { accessToken: string }).accessToken;
      }),
    );
    const variants = await Promise.all(
      ['apparel', 'home', 'outdoor'].map(async (category) => {
        const list = (await (await fetch(`${s.url}/v1/products?category=${category}&limit=10`)).json()) as {
          items: { slug: string }[];
        };
        return Promise.all(
          list.items.map(
            async (p) =>
              ((await (await fetch(`${s.url}/v1/products/${p.slug}`)).json()) as { variants: { sku: string }[] })
                .variants[0]!.sku,
          ),
        );
      }),
    );
    const skus = variants.flat();
    let k = 0;
    rows.push(
      await run('add to cart via gateway (300 shoppers)', `${s.url}/v1/cart/items`, [
        {
          method: 'POST',
          setupRequest: (req) => {
            const n = k++;
            return {
              ...req,
              path: '/v1/cart/items',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${sessions[n % sessions.length]}`,
                'cf-connecting-ip': `2001:db8:2::${(n % 300).toString(16)}`,
              },
              body: JSON.stringify({ sku: skus[n % skus.length], quantity: 1 }),
            };
          },
        },
      ]),
    );
    log('flash sale: setting up');
    flash = await flashSale(s);
  });
  await withStack('durable-object', async (s) => {
    limiterRows.push(
      await run(
        'cached list, RateLimiterDO',
        `${s.url}${cachedPath}`,
        [{ path: cachedPath, setupRequest: fromManyClients, onResponse: countCache }],
        describeCache,
      ),
    );
  });
  if (redisAvailable()) {
    await withStack('upstash', async (s) => {
      limiterRows.push(
        await run(
          'cached list, Upstash (bridge+redis)',
          `${s.url}${cachedPath}`,
          [{ path: cachedPath, setupRequest: fromManyClients, onResponse: countCache }],
          describeCache,
        ),
      );
    });
  } else {
    log('redis-server is not installed: the Upstash scenario is left out');
  }
} finally {
  await stopAll();
}

const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  `\n${pad('scenario', 36)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('2xx', 9)}${pad('errors', 8)}x-cache`,
);
for (const r of rows) {
  console.log(
    `${pad(r.name, 36)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 9)}${pad(String(r.p99), 9)}${pad(String(r.ok), 9)}${pad(String(r.bad), 8)}${r.note ?? ''}`,
  );
}
for (const r of limiterRows.slice(1)) {
  console.log(
    `${pad(r.name, 36)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 9)}${pad(String(r.p99), 9)}${pad(String(r.ok), 9)}${pad(String(r.bad), 8)}${r.note ?? ''}`,
  );
}
const [bareRow, cachedRow, missRow, cartRow] = rows;
console.log(
  `\nratio cached list / bare worker: ${(cachedRow!.rps / bareRow!.rps).toFixed(2)} (target >= 0.50; no rate limit)`,
);
console.log(`ratio cache miss / bare worker:  ${(missRow!.rps / bareRow!.rps).toFixed(2)}`);
console.log(`ratio cached / cache miss:       ${(cachedRow!.rps / missRow!.rps).toFixed(1)}x`);
console.log(
  `add to cart: ${cartRow!.rps.toFixed(0)} req/s, p50 ${cartRow!.p50} ms, p99 ${cartRow!.p99} ms, non-2xx ${cartRow!.bad}`,
);
if (flash) {
  const f = flash;
  console.log(
    `flash sale: ${f.shoppers} shoppers for ${f.units} units -> ${f.accepted} accepted (${(f.accepted / Math.max(f.seconds, 0.001)).toFixed(0)} orders/s over ${f.seconds.toFixed(2)} s), ` +
      `${f.refused} refused (409), ${f.other} other; ${(f.shoppers / f.allSeconds).toFixed(0)} checkouts answered/s; checkout p50 ${f.p50.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms; paid ${f.paid}, in Postgres ${f.inPostgres}; oversold ${f.oversold}`,
  );
  if (f.oversold !== 0 || f.other !== 0) process.exitCode = 1;
}
for (const r of limiterRows.slice(1)) {
  console.log(
    `rate-limit cost, ${r.name.replace('cached list, ', '')}: ${(r.rps / cachedRow!.rps).toFixed(2)} of the unlimited route's throughput; cached list / bare worker ${(r.rps / bareRow!.rps).toFixed(2)}`,
  );
}
