// The whole `npm run deploy` flow end to end against a fake wrangler (dev/deploy/fake-wrangler.ts) that keeps
// an account in a JSON file and, like the platform, refuses a deploy whose bound workers, KV ids or queues are
// missing. The configs are copies of the real ones in a temp dir, since deploy writes ids into them. Most
// cases answer in-process; the first deploy and the timeout run the fake as a real child process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot, workerConfigs } from '../stack';
import { type FakeAccount, fakeRunner } from './fake-wrangler';
import { DeployStopped, deploy, dryRun } from './run';
import { workerSecrets } from './secrets';
import { defaultTimeouts, type Timeouts, wranglerAccount, wranglerRunner } from './wrangler';

const order = [
  'storefront-catalog',
  'storefront-cart',
  'storefront-checkout',
  'storefront-admin',
  'storefront-web',
  'storefront-gateway',
];

let root: string;
let stateFile: string;
let lines: string[];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'storefront-deploy-'));
  for (const config of workerConfigs) {
    fs.mkdirSync(path.dirname(path.join(root, config)), { recursive: true });
    fs.copyFileSync(path.join(projectRoot, config), path.join(root, config));
  }
  stateFile = path.join(root, 'account.json');
  lines = [];
  // As an operator does before deploying (docs/deploy.md): the shop's public origins instead of the local stack's.
  setOrigins('https://shop.example.com');
});

/** Sets SHOP_ORIGIN and CORS_ORIGINS in the copied gateway config. */
function setOrigins(origin: string) {
  const file = path.join(root, 'wrangler.toml');
  const text = fs.readFileSync(file, 'utf8');
  const next = text
    .replace(/^SHOP_ORIGIN = ".*"$/m, `SHOP_ORIGIN = "${origin}"`)
    .replace(/^CORS_ORIGINS = ".*"$/m, `CORS_ORIGINS = "${origin}"`);
  if (next === text) throw new Error('the gateway config sets neither SHOP_ORIGIN nor CORS_ORIGINS');
  fs.writeFileSync(file, next);
}
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const setAccount = (account: FakeAccount) => fs.writeFileSync(stateFile, JSON.stringify(account));
const account = (): FakeAccount => JSON.parse(fs.readFileSync(stateFile, 'utf8'));
/** The fake account through wrangler's interface; `spawned`: the fake runs as a wrangler executable. */
const fakeAccount = (spawned: boolean, timeouts: Timeouts = defaultTimeouts) =>
  wranglerAccount(
    spawned
      ? wranglerRunner(fakeWranglerBin(root), root, { FAKE_WRANGLER_STATE: stateFile })
      : fakeRunner(stateFile, root),
    timeouts,
  );
const run = (opts: { allowMissingOptional?: boolean; spawned?: boolean; timeouts?: Timeouts } = {}) =>
  deploy({
    root,
    configPaths: workerConfigs,
    account: fakeAccount(opts.spawned ?? false, opts.timeouts),
    allowMissingOptional: opts.allowMissingOptional,
    log: (line) => lines.push(line),
  });
const config = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
/** Every secret declared for each worker, as if put with `wrangler secret put` (which creates the worker). */
const allSecrets = () =>
  Object.fromEntries(
    Object.entries(workerSecrets).map(([name, specs]) => [name, { secrets: specs.map((s) => s.name) }]),
  );
const deploys = () => (account().calls ?? []).filter((c) => c.startsWith('deploy '));
const mutations = () => (account().calls ?? []).filter((c) => / create |^deploy /.test(c));

