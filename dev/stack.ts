// The whole local system, started in order and stopped in reverse: PostgreSQL primary + streaming replica,
// migrations and seed, the local Neon proxy, and every worker under one `wrangler dev` (workerd).
// Used by `npm run dev` (dev/start.ts), by the end-to-end tests and by the benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { experimental_readRawConfig } from 'wrangler';
import { runMigrations } from '../db/migrate';
import { seed } from '../db/seed';
import { startNeonProxy, type NeonProxy } from './neon-proxy';
import { startPostgres, type PgCluster } from './postgres';

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
}
export const defaultPorts: StackPorts = { gateway: 8787, inspector: 9230, pgPrimary: 54320, pgReplica: 54321, neonProxy: 54330 };

export interface StackOptions {
  dataRoot: string;
  ports?: Partial<StackPorts>;
  /** Values for vars the workers declare in their wrangler.toml (e.g. shorter cache times in tests). */
  vars?: Record<string, string>;
  log?: (line: string) => void;
  /** wrangler's --log-level (the benchmark uses 'warn' so per-request log lines do not dominate). */
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error' | 'none';
  /** Where wrangler's own output goes (default: a file in dataRoot). */
  wranglerOutput?: 'inherit' | 'file';
}

export interface Stack {
  url: string;
  ports: StackPorts;
  pg: PgCluster;
  adminToken: string;
  dataRoot: string;
  wranglerLog: string;
  stop(): Promise<void>;
}

export const DEV_ADMIN_TOKEN = 'dev-admin-token';

async function assertPortFree(port: number, what: string) {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', () =>
      reject(new Error(`port ${port} (${what}) is busy: stop whatever listens on 127.0.0.1:${port}, or choose another port`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

async function waitForHttp(url: string, child: ChildProcess, logFile: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (code ${child.exitCode}); see ${logFile}\n${tail(logFile)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
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
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // wrangler runs workerd as its child in the same process group: end the group we created.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

/**
 * `wrangler dev` applies --var only to the first config, so each worker gets a generated JSON copy of its
 * wrangler.toml: the local database settings (secrets in production) added, and the vars it declares
 * replaced by this stack's values where given (test settings).
 */
function writeDevConfigs(dir: string, secrets: Record<string, string>, vars: Record<string, string>): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return workerConfigs.map((rel) => {
    const source = path.join(projectRoot, rel);
    const { rawConfig } = experimental_readRawConfig({ config: source });
    const declared = (rawConfig.vars ?? {}) as Record<string, unknown>;
    const overrides = Object.fromEntries(Object.entries(vars).filter(([k]) => k in declared));
    const config = {
      ...rawConfig,
      main: path.resolve(path.dirname(source), rawConfig.main!),
      vars: { ...declared, ...overrides, ...(rawConfig.name === 'storefront-gateway' ? {} : secrets) },
    };
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
    const pg = await startPostgres({ dataDir: path.join(dataRoot, 'postgres'), primaryPort: ports.pgPrimary, replicaPort: ports.pgReplica });
    cleanups.push(() => pg.stop());

    log('migrations and seed (idempotent)');
    await runMigrations(pg.primaryUrl);
    const counts = await seed(pg.primaryUrl);
    log(`catalog: ${counts.products} products, ${counts.variants} variants, ${counts.categories} categories`);

    log(`Neon proxy (WebSocket + HTTP /sql) on 127.0.0.1:${ports.neonProxy}`);
    const proxy: NeonProxy = await startNeonProxy({ port: ports.neonProxy });
    cleanups.push(() => proxy.close());

    const dbSecrets = {
      DATABASE_URL: pg.primaryUrl,
      DATABASE_REPLICA_URL: pg.replicaUrl,
      NEON_LOCAL_PROXY: `127.0.0.1:${ports.neonProxy}`,
    };
    const configs = writeDevConfigs(path.join(dataRoot, 'config'), dbSecrets, opts.vars ?? {});
    // Secrets of the gateway only (the first config), which --var reaches.
    const secrets = { ADMIN_TOKEN: DEV_ADMIN_TOKEN };
    const args = [
      'dev',
      ...configs.flatMap((c) => ['-c', c]),
      '--ip', '127.0.0.1',
      '--port', String(ports.gateway),
      '--inspector-port', String(ports.inspector),
      '--persist-to', path.join(dataRoot, 'wrangler'),
      '--show-interactive-dev-session=false',
      ...(opts.logLevel ? ['--log-level', opts.logLevel] : []),
      ...Object.entries(secrets).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
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
    await waitForHttp(`${url}/health`, child, wranglerLog, 90_000);
    return { url, ports, pg, adminToken: DEV_ADMIN_TOKEN, dataRoot, wranglerLog, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
