// `npm run bench`: starts its own stacks on loopback (bench ports, data in .data/bench) plus a bare worker that
// answers a constant, drives each with the same load generator (autocannon, ./load.ts), and prints req/s and
// p50/p95/p99 for each scenario with its ratio to the bare worker: the cached catalog list, cache misses,
// add-to-cart by a few hundred guest shoppers, a flash sale with the production limiter on (./flash-sale.ts:
// hundreds of shoppers checking out at once for a few units: status counts, answers/s, oversell, every order paid
// and in Postgres once), one hot InventoryDO driven from inside workerd (bench/inventory), and the cached list
// with each rate-limit backend, and with the figures' recording off and on. Then the issue's table and the targets.
// BENCH_ONLY=search: cache-miss searches by query class at BENCH_SEARCH_PRODUCTS products (./search.ts).
// BENCH_ONLY=flash,cart,page,... runs only those scenarios (the bare worker always runs: every figure is a ratio to it).
// Every run is bounded in time (BENCH_SECONDS) and in count (BENCH_MAX_REQUESTS). All workers run under
// `wrangler dev --log-level warn`, so the numbers include wrangler's local proxy: compare ratios, not absolutes.
// Setting a scenario up goes through the typed API client (lib/client); the measured load is raw HTTP.
import { redisAvailable } from '../dev/redis';
import { type FlashResult, flashSale } from './flash-sale';
import { countCache, describeCache, fromManyClients, type Row, run, waitUp } from './load';
import { printSearch, type SearchRow, searchProducts, searchScenario } from './search';
import {
  apiOf,
  barePort,
  connections,
  inventoryBenchPort,
  log,
  maxRequests,
  ok,
  runs,
  type BenchStack as Stack,
  seconds,
  startBareWorker,
  startInventoryWorker,
  stopCurrentStack,
  withStack,
} from './setup';

const bare = startBareWorker();
const hot = runs('inventory') ? startInventoryWorker() : undefined;
const stopAll = async () => {
  for (const worker of [bare, hot])
    try {
      if (worker) process.kill(-worker.pid!, 'SIGTERM');
    } catch {}
  await stopCurrentStack();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void stopAll().then(() => process.exit(130)));

const cachedPath = '/v1/products?category=apparel&limit=24';

/** Add-to-cart setup: 300 guest shoppers, and the first SKU of 10 products in each of three categories. */
async function cartShoppers(s: Stack) {
  const sessions: string[] = [];
  // 50 at a time: each is a Postgres write, and a burst of 300 can outlast the gateway's database deadline.
  for (let i = 0; i < 300; i += 50) {
    const batch = Array.from({ length: 50 }, async (_, j) => {
      const ip = `2001:db8:1::${(i + j).toString(16)}`;
      return (await ok('guest', () => apiOf(s, undefined, ip).POST('/v1/auth/guest'))).accessToken;
    });
    sessions.push(...(await Promise.all(batch)));
  }
  const variants = await Promise.all(
    (['apparel', 'home', 'outdoor'] as const).map(async (category) => {
      const list = await ok('list', () => apiOf(s).GET('/v1/products', { params: { query: { category, limit: 10 } } }));
      return Promise.all(
        list.items.map(async ({ slug }) => {
          const product = await ok('product', () =>
            apiOf(s).GET('/v1/products/{slug}', { params: { path: { slug } } }),
          );
          return product.variants[0]!.sku;
        }),
      );
    }),
  );
  return { sessions, skus: variants.flat() };
}

const cachedRequests = [{ path: cachedPath, setupRequest: fromManyClients, onResponse: countCache }];
// The storefront's product page (issue 15): the cached page with its personal slots filled and its availability
// read (at most once a second per SKU), as an anonymous shopper gets it.
const pagePath = '/p/mireille-heritage-viscose-slip-dress-1200';
const pageRequests = [{ path: pagePath, setupRequest: fromManyClients, onResponse: countCache }];
const rows: Row[] = [];
const limiterRows: Row[] = [];
const figureRows: Row[] = [];
let flash: FlashResult | undefined;
let search: SearchRow[] | undefined;
let inventory: HotInventory | undefined;

