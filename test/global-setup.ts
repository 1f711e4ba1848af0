// Starts the whole local stack once for the test run (fresh data in a temp dir) and stops it afterwards.
// The end-to-end tests reach the stack's gateway; the in-workerd tests reach its Postgres through its Neon proxy.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { newSigningKey } from '../dev/keys';
import { type Stack, startStack } from '../dev/stack';
import { testOrdersMaxRetries, testPorts, testVars } from './stack.config';

let stack: Stack | undefined;
let dataRoot: string | undefined;
let control: http.Server | undefined;

/** Loopback endpoint through which the "database down" tests stop and start this process's Postgres. */
async function serveControl(s: Stack): Promise<string> {
  const actions: Record<string, () => Promise<void>> = {
    '/stopAll': () => s.pg.stopAll(),
    '/startAll': () => s.pg.startAll(),
    '/stopPrimary': () => s.pg.stopPrimary(),
    '/stopReplica': () => s.pg.stopReplica(),
    '/stopRedis': () => s.redis!.stop(),
    '/startRedis': () => s.redis!.start(),
  };
  control = http.createServer((req, res) => {
    const action = req.method === 'POST' ? actions[req.url ?? ''] : undefined;
    if (!action) return void res.writeHead(404).end();
    action().then(
      () => res.writeHead(204).end(),
      (err) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve) => control!.listen(0, '127.0.0.1', resolve));
  const address = control.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

export async function setup(project: TestProject) {
  dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'storefront-test-'));
  const started = Date.now();
  // A key from "before the rollover": no longer signing, still accepted (JWT_PUBLIC_KEYS), so the tests can
  // prove that tokens signed by it verify while tokens from an unlisted key do not.
  const previousKey = await newSigningKey('previous-test-key');
  const { d: _d, ...previousPublic } = previousKey;
  stack = await startStack({
    dataRoot,
    ports: testPorts,
    vars: testVars,
    upstash: 'required',
    ordersMaxRetries: testOrdersMaxRetries,
    stripeWebhookRetry: { baseDelayMs: 250, maxAttempts: 8, timeoutMs: 5000 },
    gatewayVars: { JWT_PUBLIC_KEYS: JSON.stringify({ keys: [previousPublic] }) },
    log: (l) => console.log(`[test stack] ${l}`),
  });
  console.log(`[test stack] up in ${((Date.now() - started) / 1000).toFixed(1)}s at ${stack.url}`);
  project.provide('gatewayUrl', stack.url);
  project.provide('previousSigningKey', JSON.stringify(previousKey));
  project.provide('devAccounts', JSON.stringify(stack.accounts));
  project.provide('upstashUrl', stack.upstashUrl!);
  project.provide('pgControlUrl', await serveControl(stack));
  project.provide('stripeUrl', stack.stripeUrl);
}

export async function teardown() {
  control?.close();
  await stack?.stop();
  if (dataRoot && !process.env.KEEP_TEST_DATA) fs.rmSync(dataRoot, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    gatewayUrl: string;
    previousSigningKey: string;
    devAccounts: string;
    upstashUrl: string;
    pgControlUrl: string;
    stripeUrl: string;
  }
}
