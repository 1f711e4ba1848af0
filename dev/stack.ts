// The whole local system, started in order and stopped in reverse: PostgreSQL primary + streaming replica,
// migrations and seed, the local Neon proxy, and every worker under one `wrangler dev` (workerd).
// Used by `npm run dev` (dev/start.ts), by the end-to-end tests and by the benchmark.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { experimental_readRawConfig } from 'wrangler';
import { runMigrations } from '../db/migrate';
import { seed } from '../db/seed';
import { devAccounts, seedDevAccounts } from '../db/seed-accounts';
import { devSigningKey } from './keys';
import { type NeonProxy, startNeonProxy } from './neon-proxy';
import { assertPortFree, PortBusyError, withFreePorts } from './ports';
import { type PgCluster, startPostgres } from './postgres';
import { redisAvailable, startRedis } from './redis';
import { startStripeLocal } from './stripe-local';
import { startUpstashBridge } from './upstash-bridge';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** Every worker config; the first one (the gateway) is the one `wrangler dev` serves on the port. */
export const workerConfigs = [
  'wrangler.toml',
  'workers/catalog/wrangler.toml',
  'workers/admin/wrangler.toml',
  'workers/cart/wrangler.toml',
  'workers/checkout/wrangler.toml',
];

export interface StackPorts {
  gateway: number;
  inspector: number;
  pgPrimary: number;
  pgReplica: number;
  neonProxy: number;
  redis: number;
  upstashBridge: number;
  stripe: number;
}
export const defaultPorts: StackPorts = {
  gateway: 8787,
  inspector: 9230,
  pgPrimary: 54320,
  pgReplica: 54321,
  neonProxy: 54330,
  redis: 54340,
  upstashBridge: 54341,
  stripe: 12111,
};

/** The local Stripe server's keys: test-mode shapes, never valid at Stripe. */
export const STRIPE_DEV_SECRET_KEY = 'sk_test_local_storefront';
export const STRIPE_DEV_WEBHOOK_SECRET = 'whsec_local_storefront_dev_secret';

export interface StackOptions {
  dataRoot: string;
  ports?: Partial<StackPorts>;
  /** Values for vars the workers declare in their wrangler.toml (e.g. shorter cache times in tests). */
  vars?: Record<string, string>;
  /** Extra vars and secrets for the gateway only (e.g. JWT_PUBLIC_KEYS, RATE_LIMIT_BACKEND). */
  gatewayVars?: Record<string, string>;
  /** Upstash path for rate limits: 'auto' starts redis-server + the bridge when redis-server is installed. */
  upstash?: 'auto' | 'required' | 'off';
  log?: (line: string) => void;
  /** wrangler's --log-level (the benchmark uses 'warn' so per-request log lines do not dominate). */
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error' | 'none';
  /** Where wrangler's own output goes (default: a file in dataRoot). */
  wranglerOutput?: 'inherit' | 'file';
  /** max_retries of the `orders` Queue consumer (tests use fewer to reach the dead-letter queue quickly). */
  ordersMaxRetries?: number;
  /** Webhook delivery retries of the local Stripe server (base delay, attempts). */
  stripeWebhookRetry?: { baseDelayMs: number; maxAttempts: number; timeoutMs: number };
}

export interface Stack {
  url: string;
  ports: StackPorts;
  pg: PgCluster;
  /** Present when rate limits run on Upstash (the local bridge to redis-server). */
  redis?: { url: string; stop(): Promise<void>; start(): Promise<void> };
  upstashUrl?: string;
  stripeUrl: string;
  accounts: typeof devAccounts;
  dataRoot: string;
  wranglerLog: string;
  stop(): Promise<void>;
}

export const UPSTASH_DEV_TOKEN = 'dev-upstash-token';