interface HotInventory {
  ops: number;
  concurrency: number;
  opsPerSecond: number;
  held: number;
  refused: number;
  units: number;
  p50: number;
  p95: number;
  p99: number;
  oversold: number;
}

/** Every request a key not seen before: category x sort x limit, walked in order. */
function missPaths() {
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
  return () => {
    const n = i++;
    return `/v1/products?category=${categories[n % categories.length]}&sort=${sorts[Math.floor(n / categories.length) % sorts.length]}&limit=${1 + (Math.floor(n / (categories.length * sorts.length)) % 100)}&q=${n % 2 ? 'cotton' : 'black'}`;
  };
}

try {
  await waitUp(`http://127.0.0.1:${barePort}/`);
  log(
    `load: ${connections} connections, ${seconds}s per scenario after a 2s warm-up, at most ${maxRequests} requests each`,
  );
  rows.push(await run('bare worker (constant)', `http://127.0.0.1:${barePort}/`));

  if (runs('cached') || runs('miss') || runs('cart') || runs('page')) {
    await withStack('off', async (s) => {
      if (runs('cached') || runs('limiter')) {
        const row = await run('cached list via gateway', `${s.url}${cachedPath}`, cachedRequests, describeCache);
        rows.push(row);
        limiterRows.push({ ...row, name: 'cached list, no rate limit' });
      }
      if (runs('page')) {
        rows.push(await run('cached product page (storefront)', `${s.url}${pagePath}`, pageRequests, describeCache));
      }
      if (runs('miss')) {
        const nextMissPath = missPaths();
        describeCache();
        rows.push(
          await run(
            'cache miss via gateway (replica)',
            s.url,
            [{ setupRequest: (req) => fromManyClients({ ...req, path: nextMissPath() }), onResponse: countCache }],
            describeCache,
          ),
        );
      }
      if (runs('cart')) {
        // Add-to-cart: 300 guest shoppers, each request from one of them, SKUs from the seed.
        log('add to cart: setting up 300 guest shoppers');
        const { sessions, skus } = await cartShoppers(s);
        let k = 0;
        rows.push(
          await run('add to cart (300 shoppers)', `${s.url}/v1/cart/items`, [
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
                  // Each round over the shoppers moves each one to the next SKU, so a cart gets one of each SKU
                  // before any line grows: a shopper stays under the cart's limits (10 of a line, 100 items) for
                  // 300 x 30 adds, where the same SKU every time met the line limit after 10 (409s, cheaper than adds).
                  body: JSON.stringify({
                    sku: skus[(n + Math.floor(n / sessions.length)) % skus.length],
                    quantity: 1,
                  }),
                };
              },
            },
          ]),
        );
      }
    });
  }
  if (runs('flash')) {
    // BENCH_FLASH_LIMITER=off isolates the checkout path from the limiter (a diagnosis, not the issue's figure).
    const limiter = process.env.BENCH_FLASH_LIMITER === 'off' ? 'off' : 'production';
    await withStack(limiter, async (s) => {
      log(`flash sale: setting up (rate limits: ${limiter})`);
      flash = await flashSale(s);
    });
  }
  if (hot) {
    await waitUp(`http://127.0.0.1:${inventoryBenchPort}/`);
    const ops = Number(process.env.BENCH_INVENTORY_OPS ?? 20_000);
    log(`one hot InventoryDO: ${ops} reserve-or-refuse operations from inside workerd, 100 in flight`);
    // A short warm-up (the object's first wake, JIT), then the measured run.
    await fetch(`http://127.0.0.1:${inventoryBenchPort}/run?ops=1000&concurrency=100&units=25`);
    const res = await fetch(`http://127.0.0.1:${inventoryBenchPort}/run?ops=${ops}&concurrency=100&units=25`, {
      signal: AbortSignal.timeout(120_000),
    });
    inventory = (await res.json()) as HotInventory;
  }
  if (runs('limiter')) {
    await withStack('durable-object', async (s) => {
      limiterRows.push(await run('cached list, RateLimiterDO', `${s.url}${cachedPath}`, cachedRequests, describeCache));
    });
    if (redisAvailable()) {
      await withStack('upstash', async (s) => {
        limiterRows.push(
          await run('cached list, Upstash (bridge+redis)', `${s.url}${cachedPath}`, cachedRequests, describeCache),
        );
      });
    } else {
      log('redis-server is not installed: the Upstash scenario is left out');
    }
  }
  if (runs('figures')) {
    // The figures' cost: the same cached list on two stacks that differ only in FIGURES_RECORDING (rate limits off
    // in both, so nothing else differs). Recording off first: the second stack runs on warmer caches, if anything.
    for (const recording of ['off', 'on'] as const) {
      await withStack(
        'off',
        async (s) => {
          figureRows.push(
            await run(`cached list, figures ${recording}`, `${s.url}${cachedPath}`, cachedRequests, describeCache),
          );
        },
        { FIGURES_RECORDING: recording },
      );
    }
  }
  if (runs('search')) {
    await withStack(
      'off',
      async (s) => {
        search = await searchScenario(s);
      },
      {},
      searchProducts,
    );
  }
} finally {
  await stopAll();
}

