// dev/stack/wrangler.ts — every worker of the local stack under one `wrangler dev` (workerd): a generated config per
// worker with the stack's settings, the process in its own group (so stopping it ends workerd too), and the wait
// until the gateway answers.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { experimental_readRawConfig } from 'wrangler';
import { PortBusyError } from '../ports';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Every worker config; the first one (the gateway) is the one `wrangler dev` serves on the port. */
export const workerConfigs = [
  'wrangler.toml',
  'workers/catalog/wrangler.toml',
  'workers/admin/wrangler.toml',
  'workers/cart/wrangler.toml',
  'workers/checkout/wrangler.toml',
  'workers/storefront/wrangler.toml',
];

async function waitForHttp(
  url: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
  ports: { gateway: number; inspector: number },
) {
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
  notificationsMaxRetries?: number,
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
      // Paths in the copy must still point at the source tree.
      ...(rawConfig.assets?.directory
        ? { assets: { ...rawConfig.assets, directory: path.resolve(path.dirname(source), rawConfig.assets.directory) } }
        : {}),
      vars: { ...declared, ...overrides, ...secrets, ...(rawConfig.name === 'storefront-gateway' ? gatewayVars : {}) },
    };
    const maxRetries: Record<string, number | undefined> = {
      orders: ordersMaxRetries,
      notifications: notificationsMaxRetries,
    };
    if (config.queues?.consumers) {
      config.queues = {
        ...config.queues,
        consumers: config.queues.consumers.map((c: { queue: string }) =>
          maxRetries[c.queue] !== undefined ? { ...c, max_retries: maxRetries[c.queue] } : c,
        ),
      };
    }
    const target = path.join(dir, `${rawConfig.name}.json`);
    fs.writeFileSync(target, `${JSON.stringify(config, null, 2)}\n`);
    return target;
  });
}

/**
 * The environment every `wrangler dev` of ours runs under (the stacks of `npm run dev`, the tests and the benchmarks,
 * and the benchmark's own workers). wrangler 4's local observability (`X_LOCAL_OBSERVABILITY`, on by default) attaches
 * a trace collector to every worker and sends it each invocation's tail events; on workerd's one thread that about
 * doubles what a request costs (`npm run bench:cost`, 2026-11-30: a cached list 3,533 -> 1,647 µs of workerd CPU, a
 * sold-out checkout 7,867 -> 4,333 µs). So it is off unless a developer turns it on to browse traces in wrangler's
 * local explorer: `X_LOCAL_OBSERVABILITY=true npm run dev`. Production tracing is Cloudflare's ([observability]).
 */
export function wranglerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CI: process.env.CI ?? 'true',
    X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? 'false',
  };
}

export interface WranglerOptions {
  dataRoot: string;
  ports: { gateway: number; inspector: number };
  /** Local settings of every worker (secrets in production). */
  secrets: Record<string, string>;
  /** Values for vars the workers declare in their wrangler.toml. */
  vars: Record<string, string>;
  /** Extra vars and secrets for the gateway only. */
  gatewayVars: Record<string, string>;
  ordersMaxRetries?: number;
  notificationsMaxRetries?: number;
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error' | 'none';
  output?: 'inherit' | 'file';
}

/** Starts `wrangler dev` with every worker and waits (90 s at most) until the gateway answers /health. */
export async function startWrangler(
  opts: WranglerOptions,
): Promise<{ url: string; log: string; stop(): Promise<void>; crash(): Promise<void> }> {
  const { dataRoot, ports } = opts;
  const configs = writeDevConfigs(
    path.join(dataRoot, 'config'),
    opts.secrets,
    opts.vars,
    opts.gatewayVars,
    opts.ordersMaxRetries,
    opts.notificationsMaxRetries,
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
    // GET /__scheduled runs the gateway's Cron Trigger (the refresh-token pruning) on demand.
    '--test-scheduled',
    ...(opts.logLevel ? ['--log-level', opts.logLevel] : []),
  ];
  const wranglerLog = path.join(dataRoot, 'wrangler.log');
  const out = opts.output === 'inherit' ? 'inherit' : fs.openSync(wranglerLog, 'a');
  const child = spawn(path.join(projectRoot, 'node_modules/.bin/wrangler'), args, {
    cwd: projectRoot,
    stdio: ['ignore', out, out],
    detached: true, // its own process group, so stop() ends wrangler and workerd together
    env: wranglerEnv(),
  });
  const stop = () => stopChild(child);
  const url = `http://127.0.0.1:${ports.gateway}`;
  try {
    await waitForHttp(`${url}/health`, child, wranglerLog, 90_000, ports);
  } catch (err) {
    await stop();
    throw err;
  }
  // A crash (the chaos suite): SIGKILL to wrangler and workerd at once, no shutdown; resolves once wrangler is gone.
  const crash = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  };
  return { url, log: wranglerLog, stop, crash };
}
