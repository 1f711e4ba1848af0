// What one request of each kind costs the workers: workerd CPU per request (every workerd process of the stack,
// read from /proc, bench/cpu.ts), beside the bare worker's, through a stack with the production limiter on. CPU per
// request is what caps a 2-core machine's rate and moves far less with other load than req/s does, so this is the
// measure to work against when making a path cheaper: `npm run bench:cost` (COST_ONLY=checkout,cart,... for some).
// Bounded: COST_REQUESTS requests per kind (a fifth of that for checkouts), 16 connections, loopback only.
import autocannon, { type RequestSpec } from 'autocannon';
import { stackCpuSeconds } from './cpu';
import { waitUp } from './load';
import { printProfile, profileStack } from './profile';
import { apiOf, barePort, log, ok, startBareWorker, withStack } from './setup';

const requests = Number(process.env.COST_REQUESTS ?? 2000);
const only = (process.env.COST_ONLY ?? '').split(',').filter(Boolean);
// The limiter's backend: production (as `npm run dev`), or off / durable-object / upstash to see what it costs.
// COST_PROFILE=1: a CPU profile of every isolate per kind (bench/profile.ts), printed as it finishes.
const profile = process.env.COST_PROFILE === '1';
const bareUrlOf = () => `http://127.0.0.1:${barePort}/`;
const backend = (process.env.COST_BACKEND ?? 'production') as 'off' | 'durable-object' | 'upstash' | 'production';
const SHOPPERS = 300;
const BUYERS = 100;
const shopperIp = (n: number) => `2001:db8:5:${n.toString(16)}::1`;

interface Kind {
  name: string;
  url: string;
  count: number;
  request: RequestSpec;
  /** Set up before the kind runs (not measured). */
  before?: () => Promise<void>;
  /** No warm-up (each request needs state of its own, e.g. a cart to check out). */
  cold?: boolean;
  /** CPU counted this long after the last answer too (the webhooks and the queue that follow an order). */
  settleMs?: number;
}