describe('npm run deploy against a fake wrangler', () => {
  it('on an empty account names every missing secret per worker and changes nothing', async () => {
    setAccount({ kv: [], queues: [], buckets: [], workers: {} });
    const err = await run().catch((e) => e);
    expect(err).toBeInstanceOf(DeployStopped);
    const message = (err as Error).message;
    for (const [worker, specs] of Object.entries(workerSecrets)) {
      for (const spec of specs) expect(message).toContain(`npx wrangler secret put ${spec.name} -c`);
      if (specs.length) expect(message).toContain(`${worker} (not on the account yet`);
    }
    expect(message).toContain('npx wrangler secret put STRIPE_WEBHOOK_SECRET -c workers/checkout/wrangler.toml');
    expect(message).not.toContain('storefront-cart');
    expect(mutations()).toEqual([]);
    expect(config('workers/catalog/wrangler.toml')).toBe(
      fs.readFileSync(path.join(projectRoot, 'workers/catalog/wrangler.toml'), 'utf8'),
    );
  });

  it('with the secrets: creates the namespace and queues, writes the id, deploys in order; then again', async () => {
    setAccount({ kv: [], queues: [], buckets: [], workers: allSecrets() });
    const result = await run({ spawned: true });
    const [kv] = account().kv;
    expect(kv!.title).toBe('storefront-catalog-meta');
    expect(account().queues.sort()).toEqual(['notifications', 'notifications-dlq', 'orders', 'orders-dlq']);
    for (const rel of ['workers/catalog/wrangler.toml', 'workers/admin/wrangler.toml']) {
      expect(config(rel)).toContain(`id = "${kv!.id}"`);
      expect(config(rel)).toContain('# Secrets, not vars: DATABASE_URL');
    }
    expect(result).toEqual({
      deployed: order,
      configsChanged: ['workers/catalog/wrangler.toml', 'workers/admin/wrangler.toml'],
    });
    expect(deploys()).toEqual([
      'deploy -c workers/catalog/wrangler.toml',
      'deploy -c workers/cart/wrangler.toml',
      'deploy -c workers/checkout/wrangler.toml',
      'deploy -c workers/admin/wrangler.toml',
      'deploy -c workers/storefront/wrangler.toml',
      'deploy -c wrangler.toml',
    ]);
    expect(lines).toContain(`  created KV namespace "storefront-catalog-meta" (id ${kv!.id})`);
    expect(lines.at(-1)).toMatch(/^done: 6 workers deployed in/);

    // A second run finds everything, creates nothing and leaves the configs alone.
    const before = account().calls!.length;
    lines = [];
    expect(await run()).toEqual({ deployed: order, configsChanged: [] });
    const second = account().calls!.slice(before);
    expect(second.filter((c) => c.includes(' create '))).toEqual([]);
    expect(second.filter((c) => c.startsWith('deploy '))).toHaveLength(6);
    expect(account().kv).toHaveLength(1);
    expect(lines).toContain(`  KV namespace "storefront-catalog-meta": on the account (id ${kv!.id})`);
  });

  it('adopts a namespace by title when the configs hold an id from another account', async () => {
    const foreign = 'f'.repeat(32);
    for (const rel of ['workers/catalog/wrangler.toml', 'workers/admin/wrangler.toml']) {
      fs.writeFileSync(
        path.join(root, rel),
        config(rel).replace('id = "storefront-catalog-meta"', `id = "${foreign}"`),
      );
    }
    const existing = { id: '1'.repeat(32), title: 'storefront-catalog-meta' };
    setAccount({
      kv: [existing],
      queues: ['notifications', 'notifications-dlq', 'orders', 'orders-dlq'],
      buckets: ['storefront-images', 'storefront-do-exports', 'storefront-archive'],
      workers: allSecrets(),
    });
    await run();
    expect(config('workers/admin/wrangler.toml')).toContain(`id = "${existing.id}"`);
    expect(account().kv).toEqual([existing]);
    expect(mutations().filter((c) => c.includes(' create '))).toEqual([]);
  });

  it('refuses on a missing optional secret unless told to go on without it', async () => {
    const workers = allSecrets();
    workers['storefront-gateway']!.secrets = ['JWT_SIGNING_KEY', 'DATABASE_URL', 'CONSOLE_SESSION_SECRET'];
    setAccount({ kv: [], queues: [], buckets: [], workers });
    const err = await run().catch((e) => e);
    expect((err as Error).message).toContain('npx wrangler secret put UPSTASH_REDIS_REST_TOKEN -c wrangler.toml');
    expect((err as Error).message).toContain('--allow-missing-optional');
    expect(mutations()).toEqual([]);
    expect(lines).toContain(
      '  secrets of storefront-gateway: optional not set: ' +
        'JWT_PUBLIC_KEYS, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN, ALERT_WEBHOOK_URL, ALERT_WEBHOOK_SECRET',
    );

    await run({ allowMissingOptional: true });
    expect(deploys()).toHaveLength(6);
  });

  it('refuses while a local-only setting is a secret of a deployed worker', async () => {
    const workers = allSecrets();
    workers['storefront-catalog']!.secrets.push('NEON_LOCAL_PROXY');
    setAccount({ kv: [], queues: [], buckets: [], workers });
    const err = await run().catch((e) => e);
    expect((err as Error).message).toContain(
      'npx wrangler secret delete NEON_LOCAL_PROXY -c workers/catalog/wrangler.toml',
    );
    expect(mutations()).toEqual([]);
  });

  it("refuses the repo's local origins before any account call, naming each var; the dry run accepts them", async () => {
    fs.copyFileSync(path.join(projectRoot, 'wrangler.toml'), path.join(root, 'wrangler.toml'));
    setAccount({ kv: [], queues: [], buckets: [], workers: allSecrets() });
    const err = await run().catch((e) => e);
    expect(err).toBeInstanceOf(DeployStopped);
    const message = (err as Error).message;
    expect(message).toContain("wrangler.toml sets SHOP_ORIGIN to the local stack's http://127.0.0.1:8787");
    expect(message).toContain("wrangler.toml sets CORS_ORIGINS to the local stack's http://127.0.0.1:8787");
    expect(account().calls ?? []).toEqual([]);
    await dryRun({ root, configPaths: workerConfigs, account: fakeAccount(false), log: (line) => lines.push(line) });
    expect(lines.filter((l) => l.startsWith('  a real deploy refuses: '))).toHaveLength(2);
  });

  it('stops at the first worker that fails, saying what is deployed and what is not', async () => {
    setAccount({ kv: [], queues: [], buckets: [], workers: allSecrets(), failDeploy: ['storefront-checkout'] });
    const err = await run().catch((e) => e);
    expect(err).toBeInstanceOf(DeployStopped);
    const message = (err as Error).message;
    expect(message).toContain('storefront-checkout did not deploy: wrangler deploy -c workers/checkout/wrangler.toml');
    expect(message).toContain('✘ [ERROR] A request to the Cloudflare API failed. [code: 10000]');
    expect(message).toContain(
      'deployed: storefront-catalog, storefront-cart; ' +
        'not deployed: storefront-checkout, storefront-admin, storefront-web, storefront-gateway',
    );
    expect(deploys()).toHaveLength(3);
  });

  it('creates a missing R2 bucket a config binds', async () => {
    const cart = 'workers/cart/wrangler.toml';
    fs.appendFileSync(path.join(root, cart), '\n[[r2_buckets]]\nbinding = "MEDIA"\nbucket_name = "storefront-media"\n');
    setAccount({ kv: [], queues: [], buckets: ['unrelated', 'storefront-images'], workers: allSecrets() });
    await run();
    // The admin's DO_EXPORTS and ARCHIVE buckets are missing too, so they are created as well.
    expect(account().buckets).toEqual([
      'unrelated',
      'storefront-images',
      'storefront-do-exports',
      'storefront-archive',
      'storefront-media',
    ]);
    expect(lines).toContain('  created R2 bucket "storefront-media"');
  });

  it('gives up on a wrangler call that does not answer in time', async () => {
    setAccount({ kv: [], queues: [], buckets: [], workers: allSecrets(), hang: ['queues info'] });
    const started = Date.now();
    const err = await run({ spawned: true, timeouts: { ...defaultTimeouts, call: 1_500 } }).catch((e) => e);
    // The first queue the plan looks up (by name).
    expect((err as Error).message).toContain('wrangler queues info notifications timed out after 1.5 s');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(mutations()).toEqual([]);
  });

  it('dry run: prints the plan and bundles every worker in order without an account call', async () => {
    setAccount({ kv: [], queues: [], buckets: [], workers: {} });
    await dryRun({
      root,
      configPaths: workerConfigs,
      account: fakeAccount(false),
      log: (line) => lines.push(line),
    });
    expect(account().calls!.every((c) => c.startsWith('deploy --dry-run -c '))).toBe(true);
    expect(account().calls).toHaveLength(6);
    expect(lines).toContain(`  deploy order: ${order.join(' → ')}`);
    expect(lines).toContain('  secrets of storefront-checkout: DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET');
    expect(lines.filter((l) => l.startsWith('  bundled '))).toHaveLength(6);
  });
});

/**
 * Writes an executable `wrangler` into `dir`: the fake compiled to plain JavaScript (it imports only node
 * builtins and types), so each call costs a bare Node start. The account is in $FAKE_WRANGLER_STATE.
 */
function fakeWranglerBin(dir: string): string {
  const bin = path.join(dir, 'wrangler.mjs');
  const source = fs.readFileSync(path.join(projectRoot, 'dev/deploy/fake-wrangler.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  fs.writeFileSync(bin, `#!/usr/bin/env node\n${outputText}`, { mode: 0o755 });
  return bin;
}