async function waitForHttp(url: string, child: ChildProcess, logFile: string, timeoutMs: number, ports: StackPorts) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const last = tail(logFile);
      // Lost the gateway or inspector port between the probe and wrangler's bind: the caller may retry elsewhere.
      if (/EADDRINUSE|address already in use/i.test(last)) {
        const inspector = last.includes(String(ports.inspector));
        throw new PortBusyError(
          inspector ? ports.inspector : ports.gateway,
          inspector ? 'wrangler inspector' : 'gateway',
        );
      }
      throw new Error(`wrangler dev exited (code ${child.exitCode}); see ${logFile}\n${last}`);
    }
    // Each attempt is bounded by a timer of its own as well as the fetch signal: a first request can take
    // seconds while workerd compiles, and no attempt may outlive the deadline.
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        fetch(url, { signal: AbortSignal.timeout(10_000) }).then((res) => res.arrayBuffer()),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('attempt timed out')), 11_000);
        }),
      ]);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      clearTimeout(timer);
    }
  }
  throw new Error(`wrangler dev did not answer ${url} within ${timeoutMs / 1000}s; see ${logFile}\n${tail(logFile)}`);
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  // wrangler runs workerd as its child in the same process group (we made wrangler a group leader): signal
  // the group, and the process itself should the group be gone.
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {}
    }
  };
  return new Promise((resolve) => {
    const kill = setTimeout(() => signal('SIGKILL'), timeoutMs);
    const giveUp = setTimeout(resolve, timeoutMs + 3000); // never hang a shutdown on a lost exit event
    child.once('exit', () => {
      clearTimeout(kill);
      clearTimeout(giveUp);
      resolve();
    });
    signal('SIGTERM');
  });
}

/**
 * `wrangler dev` applies --var only to the first config, so each worker gets a generated JSON copy of its
 * wrangler.toml: the local database settings (secrets in production) added, and the vars it declares
 * replaced by this stack's values where given (test settings).
 */