const bareRps = rows[0]!.rps;
const ratio = (rps: number) => (rps / bareRps).toFixed(2);
const pad = (s: string | number, n: number) => String(s).padEnd(n);
const allRows = [...rows, ...limiterRows.filter((r) => r.name !== 'cached list, no rate limit'), ...figureRows];
console.log(
  `\n${pad('scenario', 38)}${pad('req/s', 8)}${pad('p50 ms', 8)}${pad('p95 ms', 8)}${pad('p99 ms', 8)}` +
    `${pad('of bare', 9)}${pad('2xx', 8)}${pad('non-2xx', 9)}x-cache`,
);
for (const r of allRows)
  console.log(
    `${pad(r.name, 38)}${pad(r.rps.toFixed(0), 8)}${pad(r.p50, 8)}${pad(r.p95, 8)}${pad(r.p99, 8)}` +
      `${pad(ratio(r.rps), 9)}${pad(r.ok, 8)}${pad(r.bad, 9)}${r.note ?? ''}`,
  );
// Which thread was the limit (docs/benchmark.md, "One thread"): printed apart, so the table above stays narrow.
console.log('');
for (const r of allRows) if (r.threads) console.log(`${pad(r.name, 38)}${r.threads}`);

const cachedRow = rows.find((r) => r.name === 'cached list via gateway');
const cartRow = rows.find((r) => r.name.startsWith('add to cart'));
const pageRow = rows.find((r) => r.name.startsWith('cached product page'));
const target = (met: boolean) => (met ? 'met' : 'NOT MET');
console.log('');
if (flash) {
  const f = flash;
  const answered = f.shoppers / f.allSeconds;
  console.log(
    `flash sale (${process.env.BENCH_FLASH_LIMITER === 'off' ? 'NO limiter' : 'production limiter'}): ${f.shoppers} shoppers for ${f.units} units -> 202 ${f.accepted}, ` +
      `409 ${f.refused}, 429 ${f.limited}, other ${f.other} (outside the allowed set: ${f.malformed}); ` +
      `${answered.toFixed(0)} checkouts answered/s over ${f.allSeconds.toFixed(2)} s; ` +
      `checkout p50 ${f.p50.toFixed(0)} ms, p95 ${f.p95.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms; ` +
      `paid ${f.paid}, paid in Postgres ${f.inPostgres} (mismatch ${f.pgMismatch}); oversold ${f.oversold}`,
  );
  console.log(`  answers: ${JSON.stringify(f.codes)}`);
  console.log(
    `  latency by status: ${Object.entries(f.byStatus)
      .map(([st, b]) => `${st} (${b.n}): p50 ${b.p50.toFixed(0)} ms, p99 ${b.p99.toFixed(0)} ms`)
      .join('; ')}`,
  );
  console.log(
    `  workerd CPU per checkout answered: ${f.workerdMsPerCheckout.toFixed(1)} ms (every workerd of the stack)`,
  );
  console.log(`  during the burst: ${f.threads}`);
  console.log(
    `  targets: answered/s ${ratio(answered)}x bare (>= 0.3: ${target(answered / bareRps >= 0.3)}), ` +
      `p99 ${f.p99.toFixed(0)} ms (<= 500: ${target(f.p99 <= 500)})`,
  );
  if (f.oversold !== 0 || f.other !== 0 || f.malformed !== 0 || f.pgMismatch !== 0) process.exitCode = 1;
}
if (cartRow)
  console.log(
    `add to cart: ${ratio(cartRow.rps)}x bare (>= 0.5: ${target(cartRow.rps / bareRps >= 0.5)}), ` +
      `p99 ${cartRow.p99} ms (<= 150: ${target(cartRow.p99 <= 150)})` +
      (cartRow.bad ? ` -- ${cartRow.bad} answers were not 2xx: the rate counts refusals, not only adds` : ''),
  );
