// Starts the whole local stack for the projects that reach it (fresh data in a temp dir, on ports nobody listens
// on) and stops it after the last of them. Each such project lists this file as its globalSetup; vitest loads it
// once per project, so the one stack lives on globalThis and counts its users. What the tests need to reach it
// (URLs, accounts, a control endpoint) is handed to each project with `provide`; the workerd projects bind it
// through `inject` in vitest.config.ts. The e2e project also gets one Chromium server for its browser files
// (test/e2e/chromium.ts), started alongside the stack and stopped with the project.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { BrowserServer } from 'playwright-core';
import type { ProvidedContext } from 'vitest';
import type { TestProject } from 'vitest/node';
import { newSigningKey } from '../dev/keys';
import { type Stack, startStackOnFreePorts, UPSTASH_DEV_TOKEN } from '../dev/stack';
import { chromiumMissing, startChromiumServer } from './e2e/chromium';
import { testNotificationsMaxRetries, testOrdersMaxRetries, testVars, upstashSuite } from './stack.config';

interface Running {
  provided: Partial<ProvidedContext>;
  stop(): Promise<void>;
}
interface Shared {
  running: Promise<Running>;
  users: number;
}
const slot = globalThis as { [key: symbol]: Shared | undefined };
const KEY = Symbol.for('storefront.test-stack');

