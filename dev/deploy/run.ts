// The two flows of `npm run deploy`. The real one refuses configs that still name the local stack's public origins
// (SHOP_ORIGIN, CORS_ORIGINS), looks at the account (read-only), refuses on missing secrets before changing anything, creates the missing resources and writes new KV ids into the configs,
// then deploys each worker after the workers it binds to, stopping at the first failure. The dry run makes
// no account call: it prints the plan (and what a real deploy would refuse) and bundles every worker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readWorkerConfigs, type WorkerConfig } from './config';
import {
  collectResources,
  deployOrder,
  kvAction,
  localOrigins,
  PlanError,
  type Resources,
  secretReport,
  validate,
} from './plan';
import { planLines, secretLines, secretRefusal } from './report';
import { type SecretSpec, workerSecrets } from './secrets';
import { writeKvNamespaceId } from './toml-edit';
import type { Account } from './wrangler';

export interface DeployOptions {
  /** Project root: config paths are relative to it, and wrangler runs in it. */
  root: string;
  configPaths: string[];
  account: Account;
  secrets?: Record<string, SecretSpec[]>;
  allowMissingOptional?: boolean;
  log?: (line: string) => void;
}

/** Deploy stopped on purpose (missing secrets) or by a failure; `message` says which and what to do. */
export class DeployStopped extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployStopped';
  }
}

interface Plan {
  workers: WorkerConfig[];
  resources: Resources;
  order: string[];
  secrets: Record<string, SecretSpec[]>;
}

function loadPlan(opts: DeployOptions): Plan {
  const secrets = opts.secrets ?? workerSecrets;
  const workers = readWorkerConfigs(opts.root, opts.configPaths);
  const problems = validate(workers, secrets);
  if (problems.length) throw new PlanError(problems);
  return { workers, resources: collectResources(workers), order: deployOrder(workers), secrets };
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Prints the plan and bundles every worker in deploy order, touching no account. */
export async function dryRun(opts: DeployOptions): Promise<void> {
  const log = opts.log ?? console.log;
  const plan = loadPlan(opts);
  log(`dry run: ${plan.workers.length} worker configs valid; no account calls`);
  for (const line of planLines(plan.workers, plan.resources, plan.order, plan.secrets)) log(`  ${line}`);
  // The repo's own configs carry the local stack's origins: bundled here, refused by a real deploy.
  for (const line of localOrigins(plan.workers)) log(`  a real deploy refuses: ${line}`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'storefront-bundles-'));
  const failed: string[] = [];
  try {
    for (const name of plan.order) {
      const worker = plan.workers.find((w) => w.name === name)!;
      try {
        const size = await opts.account.bundle(worker, path.join(outdir, name));
        log(`  bundled ${name}: ${size}`);
      } catch (err) {
        failed.push(`${name}: ${(err as Error).message}`);
      }
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  if (failed.length) throw new DeployStopped(`bundling failed:\n${failed.join('\n')}`);
}

interface Survey {
  kv: { id: string; title: string }[];
  missingQueues: string[];
  missingBuckets: string[];
  secrets: Record<string, string[] | null>;
}

/** Everything deploy needs to know from the account, read without changing it. */
async function survey(plan: Plan, account: Account): Promise<Survey> {
  const kv = plan.resources.kv.length ? await account.listKvNamespaces() : [];
  const missingQueues: string[] = [];
  for (const q of plan.resources.queues) if (!(await account.queueExists(q.name))) missingQueues.push(q.name);
  const buckets = plan.resources.buckets.length ? await account.listR2Buckets() : [];
  const missingBuckets = plan.resources.buckets.map((b) => b.name).filter((name) => !buckets.includes(name));
  const secrets: Record<string, string[] | null> = {};
  // One at a time: concurrent wranglers may each refresh and rewrite the same login token file.
  for (const w of plan.workers) secrets[w.name] = await account.listSecrets(w);
  return { kv, missingQueues, missingBuckets, secrets };
}

/** Creates what the account lacks and writes KV ids into the configs; answers the config files changed. */
async function provision(plan: Plan, found: Survey, opts: DeployOptions, log: (l: string) => void) {
  const changed = new Set<string>();
  for (const need of plan.resources.kv) {
    let action = kvAction(need, found.kv);
    if (action.kind === 'create') {
      await opts.account.createKvNamespace(need.title);
      const created = kvAction(need, await opts.account.listKvNamespaces());
      if (created.kind === 'create') {
        throw new DeployStopped(`KV namespace "${need.title}" was created but is not listed`);
      }
      action = created;
      log(`  created KV namespace "${need.title}" (id ${action.id})`);
    } else {
      const how = action.kind === 'exists' ? '' : ', found by title';
      log(`  KV namespace "${need.title}": on the account (id ${action.id}${how})`);
    }
    for (const user of need.users) {
      if (user.id === action.id) continue;
      writeKvNamespaceId(path.join(opts.root, user.configPath), need.binding, action.id);
      changed.add(user.configPath);
    }
  }
  for (const q of plan.resources.queues) {
    if (found.missingQueues.includes(q.name)) {
      await opts.account.createQueue(q.name);
      log(`  created queue "${q.name}"`);
    } else log(`  queue "${q.name}": on the account`);
  }
  for (const b of plan.resources.buckets) {
    if (found.missingBuckets.includes(b.name)) {
      await opts.account.createR2Bucket(b.name);
      log(`  created R2 bucket "${b.name}"`);
    } else log(`  R2 bucket "${b.name}": on the account`);
  }
  if (changed.size) log(`  KV ids written to ${[...changed].join(', ')} (commit them)`);
  return [...changed];
}

/** The whole deploy. Throws DeployStopped (refusal or failure) or PlanError (configs that cannot deploy). */
export async function deploy(opts: DeployOptions): Promise<{ deployed: string[]; configsChanged: string[] }> {
  const log = opts.log ?? console.log;
  const started = Date.now();
  const plan = loadPlan(opts);
  const local = localOrigins(plan.workers);
  if (local.length) throw new DeployStopped(local.join('\n'));
  log(`deploy: ${plan.order.join(' → ')}`);
  log('checking the account (read only)…');
  const found = await survey(plan, opts.account);
  const findings = secretReport(plan.workers, plan.secrets, found.secrets);
  for (const line of secretLines(findings)) log(`  ${line}`);
  const refusal = secretRefusal(findings, opts.allowMissingOptional ?? false);
  if (refusal.length) throw new DeployStopped(refusal.join('\n'));

  log('resources:');
  const configsChanged = await provision(plan, found, opts, log);

  const deployed: string[] = [];
  for (const name of plan.order) {
    const worker = plan.workers.find((w) => w.name === name)!;
    const since = Date.now();
    try {
      const result = await opts.account.deploy(worker);
      const details = [result.versionId && `version ${result.versionId}`, result.url].filter(Boolean).join(', ');
      log(`deployed ${name} in ${seconds(since)}${details ? ` (${details})` : ''}`);
      deployed.push(name);
    } catch (err) {
      const rest = plan.order.slice(deployed.length);
      throw new DeployStopped(
        [
          `${name} did not deploy: ${(err as Error).message}`,
          `deployed: ${deployed.join(', ') || 'none'}; not deployed: ${rest.join(', ')}`,
        ].join('\n'),
      );
    }
  }
  log(`done: ${deployed.length} workers deployed in ${seconds(started)}`);
  return { deployed, configsChanged };
}
