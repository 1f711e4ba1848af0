// `npm run bench:compare -- <refA> <refB>`: is B slower than A? Single bench runs on a busy 2-core machine differ
// by up to 40 %, so two commits are compared side by side instead: each runs its own stack (its own dev/stack.ts,
// from a worktree under .data/compare), both stay up, and the same load alternates between them (A B B A ...)
// for several rounds, so drift in the machine's load hits both alike. Per scenario it prints req/s, p50/p99 and the
// CPU time per request of the stack's workerd processes and of the whole stack (from /proc: other load on the
// machine barely moves it), and the ratios B/A.
// Bounded: COMPARE_ROUNDS rounds of COMPARE_SECONDS per scenario and tree. Traffic goes to loopback only.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon, { type RequestSpec } from 'autocannon';
import { projectRoot } from '../dev/stack';
import { stackCpuSeconds } from './cpu';
import { readyFrom } from './ready';
import { storageLine } from './storage';

const [refA, refB] = process.argv.slice(2);
if (!refA || !refB) throw new Error('usage: npm run bench:compare -- <refA> <refB>');
const rounds = Number(process.env.COMPARE_ROUNDS ?? 6);
const seconds = Number(process.env.COMPARE_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const scenarioNames = (process.env.COMPARE_ONLY ?? 'cached,miss,cart').split(',');
const root = path.join(projectRoot, '.data', 'compare');
const log = (l: string) => console.log(`[compare] ${l}`);
log(storageLine());
const git = (...args: string[]) => execFileSync('git', args, { cwd: projectRoot, encoding: 'utf8' }).trim();

/** A worktree of `sha` with this checkout's node_modules hard-linked when the lockfiles match, else `npm ci`. */
function treeOf(sha: string): string {
  const dir = path.join(root, 'trees', sha.slice(0, 12));
  if (!fs.existsSync(path.join(dir, 'package.json'))) git('worktree', 'add', '--detach', '--force', dir, sha);
  if (!fs.existsSync(path.join(dir, 'node_modules'))) {
    const sameLock = git('rev-parse', `${sha}:package-lock.json`) === git('hash-object', 'package-lock.json');
    log(`${sha.slice(0, 12)}: ${sameLock ? 'linking node_modules' : 'npm ci (its lockfile differs)'}`);
    if (sameLock) execFileSync('cp', ['-al', path.join(projectRoot, 'node_modules'), dir]);
    else execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  }
  return dir;
}

interface Tree {
  name: string;
  url: string;
  child: ChildProcess;
}

async function start(name: string, dir: string, portBase: number): Promise<Tree> {
  const node22 = path.join(dir, 'node_modules', 'node', 'bin'); // wrangler needs Node 22 (devDependency `node`)
  const child = spawn(
    path.join(dir, 'node_modules', '.bin', 'tsx'),
    [path.join(projectRoot, 'bench', 'compare-serve.ts'), name, String(portBase), path.join(root, 'data', name)],
    {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
      // Local observability off on both sides: a tree from before it was turned off (dev/stack/wrangler.ts) would
      // otherwise run with wrangler's trace collector, about twice the cost per request.
      env: {
        ...process.env,
        PATH: `${node22}:${process.env.PATH}`,
        X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? 'false',
      },
    },
  );
  const url = await readyFrom(child, name, 180_000);
  log(`${name} up at ${url}`);
  return { name, url, child };
}

let client = 0;
const SHOPPERS = 1000;
const fromManyClients = (req: RequestSpec) => ({
  ...req,
  headers: { ...req.headers, 'cf-connecting-ip': `2001:db8::${(client++ % 5000).toString(16)}` },
});
const categories = ['apparel', 'mens', 'womens', 'accessories', 'footwear', 'sneakers', 'boots', 'home', 'kitchen'];
const sorts = ['newest', 'price_asc', 'price_desc'];

/** Each scenario's requests for one tree (state such as the miss counter and the shoppers is per tree). */
async function scenariosFor(t: Tree): Promise<Record<string, RequestSpec[]>> {
  let miss = 0;
  const missPath = () => {
    const i = miss++;
    const c = categories[i % categories.length];
    const s = sorts[Math.floor(i / categories.length) % sorts.length];
    return `/v1/products?category=${c}&sort=${s}&limit=${1 + (Math.floor(i / 27) % 100)}&q=${i % 2 ? 'cotton' : 'black'}`;
  };
  const get = async <T>(p: string, init?: RequestInit) => (await (await fetch(`${t.url}${p}`, init)).json()) as T;
  // Enough shoppers, each adding a different SKU each time, that no cart reaches its bounds (10 per line, 100
  // items) within a comparison: a full cart answers 422 fast and would inflate the rate.
  const tokens: string[] = [];
  for (let i = 0; i < SHOPPERS; i += 50) {
    const batch = Array.from({ length: Math.min(50, SHOPPERS - i) }, async (_, j) => {
      const headers = { 'cf-connecting-ip': `2001:db8:1::${(i + j).toString(16)}` };
      return (await get<{ accessToken: string }>('/v1/auth/guest', { method: 'POST', headers })).accessToken;
    });
    tokens.push(...(await Promise.all(batch)));
  }
  const skus: string[] = [];
  for (const c of ['apparel', 'home', 'outdoor']) {
    for (const p of (await get<{ items: { slug: string }[] }>(`/v1/products?category=${c}&limit=10`)).items)
      skus.push((await get<{ variants: { sku: string }[] }>(`/v1/products/${p.slug}`)).variants[0]!.sku);
  }
  let k = 0;
  return {
    cached: [{ path: '/v1/products?category=apparel&limit=24', setupRequest: fromManyClients }],
    miss: [{ setupRequest: (req) => fromManyClients({ ...req, path: missPath() }) }],
    cart: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const n = k++;
          const shopper = n % SHOPPERS;
          const headers = {
            'content-type': 'application/json',
            authorization: `Bearer ${tokens[shopper]}`,
            'cf-connecting-ip': `2001:db8:2::${shopper.toString(16)}`,
          };
          const body = JSON.stringify({ sku: skus[(shopper + Math.floor(n / SHOPPERS)) % skus.length], quantity: 1 });
          return { ...req, path: '/v1/cart/items', headers, body };
        },
      },
    ],
  };
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  stackUs: number;
  bad: number;
}
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