/** Loopback endpoint through which the "database down" tests stop and start this process's Postgres and Redis. */
async function serveControl(s: Stack): Promise<http.Server> {
  const actions: Record<string, () => Promise<void>> = {
    '/stopAll': () => s.pg.stopAll(),
    '/startAll': () => s.pg.startAll(),
    '/stopPrimary': () => s.pg.stopPrimary(),
    '/stopReplica': () => s.pg.stopReplica(),
    // The second region's replica (eu): the regional-replica tests stop and start it alone.
    '/stopReplicaEu': () => s.pg.stopReplica(1),
    '/startReplicaEu': () => s.pg.startReplica(1),
    ...(s.redis ? { '/stopRedis': s.redis.stop, '/startRedis': s.redis.start } : {}),
    // The chaos suite's faults (test/e2e/chaos.test.ts): a hung or killed server, crashed workers.
    '/hangPrimary': () => s.pg.signal('primary', 'SIGSTOP'),
    '/resumePrimary': () => s.pg.signal('primary', 'SIGCONT'),
    '/killPrimary': () => s.pg.signal('primary', 'SIGKILL'),
    '/startPrimary': () => s.pg.startPrimary(),
    '/killReplica': () => s.pg.signal(0, 'SIGKILL'),
    '/startReplica': () => s.pg.startReplica(0),
    '/crashWorkers': () => s.crashWorkers(),
    '/startWorkers': () => s.startWorkers(),
  };
  const control = http.createServer((req, res) => {
    const action = req.method === 'POST' ? actions[req.url ?? ''] : undefined;
    if (!action) return void res.writeHead(404).end();
    action().then(
      () => res.writeHead(204).end(),
      (err) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  return control;
}

async function startTestStack(): Promise<Running> {
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'storefront-test-'));
  const removeData = () => {
    if (!process.env.KEEP_TEST_DATA) fs.rmSync(dataRoot, { recursive: true, force: true });
  };
  const started = Date.now();
  // A key from "before the rollover": no longer signing, still accepted (JWT_PUBLIC_KEYS), so the tests can
  // prove that tokens signed by it verify while tokens from an unlisted key do not.
  const previousKey = await newSigningKey('previous-test-key');
  const { d: _d, ...previousPublic } = previousKey;
  let stack: Stack;
  try {
    stack = await startStackOnFreePorts({
      dataRoot,
      vars: testVars,
      // Without redis-server (and outside CI) the gateway's `auto` backend is the built-in RateLimiterDO.
      upstash: upstashSuite() ? 'required' : 'off',
      ordersMaxRetries: testOrdersMaxRetries,
      notificationsMaxRetries: testNotificationsMaxRetries,
      stripeWebhookRetry: { baseDelayMs: 250, maxAttempts: 8, timeoutMs: 5000 },
      gatewayVars: { JWT_PUBLIC_KEYS: JSON.stringify({ keys: [previousPublic] }) },
      log: (l) => console.log(`[test stack] ${l}`),
    });
  } catch (err) {
    removeData();
    throw err;
  }
  console.log(`[test stack] up in ${((Date.now() - started) / 1000).toFixed(1)}s at ${stack.url}`);
  const control = await serveControl(stack);
  return {
    provided: {
      gatewayUrl: stack.url,
      previousSigningKey: JSON.stringify(previousKey),
      devAccounts: JSON.stringify(stack.accounts),
      pgControlUrl: `http://127.0.0.1:${(control.address() as { port: number }).port}`,
      stripeUrl: stack.stripeUrl,
      alertSinkUrl: stack.alertSinkUrl,
      mailSinkUrl: stack.mailSinkUrl,
      workerLog: stack.wranglerLog,
      wranglerState: path.join(stack.dataRoot, 'wrangler'),
      databaseUrl: stack.pg.primaryUrl,
      databaseReplicaUrl: stack.pg.replicaUrl,
      databaseReplicaEuUrl: stack.pg.replicaUrls[1]!,
      neonProxy: `127.0.0.1:${stack.ports.neonProxy}`,
      rateLimitBackend: stack.upstashUrl ? 'upstash' : 'durable-object',
      ...(stack.upstashUrl ? { upstashUrl: stack.upstashUrl, upstashToken: UPSTASH_DEV_TOKEN } : {}),
    },
    async stop() {
      control.close();
      await stack.stop();
      removeData();
    },
  };
}

/**
 * The e2e project's Chromium, started while the stack starts. Without Chromium nothing is started and the browser
 * files fail saying how to get it (launchChromium); the other e2e files run.
 */
async function startChromium(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (project.name !== 'e2e' || chromiumMissing()) {
    project.provide('chromiumWsEndpoint', '');
    return undefined;
  }
  const server: BrowserServer = await startChromiumServer();
  project.provide('chromiumWsEndpoint', server.wsEndpoint());
  return () => server.close();
}

export async function setup(project: TestProject) {
  const chromium = startChromium(project);
  slot[KEY] ??= { running: startTestStack(), users: 0 };
  const shared = slot[KEY];
  shared.users++;
  let running: Running;
  let stopChromium: (() => Promise<void>) | undefined;
  try {
    [running, stopChromium] = await Promise.all([shared.running, chromium]);
  } catch (err) {
    shared.users--;
    await (await chromium.catch(() => undefined))?.();
    throw err;
  }
  for (const [key, value] of Object.entries(running.provided)) project.provide(key as keyof ProvidedContext, value);
  return async () => {
    await stopChromium?.();
    if (--shared.users > 0) return;
    slot[KEY] = undefined;
    await running.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    gatewayUrl: string;
    previousSigningKey: string;
    devAccounts: string;
    pgControlUrl: string;
    stripeUrl: string;
    /** The local alert webhook receiver (dev/alert-sink.ts); the gateway's ALERT_WEBHOOK_URL is its /hook. */
    alertSinkUrl: string;
    /** The local mail sink (dev/mail-sink.ts): every email the stack sent, at /_local/mail. */
    mailSinkUrl: string;
    /** The file where wrangler dev writes every worker's log lines (test/e2e/worker-log.ts reads it). */
    workerLog: string;
    /** wrangler dev's --persist-to folder: local R2, KV, Durable Objects (the archive test reads the ARCHIVE bucket). */
    wranglerState: string;
    databaseUrl: string;
    /** The first replica, region `us` (dev/stack.ts LOCAL_REGIONS). */
    databaseReplicaUrl: string;
    /** The second replica, region `eu`. */
    databaseReplicaEuUrl: string;
    /** host:port of the stack's Neon proxy (NEON_LOCAL_PROXY). */
    neonProxy: string;
    rateLimitBackend: 'upstash' | 'durable-object';
    /** The Upstash REST bridge and its token; provided only when the stack runs redis-server. */
    upstashUrl: string;
    upstashToken: string;
    /** The e2e project's shared Chromium server (playwright `connect`); empty where Chromium is missing. */
    chromiumWsEndpoint: string;
  }
}