if (pageRow)
  console.log(
    `cached product page: ${ratio(pageRow.rps)}x bare (>= 0.5: ${target(pageRow.rps / bareRps >= 0.5)}), ` +
      `p99 ${pageRow.p99} ms`,
  );
if (inventory) {
  const i = inventory;
  console.log(
    `one hot InventoryDO (inside workerd): ${i.opsPerSecond.toFixed(0)} reserve-or-refuse ops/s ` +
      `(${i.ops} ops, ${i.concurrency} in flight; ${i.held} held of ${i.units}, ${i.refused} refused; ` +
      `call p50 ${i.p50} ms, p95 ${i.p95} ms, p99 ${i.p99} ms; oversold ${i.oversold}) ` +
      `(>= 1000: ${target(i.opsPerSecond >= 1000)})`,
  );
  if (i.oversold !== 0) process.exitCode = 1;
}
for (const r of limiterRows.slice(1))
  console.log(
    `rate-limit cost, ${r.name.replace('cached list, ', '')}: ` +
      (cachedRow ? `${(r.rps / cachedRow.rps).toFixed(2)} of the unlimited route's throughput; ` : '') +
      `cached list / bare worker ${ratio(r.rps)} (>= 0.6: ${target(r.rps / bareRps >= 0.6)})`,
  );

if (figureRows.length === 2) {
  const [off, on] = figureRows as [Row, Row];
  console.log(
    `figures recording cost: ${on.rps.toFixed(0)} req/s on vs ${off.rps.toFixed(0)} off ` +
      `(ratio ${(on.rps / off.rps).toFixed(3)}); p99 ${on.p99} ms vs ${off.p99} ms`,
  );
}

if (search) printSearch(search);

// The issue's table (markdown), for the session note.
console.log('\n| scenario | req/s | p50 ms | p95 ms | p99 ms | of bare worker |\n|---|---|---|---|---|---|');
for (const r of allRows)
  console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p95} | ${r.p99} | ${ratio(r.rps)} |`);
if (flash) {
  const answered = flash.shoppers / flash.allSeconds;
  console.log(
    `| flash sale: ${flash.shoppers} shoppers, ${flash.units} units (production limiter) | ` +
      `${answered.toFixed(0)} answered/s | ${flash.p50.toFixed(0)} | ${flash.p95.toFixed(0)} | ` +
      `${flash.p99.toFixed(0)} | ${ratio(answered)} |`,
  );
}
if (inventory)
  console.log(
    `| one hot InventoryDO, inside workerd | ${inventory.opsPerSecond.toFixed(0)} ops/s | ${inventory.p50} | ` +
      `${inventory.p95} | ${inventory.p99} | ${ratio(inventory.opsPerSecond)} |`,
  );