const trees: Tree[] = [];
const statuses: Record<string, number> = {};
const stopAll = async () => {
  for (const t of trees.splice(0)) {
    try {
      process.kill(-t.child.pid!, 'SIGTERM');
    } catch {}
    await new Promise((r) => (t.child.exitCode === null ? t.child.once('exit', r) : r(null)));
  }
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void stopAll().then(() => process.exit(130)));

try {
  const shas = [git('rev-parse', refA), git('rev-parse', refB)];
  const dirs = shas.map(treeOf);
  trees.push(await start('A', dirs[0]!, 23000));
  trees.push(await start('B', dirs[1]!, 24000));
  const specs = await Promise.all(trees.map(scenariosFor));
  const samples: Record<string, Sample[][]> = {};
  log(`${rounds} rounds of ${seconds}s per scenario and tree, ${connections} connections, order A B B A ...`);
  for (const sc of scenarioNames) {
    if (!specs[0]![sc]) throw new Error(`COMPARE_ONLY: unknown scenario ${sc} (cached, miss, cart)`);
    samples[sc] = [[], []];
    for (let r = 0; r < rounds; r++) {
      for (const i of r % 2 ? [1, 0] : [0, 1]) {
        const t = trees[i]!;
        const requests = specs[i]![sc]!;
        await autocannon({ url: t.url, connections, duration: 1, requests }); // warm-up
        const cpu0 = stackCpuSeconds(t.child.pid!);
        const run = autocannon({ url: t.url, connections, duration: seconds, timeout: 10, requests });
        run.on('response', (_c, status) => {
          if (status >= 300) statuses[status] = (statuses[status] ?? 0) + 1;
        });
        const res = await run;
        const cpu1 = stackCpuSeconds(t.child.pid!);
        const cpuUs = ((cpu1.workerd - cpu0.workerd) / Math.max(1, res.requests.total)) * 1e6;
        const stackUs = ((cpu1.all - cpu0.all) / Math.max(1, res.requests.total)) * 1e6;
        const bad = res.non2xx + res.errors + res.timeouts;
        samples[sc]![i]!.push({
          rps: res.requests.average,
          p50: res.latency.p50,
          p99: res.latency.p99,
          cpuUs,
          stackUs,
          bad,
        });
        const other = Object.entries(statuses).map(([code, n]) => `${n}×${code}`);
        log(
          `${sc} round ${r} ${t.name}: ${res.requests.average.toFixed(0)} req/s, ${cpuUs.toFixed(0)} µs workerd CPU/req, ${stackUs.toFixed(0)} µs stack CPU/req` +
            (other.length ? `, non-2xx ${other.join(' ')}` : ''),
        );
        for (const code of Object.keys(statuses)) delete statuses[code];
      }
    }
  }
  console.log(`\nA = ${refA} (${shas[0]!.slice(0, 12)}), B = ${refB} (${shas[1]!.slice(0, 12)}); medians of ${rounds}`);
  console.log("B/A req/s: the median of the rounds' ratios (each round runs A and B back to back), then each round's");
  console.log(
    'scenario  tree  req/s  p50 ms  p99 ms  workerd µs  stack µs  non-2xx  B/A req/s (per round)        B/A CPU (workerd, stack)',
  );
  for (const sc of scenarioNames) {
    const [a, b] = samples[sc]!;
    const m = (s: Sample[], f: (x: Sample) => number) => median(s.map(f));
    for (const [name, s] of [
      ['A', a!],
      ['B', b!],
    ] as const) {
      const cells = [
        m(s, (x) => x.rps),
        m(s, (x) => x.p50),
        m(s, (x) => x.p99),
        m(s, (x) => x.cpuUs),
        m(s, (x) => x.stackUs),
      ];
      const bad = s.reduce((n, x) => n + x.bad, 0);
      const ratios =
        name === 'B'
          ? `${median(b!.map((x, i) => x.rps / a![i]!.rps)).toFixed(2)} (${b!.map((x, i) => (x.rps / a![i]!.rps).toFixed(2)).join(' ')})`
          : '';
      const cpuRatio =
        name === 'B'
          ? `${(cells[3]! / m(a!, (x) => x.cpuUs)).toFixed(2)}, ${(cells[4]! / m(a!, (x) => x.stackUs)).toFixed(2)}`
          : '';
      console.log(
        `${sc.padEnd(10)}${name.padEnd(6)}${cells.map((c, i) => c.toFixed(0).padStart(i === 3 ? 10 : i === 4 ? 8 : 6)).join('  ')}` +
          `  ${String(bad).padStart(7)}  ${ratios.padEnd(29)}${cpuRatio}`,
      );
    }
  }
} finally {
  await stopAll();
}