async function measure(k: Kind) {
  await k.before?.();
  // Warm-up (JIT, connections, caches), not counted.
  if (!k.cold) await autocannon({ url: k.url, connections: 16, amount: Math.min(200, k.count), requests: [k.request] });
  const statuses: Record<number, number> = {};
  // The bare worker runs outside the stack: no profile for it.
  const profiling = profile && k.url !== bareUrlOf() ? await profileStack(process.pid) : undefined;
  const cpu0 = stackCpuSeconds(process.pid);
  const t0 = performance.now();
  const instance = autocannon({ url: k.url, connections: 16, amount: k.count, timeout: 20, requests: [k.request] });
  instance.on('response', (_c, status) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const r = await instance;
  const rps = k.count / ((performance.now() - t0) / 1000);
  if (k.settleMs) await new Promise((res) => setTimeout(res, k.settleMs));
  const cpu1 = stackCpuSeconds(process.pid);
  if (profiling) printProfile(k.name, await profiling.stop(), k.count, Number(process.env.COST_PROFILE_TOP ?? 25));
  // Per process, over the processes alive at the end (one that exited meanwhile would count negative).
  const deltas = [...cpu1.byPid].map(([pid, sec]) => [pid, ((sec - (cpu0.byPid.get(pid) ?? 0)) / k.count) * 1e6]);
  const cpuUs = deltas.reduce((a, [, us]) => a + us!, 0);
  // The runtime's share (the workers' own work), apart from wrangler's proxy in front of it (a dev-only cost).
  const runtimeUs = deltas.reduce((a, [pid, us]) => (cpu1.runtimes.has(pid!) ? a + us! : a), 0);
  return { name: k.name, cpuUs, runtimeUs, rps, p99: r.latency.p99, statuses };
}

const bare = startBareWorker();
try {
  const bareUrl = bareUrlOf();
  await waitUp(bareUrl);
  await withStack(backend, async (s) => {
    const { email, password } = s.accounts.find((a) => a.role === 'merchant')!;
    const merchant = (await ok('login', () => apiOf(s).POST('/v1/auth/login', { body: { email, password } })))
      .accessToken;
    const list = await ok('list', () => apiOf(s).GET('/v1/products', { params: { query: { category: 'footwear' } } }));
    const slug = list.items[0]!.slug;
    const product = await ok('product', () => apiOf(s).GET('/v1/products/{slug}', { params: { path: { slug } } }));
    const sku = product.variants.at(-1)!.sku;
    const others = product.variants.slice(0, -1).map((v) => v.sku);
    await ok('stock', () =>
      apiOf(s, merchant).PUT('/v1/admin/inventory/{sku}', { params: { path: { sku } }, body: { onHand: 5 } }),
    );
    const tokens: string[] = [];
    for (let i = 0; i < SHOPPERS; i += 50) {
      const batch = Array.from({ length: Math.min(50, SHOPPERS - i) }, async (_, j) => {
        const ip = shopperIp(i + j);
        const { accessToken } = await ok('guest', () => apiOf(s, undefined, ip).POST('/v1/auth/guest'));
        await ok('add', () => apiOf(s, accessToken, ip).POST('/v1/cart/items', { body: { sku, quantity: 1 } }));
        return accessToken;
      });
      tokens.push(...(await Promise.all(batch)));
    }
    // Sold out from now on: every checkout below is a flash sale's loser (409 OUT_OF_STOCK).
    await ok('sold out', () =>
      apiOf(s, merchant).PUT('/v1/admin/inventory/{sku}', { params: { path: { sku } }, body: { onHand: 0 } }),
    );
    let n = 0;
    const asShopper = (req: RequestSpec, extra: Record<string, string> = {}) => {
      const i = n++ % SHOPPERS;
      return {
        ...req,
        headers: {
          ...req.headers,
          ...extra,
          authorization: `Bearer ${tokens[i]}`,
          'cf-connecting-ip': shopperIp(i),
        },
      };
    };
    const checkoutBody = JSON.stringify({
      email: 'cost@example.com',
      shippingAddress: { name: 'C', line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' },
      paymentMethod: 'pm_card_visa',
    });
    let m = 0;
    const kinds: Kind[] = [
      { name: 'bare worker', url: bareUrl, count: requests, request: { method: 'GET' } },
      { name: 'GET /health/live', url: s.url, count: requests, request: { method: 'GET', path: '/health/live' } },
      {
        name: 'GET /v1/products (cached)',
        url: s.url,
        count: requests,
        request: { path: '/v1/products?category=apparel&limit=24', setupRequest: (r) => asShopper(r) },
      },
      {
        name: 'GET /v1/cart',
        url: s.url,
        count: requests,
        request: { path: '/v1/cart', setupRequest: (r) => asShopper(r) },
      },
      {
        name: 'POST /v1/cart/items (add)',
        url: s.url,
        count: requests,
        request: {
          method: 'POST',
          path: '/v1/cart/items',
          setupRequest: (r) => ({
            ...asShopper(r, { 'content-type': 'application/json' }),
            // The same SKU added and the quantity kept within bounds: each call sets one unit of another variant.
            body: JSON.stringify({ sku: others[m++ % Math.max(1, others.length)] ?? sku, quantity: 1 }),
          }),
        },
      },
      {
        name: 'POST /v1/checkout (sold out, 409)',
        url: s.url,
        count: Math.round(requests / 5),
        request: {
          method: 'POST',
          path: '/v1/checkout',
          setupRequest: (r) => ({
            ...asShopper(r, { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() }),
            body: checkoutBody,
          }),
        },
      },
    ];
    // Shoppers whose checkout is accepted: one cart each, the SKU back in stock.
    const buyers: string[] = [];
    let b = 0;
    kinds.push({
      name: 'POST /v1/checkout (accepted, + its webhook and queue for 5 s)',
      url: s.url,
      count: BUYERS,
      cold: true,
      settleMs: 5000,
      before: async () => {
        await ok('restock', () =>
          apiOf(s, merchant).PUT('/v1/admin/inventory/{sku}', { params: { path: { sku } }, body: { onHand: 100_000 } }),
        );
        for (let i = 0; i < BUYERS; i += 50) {
          const batch = Array.from({ length: Math.min(50, BUYERS - i) }, async (_, j) => {
            const ip = shopperIp(SHOPPERS + i + j);
            const { accessToken } = await ok('guest', () => apiOf(s, undefined, ip).POST('/v1/auth/guest'));
            await ok('add', () => apiOf(s, accessToken, ip).POST('/v1/cart/items', { body: { sku, quantity: 1 } }));
            return accessToken;
          });
          buyers.push(...(await Promise.all(batch)));
        }
      },
      request: {
        method: 'POST',
        path: '/v1/checkout',
        setupRequest: (r) => {
          const i = b++ % BUYERS;
          return {
            ...r,
            headers: {
              'content-type': 'application/json',
              'idempotency-key': crypto.randomUUID(),
              authorization: `Bearer ${buyers[i]}`,
              'cf-connecting-ip': shopperIp(SHOPPERS + i),
            },
            body: checkoutBody,
          };
        },
      },
    });
    const rows = [];
    for (const k of kinds) {
      if (only.length && k.name !== 'bare worker' && !only.some((o) => k.name.toLowerCase().includes(o))) continue;
      log(`${k.name}: ${k.count} requests`);
      rows.push(await measure(k));
    }
    const base = rows[0]!.cpuUs;
    const baseRuntime = rows[0]!.runtimeUs;
    console.log(`\nlimiter: ${backend}`);
    console.log(
      '\n| request | workerd µs/req | of bare | runtime µs/req | of bare | wrangler proxy µs/req | req/s | p99 ms | statuses |\n|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of rows)
      console.log(
        `| ${r.name} | ${Math.round(r.cpuUs)} | ${(r.cpuUs / base).toFixed(1)}x | ${Math.round(r.runtimeUs)} | ${(r.runtimeUs / baseRuntime).toFixed(1)}x | ${Math.round(r.cpuUs - r.runtimeUs)} | ${Math.round(r.rps)} | ${r.p99} | ${JSON.stringify(r.statuses)} |`,
      );
  });
} finally {
  try {
    process.kill(-bare.pid!, 'SIGTERM');
  } catch {}
}
