// What every benchmark scenario shares: its knobs (env), its own ports and data folder, the bare baseline worker,
// a stack per rate-limit backend, and the typed API client (lib/client) for the calls that set a scenario up.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot, type StackOptions } from '../dev/stack';
import { wranglerEnv } from '../dev/stack/wrangler';
import { createStorefrontClient, type StorefrontClient } from '../lib/client';
import { readyFrom } from './ready';
import type { ServedStack } from './stack-serve';
import { freshState, storageLine } from './storage';

export const seconds = Number(process.env.BENCH_SECONDS ?? 8);
export const maxRequests = Number(process.env.BENCH_MAX_REQUESTS ?? 200_000);
export const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ports = {
  gateway: 28787,
  inspector: 29230,
  pgPrimary: 25432,
  pgReplica: 25433,
  pgReplica2: 25434,
  neonProxy: 25440,
  redis: 25450,
  upstashBridge: 25451,
  stripe: 25460,
  alertSink: 25461,
};
export const barePort = 28790;
export const inventoryBenchPort = 28791;

/**
 * Scenarios to run (BENCH_ONLY=flash,cart,...; all when unset): bare, cached, miss, cart, flash, inventory, limiter,
 * figures (the cached list with the figures' recording off, then on), page (the storefront's cached product page),
 * search (cache-miss searches by query class at BENCH_SEARCH_PRODUCTS products: ./search.ts).
 */
export const scenarios = [
  'bare',
  'cached',
  'miss',
  'cart',
  'flash',
  'inventory',
  'limiter',
  'figures',
  'page',
  'search',
] as const;
const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const o of only)
  if (!(scenarios as readonly string[]).includes(o))
    throw new Error(`BENCH_ONLY: unknown scenario ${JSON.stringify(o)} (one of ${scenarios.join(', ')})`);
export const runs = (s: (typeof scenarios)[number]) => only.length === 0 || only.includes(s);
const dataRoot = path.join(projectRoot, '.data', 'bench');
export const log = (l: string) => console.log(`[bench] ${l}`);

log(storageLine());

/** The API of `stack` through the typed client, as `token`'s holder, from client address `ip` (rate limits). */
export const apiOf = (stack: { url: string }, token?: string, ip?: string): StorefrontClient =>
  createStorefrontClient(stack.url, {
    token,
    timeoutMs: 60_000,
    headers: ip ? { 'cf-connecting-ip': ip } : {},
  });

type Call<T> = () => Promise<{ data?: T; error?: unknown; response: Response }>;

/**
 * The data of a setup call that must succeed, or an error naming it. A 503 (the database busy under the burst
 * that sets a scenario up) is retried as the answer asks, at most three times.
 */
export async function ok<T>(what: string, call: Call<T>): Promise<NonNullable<T>> {
  for (let attempt = 1; ; attempt++) {
    const { data, error, response } = await call();
    if (response.ok && data !== undefined) return data as NonNullable<T>;
    if (response.status !== 503 || attempt === 4)
      throw new Error(`${what}: ${response.status} ${JSON.stringify(error)}`);
    await new Promise((r) => setTimeout(r, 1000 * Number(response.headers.get('retry-after') ?? 1)));
  }
}

/** A benchmark worker of its own under wrangler dev (bench/<dir>/wrangler.toml) on `port`. */
function startBenchWorker(dir: string, port: number, inspectorPort: number): ChildProcess {
  const workerLog = path.join(dataRoot, `${dir}.log`);
  fs.mkdirSync(dataRoot, { recursive: true });
  return spawn(
    path.join(projectRoot, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '-c',
      `bench/${dir}/wrangler.toml`,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      freshState(path.join(dataRoot, `${dir}-state`)),
      '--show-interactive-dev-session=false',
      '--log-level',
      'warn',
    ],
    {
      cwd: projectRoot,
      stdio: ['ignore', fs.openSync(workerLog, 'a'), fs.openSync(workerLog, 'a')],
      detached: true,
      env: wranglerEnv(),
    },
  );
}

/** The bare worker (a constant answer): the ceiling that the gateway's figures are compared with. */
export const startBareWorker = () => startBenchWorker('bare', barePort, 29231);

/** The hot-InventoryDO worker (bench/inventory): one object driven from inside workerd. */
export const startInventoryWorker = () => startBenchWorker('inventory', inventoryBenchPort, 29232);

/** What the benchmark reads of a stack it started (bench/stack-serve.ts), and how it stops it. */
export type BenchStack = ServedStack & { stop(): Promise<void> };

let current: BenchStack | undefined;
/** Stops the stack of the scenario under way, if any (on Ctrl-C). */
export const stopCurrentStack = () => current?.stop();

/**
 * Starts the stack in a process of its own (bench/stack-serve.ts): its helper servers (the Upstash bridge, the local
 * Stripe...) then answer from an event loop that the load generator in this process does not hold up.
 */
async function startStackProcess(opts: StackOptions, logLines: boolean): Promise<BenchStack> {
  const child = spawn(
    path.join(projectRoot, 'node_modules/.bin/tsx'),
    [path.join(projectRoot, 'bench/stack-serve.ts'), JSON.stringify(opts), logLines ? 'log' : ''],
    { cwd: projectRoot, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const served = JSON.parse(await readyFrom(child, 'the benchmark')) as ServedStack;
  let stopped: Promise<void> | undefined;
  return {
    ...served,
    stop: () => {
      stopped ??= (async () => {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
        await exited;
        clearTimeout(kill);
      })();
      return stopped;
    },
  };
}

/**
 * A stack with one rate-limit backend (limits far above the load, so the check runs and never refuses), or
 * `production`: the limiter exactly as `npm run dev` runs it (wrangler.toml's rules, backend and deadline;
 * Upstash when redis-server is installed, else the RateLimiterDO).
 */
export async function withStack<T>(
  backend: 'off' | 'durable-object' | 'upstash' | 'production',
  fn: (s: BenchStack) => Promise<T>,
  extraVars: Record<string, string> = {},
  /** A catalog of this many products (db/seed.ts), in a data folder of its own (.data/bench/search-<N>). */
  seedProducts?: number,
): Promise<T> {
  const root = seedProducts ? path.join(dataRoot, `search-${seedProducts}`) : dataRoot;
  // A fresh edge cache every run, so "miss" requests really miss (Postgres data is kept: the seed is idempotent).
  freshState(path.join(root, 'wrangler'));
  log(`starting the stack with rate limits: ${backend}${seedProducts ? `, ${seedProducts} products` : ''}`);
  const opts: StackOptions = {
    dataRoot: root,
    ports,
    logLevel: 'warn',
    ...(seedProducts ? { seedProducts } : {}),
    ...(backend === 'production'
      ? { upstash: 'auto' as const }
      : {
          upstash: backend === 'upstash' ? ('required' as const) : ('off' as const),
          vars: {
            RATE_LIMIT_BACKEND: backend,
            RATE_LIMIT_ANONYMOUS: '1000000000/60',
            RATE_LIMIT_TIMEOUT_MS: '5000',
            ...extraVars,
          },
        }),
  };
  current = await startStackProcess(opts, seedProducts !== undefined);
  try {
    return await fn(current);
  } finally {
    await current.stop();
    current = undefined;
  }
}