function writeDevConfigs(
  dir: string,
  secrets: Record<string, string>,
  vars: Record<string, string>,
  gatewayVars: Record<string, string>,
  ordersMaxRetries?: number,
): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return workerConfigs.map((rel) => {
    const source = path.join(projectRoot, rel);
    const { rawConfig } = experimental_readRawConfig({ config: source });
    const declared = (rawConfig.vars ?? {}) as Record<string, unknown>;
    const overrides = Object.fromEntries(Object.entries(vars).filter(([k]) => k in declared));
    const config = {
      ...rawConfig,
      main: path.resolve(path.dirname(source), rawConfig.main!),
      vars: { ...declared, ...overrides, ...secrets, ...(rawConfig.name === 'storefront-gateway' ? gatewayVars : {}) },
    };
    if (ordersMaxRetries !== undefined && config.queues?.consumers) {
      config.queues = {
        ...config.queues,
        consumers: config.queues.consumers.map((c: { queue: string }) =>
          c.queue === 'orders' ? { ...c, max_retries: ordersMaxRetries } : c,
        ),
      };
    }
    const target = path.join(dir, `${rawConfig.name}.json`);
    fs.writeFileSync(target, `${JSON.stringify(config, null, 2)}\n`);
    return target;
  });
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => {});
  const ports = { ...defaultPorts, ...opts.ports };
  const dataRoot = path.resolve(opts.dataRoot);
  fs.mkdirSync(dataRoot, { recursive: true });
  fs.chmodSync(dataRoot, 0o755); // the postgres OS user must be able to reach its data below this

  await assertPortFree(ports.gateway, 'gateway');
  await assertPortFree(ports.inspector, 'wrangler inspector');
  await assertPortFree(ports.neonProxy, 'Neon proxy');

  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err) => log(`stop: ${String(err)}`));
  };
  try {
    log(`PostgreSQL 18: primary on 127.0.0.1:${ports.pgPrimary}, streaming replica on 127.0.0.1:${ports.pgReplica}`);
    const pg = await startPostgres({
      dataDir: path.join(dataRoot, 'postgres'),
      primaryPort: ports.pgPrimary,
      replicaPort: ports.pgReplica,
    });
    cleanups.push(() => pg.stop());

    log('migrations and seed (idempotent)');
    await runMigrations(pg.primaryUrl);
    const counts = await seed(pg.primaryUrl);
    log(`catalog: ${counts.products} products, ${counts.variants} variants, ${counts.categories} categories`);
    await seedDevAccounts(pg.primaryUrl);

    log(`Neon proxy (WebSocket + HTTP /sql) on 127.0.0.1:${ports.neonProxy}`);
    const proxy: NeonProxy = await startNeonProxy({ port: ports.neonProxy });
    cleanups.push(() => proxy.close());

    await assertPortFree(ports.stripe, 'local Stripe');
    log(`local Stripe (PaymentIntents, refunds, signed webhooks) on 127.0.0.1:${ports.stripe}`);
    const stripe = await startStripeLocal({
      port: ports.stripe,
      webhookUrl: `http://127.0.0.1:${ports.gateway}/v1/webhooks/stripe`,
      webhookSecret: STRIPE_DEV_WEBHOOK_SECRET,
      apiKey: STRIPE_DEV_SECRET_KEY,
      ...(opts.stripeWebhookRetry ? { webhookRetry: opts.stripeWebhookRetry } : {}),
    });
    cleanups.push(() => stripe.stop());

    const dbSecrets = {
      DATABASE_URL: pg.primaryUrl,
      DATABASE_REPLICA_URL: pg.replicaUrl,
      NEON_LOCAL_PROXY: `127.0.0.1:${ports.neonProxy}`,
      STRIPE_SECRET_KEY: STRIPE_DEV_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: STRIPE_DEV_WEBHOOK_SECRET,
    };
    const gatewayVars: Record<string, string> = { JWT_SIGNING_KEY: JSON.stringify(await devSigningKey(dataRoot)) };

    const upstash = opts.upstash ?? 'auto';
    let redis: Stack['redis'];
    let upstashUrl: string | undefined;
    if (upstash === 'required' || (upstash === 'auto' && redisAvailable())) {
      await assertPortFree(ports.upstashBridge, 'Upstash bridge');
      const redisDir = path.join(dataRoot, 'redis');
      fs.mkdirSync(redisDir, { recursive: true });
      log(
        `redis-server on 127.0.0.1:${ports.redis}, Upstash REST bridge on 127.0.0.1:${ports.upstashBridge} (rate limits)`,
      );
      let server = await startRedis({ port: ports.redis, dataDir: redisDir });
      const bridge = await startUpstashBridge({
        port: ports.upstashBridge,
        redisPort: ports.redis,
        token: UPSTASH_DEV_TOKEN,
      });
      cleanups.push(() => bridge.close());
      cleanups.push(() => server.stop());
      redis = {
        url: server.url,
        stop: () => server.stop(),
        start: async () => {
          server = await startRedis({ port: ports.redis, dataDir: redisDir });
        },
      };
      upstashUrl = bridge.url;
      gatewayVars.UPSTASH_REDIS_REST_URL = bridge.url;
      gatewayVars.UPSTASH_REDIS_REST_TOKEN = UPSTASH_DEV_TOKEN;
    } else {
      log('rate limits on the built-in Durable Object backend (install redis-server to run the Upstash path)');
    }
    Object.assign(gatewayVars, opts.gatewayVars);
    const configs = writeDevConfigs(
      path.join(dataRoot, 'config'),
      dbSecrets,
      { STRIPE_API_BASE: stripe.url, ...opts.vars },
      gatewayVars,
      opts.ordersMaxRetries,
    );
    const args = [
      'dev',
      ...configs.flatMap((c) => ['-c', c]),
      '--ip',
      '127.0.0.1',
      '--port',
      String(ports.gateway),
      '--inspector-port',
      String(ports.inspector),
      '--persist-to',
      path.join(dataRoot, 'wrangler'),
      '--show-interactive-dev-session=false',
      ...(opts.logLevel ? ['--log-level', opts.logLevel] : []),
    ];
    const wranglerLog = path.join(dataRoot, 'wrangler.log');
    const out = opts.wranglerOutput === 'inherit' ? 'inherit' : fs.openSync(wranglerLog, 'a');
    log(`workers under wrangler dev (workerd): gateway, catalog, admin, cart, checkout`);
    const child = spawn(path.join(projectRoot, 'node_modules/.bin/wrangler'), args, {
      cwd: projectRoot,
      stdio: ['ignore', out, out],
      detached: true, // its own process group, so stop() ends wrangler and workerd together
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: process.env.CI ?? 'true' },
    });
    cleanups.push(() => stopChild(child));
    const url = `http://127.0.0.1:${ports.gateway}`;
    await waitForHttp(`${url}/health`, child, wranglerLog, 90_000, ports);
    return {
      url,
      ports,
      pg,
      redis,
      upstashUrl,
      stripeUrl: stripe.url,
      accounts: devAccounts,
      dataRoot,
      wranglerLog,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts the stack on ports nobody listens on (the test stack, or a second stack beside `npm run dev`); when a
 * port is lost to another process while starting, it starts again on others (the data folder is reused).
 */
export function startStackOnFreePorts(opts: Omit<StackOptions, 'ports'>): Promise<Stack> {
  const names = Object.keys(defaultPorts) as (keyof StackPorts)[];
  return withFreePorts(
    names.length,
    (picked) => startStack({ ...opts, ports: Object.fromEntries(names.map((name, i) => [name, picked[i]])) }),
    { log: opts.log },
  );
}
