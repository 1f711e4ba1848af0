// `npm run bench`: starts its own stack on loopback (bench ports, data in .data/bench) plus a bare worker
// that answers a constant, drives each with the same load generator (autocannon), and prints requests per
// second and p50/p99 latency for each scenario and the ratio of the cached catalog list to the bare worker;
// add-to-cart by a few hundred guest shoppers; then the same cached list with each rate-limit backend, and
// the limiter's cost as a throughput ratio.
// Every run is bounded in time (BENCH_SECONDS) and in count (BENCH_MAX_REQUESTS). All workers run under
// `wrangler dev --log-level warn`, so the numbers include wrangler's local proxy: compare ratios, not absolutes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon, { type RequestSpec, type Result } from 'autocannon';
import { redisAvailable } from '../dev/redis';
import { projectRoot, startStack, type Stack } from '../dev/stack';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const maxRequests = Number(process.env.BENCH_MAX_REQUESTS ?? 200_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ports = { gateway: 28787, inspector: 29230, pgPrimary: 25432, pgReplica: 25433, neonProxy: 25440, redis: 25450, upstashBridge: 25451, stripe: 25460 };
const barePort = 28790;
const dataRoot = path.join(projectRoot, '.data', 'bench');
const log = (l: string) => console.log(`[bench] ${l}`);

interface Row { name: string; rps: number; p50: number; p99: number; ok: number; bad: number; note?: string }

async function run(name: string, url: string, requests?: Parameters<typeof autocannon>[0]['requests'], note?: () => string): Promise<Row> {
  // Warm-up (not counted): JIT, connections, cache fill.
  await autocannon({ url, connections, duration: 2, maxOverallRequests: maxRequests, requests });
  const r: Result = await autocannon({ url, connections, duration: seconds, maxOverallRequests: maxRequests, timeout: 10, requests });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ok: r['2xx'], bad: r.non2xx + r.errors + r.timeouts, note: note?.() };
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
  ['dev', '-c', 'bench/bare/wrangler.toml', '--ip', '127.0.0.1', '--port', String(barePort), '--inspector-port', '29231',
    '--persist-to', path.join(dataRoot, 'bare-state'), '--show-interactive-dev-session=false', '--log-level', 'warn'],
  { cwd: projectRoot, stdio: ['ignore', fs.openSync(bareLog, 'a'), fs.openSync(bareLog, 'a')], detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
);
let stack: Stack | undefined;
const stopAll = async () => {
  try {
    process.kill(-bare.pid!, 'SIGTERM');
  } catch {}
  await stack?.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().then(() => process.exit(130)));

const cachedPath = '/v1/products?category=apparel&limit=24';
const cacheStates: Record<string, number> = {};
const countCache = (_s: number, _b: string, _c: unknown, headers: Record<string, string> | string[]) => {
  const h = Array.isArray(headers) ? headers[headers.findIndex((v, i) => i % 2 === 0 && v.toLowerCase() === 'x-cache') + 1] : headers['x-cache'];
  cacheStates[h ?? 'none'] = (cacheStates[h ?? 'none'] ?? 0) + 1;
};
const describeCache = () => {
  const text = Object.entries(cacheStates).map(([k, v]) => `${k} ${v}`).join(', ');
  for (const k of Object.keys(cacheStates)) delete cacheStates[k];
  return text;
};
// Shoppers come from many addresses: each request names its own client IP, so the limiter sees many keys.
let client = 0;
const fromManyClients = (req: RequestSpec) => ({ ...req, headers: { ...req.headers, 'cf-connecting-ip': `2001:db8::${(client++ % 5000).toString(16)}` } });

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

const rows: Row[] = [];
const limiterRows: Row[] = [];
try {
  await waitUp(`http://127.0.0.1:${barePort}/`);
  log(`load: ${connections} connections, ${seconds}s per scenario after a 2s warm-up, at most ${maxRequests} requests each`);
  rows.push(await run('bare worker (constant)', `http://127.0.0.1:${barePort}/`));

  await withStack('off', async (s) => {
    rows.push(await run('cached list via gateway', `${s.url}${cachedPath}`, [{ path: cachedPath, setupRequest: fromManyClients, onResponse: countCache }], describeCache));
    // Every request a key not seen before: category x sort x limit, walked in order.
    const categories = ['apparel', 'mens', 'womens', 'accessories', 'footwear', 'sneakers', 'boots', 'home', 'kitchen', 'lighting', 'furniture', 'outdoor', 'camping', 'electronics', 'audio', 'beauty'];
    const sorts = ['newest', 'price_asc', 'price_desc'];
    let i = 0;
    const nextMissPath = () => {
      const n = i++;
      return `/v1/products?category=${categories[n % categories.length]}&sort=${sorts[Math.floor(n / categories.length) % sorts.length]}&limit=${1 + (Math.floor(n / (categories.length * sorts.length)) % 100)}&q=${n % 2 ? 'cotton' : 'black'}`;
    };
    describeCache();
    rows.push(await run('cache miss via gateway (replica)', s.url, [{ setupRequest: (req) => fromManyClients({ ...req, path: nextMissPath() }), onResponse: countCache }], describeCache));
    limiterRows.push({ ...rows[1]!, name: 'cached list, no rate limit' });

    // Add-to-cart: 300 guest shoppers, each request from one of them, SKUs from the seed.
    const sessions = await Promise.all(
      Array.from({ length: 300 }, async (_, n) => {
        const res = await fetch(`${s.url}/v1/auth/guest`, { method: 'POST', headers: { 'cf-connecting-ip': `2001:db8:1::${n.toString(16)}` } });
        return ((await res.json()) as { accessToken: string }).accessToken;
      }),
    );
    const variants = await Promise.all(
      ['apparel', 'home', 'outdoor'].map(async (category) => {
        const list = (await (await fetch(`${s.url}/v1/products?category=${category}&limit=10`)).json()) as { items: { slug: string }[] };
        return Promise.all(
          list.items.map(async (p) => ((await (await fetch(`${s.url}/v1/products/${p.slug}`)).json()) as { variants: { sku: string }[] }).variants[0]!.sku),
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
              headers: { 'content-type': 'application/json', authorization: `Bearer ${sessions[n % sessions.length]}`, 'cf-connecting-ip': `2001:db8:2::${(n % 300).toString(16)}` },
              body: JSON.stringify({ sku: skus[n % skus.length], quantity: 1 }),
            };
          },
        },
      ]),
    );
  });
  await withStack('durable-object', async (s) => {
    limiterRows.push(await run('cached list, RateLimiterDO', `${s.url}${cachedPath}`, [{ path: cachedPath, setupRequest: fromManyClients, onResponse: countCache }], describeCache));
  });
  if (redisAvailable()) {
    await withStack('upstash', async (s) => {
      limiterRows.push(await run('cached list, Upstash (bridge+redis)', `${s.url}${cachedPath}`, [{ path: cachedPath, setupRequest: fromManyClients, onResponse: countCache }], describeCache));
    });
  } else {
    log('redis-server is not installed: the Upstash scenario is left out');
  }
} finally {
  await stopAll();
}

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`\n${pad('scenario', 36)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('2xx', 9)}${pad('errors', 8)}x-cache`);
for (const r of rows) {
  console.log(`${pad(r.name, 36)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 9)}${pad(String(r.p99), 9)}${pad(String(r.ok), 9)}${pad(String(r.bad), 8)}${r.note ?? ''}`);
}
for (const r of limiterRows.slice(1)) {
  console.log(`${pad(r.name, 36)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 9)}${pad(String(r.p99), 9)}${pad(String(r.ok), 9)}${pad(String(r.bad), 8)}${r.note ?? ''}`);
}
const [bareRow, cachedRow, missRow, cartRow] = rows;
console.log(`\nratio cached list / bare worker: ${(cachedRow!.rps / bareRow!.rps).toFixed(2)} (target >= 0.50; no rate limit)`);
console.log(`ratio cache miss / bare worker:  ${(missRow!.rps / bareRow!.rps).toFixed(2)}`);
console.log(`ratio cached / cache miss:       ${(cachedRow!.rps / missRow!.rps).toFixed(1)}x`);
console.log(`add to cart: ${cartRow!.rps.toFixed(0)} req/s, p50 ${cartRow!.p50} ms, p99 ${cartRow!.p99} ms, non-2xx ${cartRow!.bad}`);
for (const r of limiterRows.slice(1)) {
  console.log(`rate-limit cost, ${r.name.replace('cached list, ', '')}: ${(r.rps / cachedRow!.rps).toFixed(2)} of the unlimited route's throughput; cached list / bare worker ${(r.rps / bareRow!.rps).toFixed(2)}`);
}
