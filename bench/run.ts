// `npm run bench`: starts its own stack on loopback (bench ports, data in .data/bench) plus a bare worker
// that answers a constant, drives each with the same load generator (autocannon, ./load.ts), and prints requests
// per second and p50/p99 latency for each scenario and the ratio of the cached catalog list to the bare worker;
// add-to-cart by a few hundred guest shoppers; a flash sale (./flash-sale.ts: hundreds of shoppers checking out
// at once for a few units: accepted orders/s, checkout p50/p99, oversell count, which must be 0); then the same
// cached list with each rate-limit backend, and the limiter's cost as a throughput ratio.
// Every run is bounded in time (BENCH_SECONDS) and in count (BENCH_MAX_REQUESTS). All workers run under
// `wrangler dev --log-level warn`, so the numbers include wrangler's local proxy: compare ratios, not absolutes.
// Setting a scenario up goes through the typed API client (lib/client); the measured load is raw HTTP.
import { redisAvailable } from '../dev/redis';
import type { Stack } from '../dev/stack';
import { type FlashResult, flashSale } from './flash-sale';
import { countCache, describeCache, fromManyClients, type Row, run, waitUp } from './load';
import {
  apiOf,
  barePort,
  connections,
  log,
  maxRequests,
  ok,
  seconds,
  startBareWorker,
  stopCurrentStack,
  withStack,
} from './setup';

const bare = startBareWorker();
const stopAll = async () => {
  try {
    process.kill(-bare.pid!, 'SIGTERM');
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
    const { sessions, skus } = await cartShoppers(s);
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
