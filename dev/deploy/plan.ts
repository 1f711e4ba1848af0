// The deploy plan as pure functions of the worker configs: which account resources they need, whether the
// configs agree with each other and with the declared secrets, the order to deploy in, and which secrets
// are missing. No I/O here, so all of it is tested without an account.
import type { WorkerConfig } from './config';
import {
  deployedValueOf,
  devOnlySecrets,
  isRequired,
  loopbackOrigins,
  publicOriginVars,
  type SecretSpec,
} from './secrets';

/** What a KV namespace id on the account looks like; anything else in a config is a placeholder. */
export const KV_ID = /^[0-9a-f]{32}$/;
/** Account resources without a name of their own in the configs are named with this prefix. */
export const RESOURCE_PREFIX = 'storefront';

/**
 * The title of the namespace a KV binding names: one binding name means one namespace for every worker that
 * binds it (CATALOG_META → "storefront-catalog-meta"), so the title survives an id from another account.
 */
export const kvTitle = (binding: string) => `${RESOURCE_PREFIX}-${binding.toLowerCase().replace(/_/g, '-')}`;

export interface KvNeed {
  binding: string;
  title: string;
  /** The id the configs give, if it looks like an account id. */
  id?: string;
  /** The id the configs give when it does not (a placeholder until deploy writes the real one). */
  placeholder?: string;
  /** Workers binding it, with the config file whose `id =` line deploy writes and the id it has now. */
  users: { worker: string; configPath: string; id?: string }[];
}
export interface QueueNeed {
  name: string;
  producers: string[];
  consumers: string[];
  /** Queues whose consumer sends failed messages here. */
  deadLetterFor: string[];
}
export interface BucketNeed {
  name: string;
  users: string[];
}
export interface Resources {
  kv: KvNeed[];
  queues: QueueNeed[];
  buckets: BucketNeed[];
  /** Analytics Engine datasets: created by the first write, nothing to provision. */
  datasets: string[];
}

function add(list: string[], item: string) {
  if (!list.includes(item)) list.push(item);
}

/** Every account resource the workers' bindings name, each once. */
export function collectResources(workers: WorkerConfig[]): Resources {
  const kv = new Map<string, KvNeed>();
  const queues = new Map<string, QueueNeed>();
  const buckets = new Map<string, BucketNeed>();
  const datasets: string[] = [];
  const queue = (name: string) => {
    if (!queues.has(name)) queues.set(name, { name, producers: [], consumers: [], deadLetterFor: [] });
    return queues.get(name)!;
  };
  for (const w of workers) {
    for (const { binding, id } of w.kvNamespaces) {
      const need = kv.get(binding) ?? { binding, title: kvTitle(binding), users: [] };
      if (id && KV_ID.test(id)) need.id ??= id;
      else if (id) need.placeholder ??= id;
      need.users.push({ worker: w.name, configPath: w.configPath, ...(id ? { id } : {}) });
      kv.set(binding, need);
    }
    for (const p of w.queueProducers) add(queue(p.queue).producers, w.name);
    for (const c of w.queueConsumers) {
      add(queue(c.queue).consumers, w.name);
      if (c.deadLetterQueue) add(queue(c.deadLetterQueue).deadLetterFor, c.queue);
    }
    for (const b of w.r2Buckets) {
      const need = buckets.get(b.bucket) ?? { name: b.bucket, users: [] };
      add(need.users, w.name);
      buckets.set(b.bucket, need);
    }
    for (const d of w.analyticsDatasets) add(datasets, d);
  }
  return { kv: [...kv.values()], queues: [...queues.values()], buckets: [...buckets.values()], datasets };
}

export class PlanError extends Error {
  constructor(readonly problems: string[]) {
    super(`the worker configs cannot be deployed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PlanError';
  }
}

/**
 * Worker names in deploy order: each after every worker it binds to, ties in config order. Throws a PlanError
 * naming the cycle when the bindings form one, or a target no config deploys.
 */
export function deployOrder(workers: WorkerConfig[]): string[] {
  const byName = new Map(workers.map((w) => [w.name, w]));
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      throw new PlanError([`the bindings form a cycle, which cannot be deployed in order: ${cycle.join(' → ')}`]);
    }
    state.set(name, 'visiting');
    for (const dep of byName.get(name)!.bindsTo) {
      if (dep.worker === name) continue; // a worker may bind to itself; nothing to wait for
      if (!byName.has(dep.worker)) {
        throw new PlanError([`${name} binds ${dep.binding} to ${dep.worker}, which no config here deploys`]);
      }
      visit(dep.worker, [...trail, name]);
    }
    state.set(name, 'done');
    order.push(name);
  };
  for (const w of workers) visit(w.name, []);
  return order;
}

/**
 * Why the configs may be bundled (the dry run) but not deployed for real: a public-origin var (SHOP_ORIGIN,
 * CORS_ORIGINS) still naming a loopback or localhost origin, the local stack's. One line per var, naming it.
 */
export function localOrigins(workers: WorkerConfig[]): string[] {
  const problems: string[] = [];
  for (const w of workers) {
    for (const name of publicOriginVars) {
      const value = w.vars[name];
      if (value === undefined) continue;
      const local = loopbackOrigins(String(value));
      if (local.length) {
        problems.push(
          `${w.configPath} sets ${name} to the local stack's ${local.join(', ')}: set the shop's public origin${
            name === 'CORS_ORIGINS' ? 's' : ''
          } there before a real deploy`,
        );
      }
    }
  }
  return problems;
}

/** Every reason the configs cannot be deployed together; empty when they can. */
export function validate(workers: WorkerConfig[], secrets: Record<string, SecretSpec[]>): string[] {
  const problems: string[] = [];
  const names = workers.map((w) => w.name);
  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i))) {
    problems.push(`two configs deploy a worker named ${name}`);
  }
  for (const w of workers) {
    for (const key of w.unsupported) {
      problems.push(`${w.configPath} uses ${key}, which npm run deploy does not create (extend dev/deploy/)`);
    }
    if (!secrets[w.name]) {
      problems.push(`${w.name} has no entry in dev/deploy/secrets.ts (add one, [] if it needs no secrets)`);
    }
    for (const spec of secrets[w.name] ?? []) {
      if (spec.name in w.vars) problems.push(`${spec.name} is a secret of ${w.name} but also a var in ${w.configPath}`);
    }
    for (const [name, value] of Object.entries(w.vars)) {
      const must = deployedValueOf(name);
      if (must !== undefined && String(value) !== must)
        problems.push(
          `${w.configPath} sets ${name} = ${JSON.stringify(String(value))}, a local-stack value: deployed it must be ${JSON.stringify(must)}`,
        );
    }
  }
  for (const name of Object.keys(secrets)) {
    if (!names.includes(name)) problems.push(`dev/deploy/secrets.ts names ${name}, which no config deploys`);
  }
  for (const need of collectResources(workers).kv) {
    const ids = new Set(
      workers.flatMap((w) => w.kvNamespaces.filter((k) => k.binding === need.binding)).map((k) => k.id),
    );
    if (ids.size > 1) {
      problems.push(
        `KV binding ${need.binding} has different ids (${[...ids].join(', ')}): one binding, one namespace`,
      );
    }
  }
  try {
    deployOrder(workers);
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    problems.push(...err.problems);
  }
  return problems;
}

export interface SecretFinding {
  worker: string;
  configPath: string;
  /** The worker does not exist on the account yet, so it has no secrets. */
  notDeployed: boolean;
  missingRequired: SecretSpec[];
  missingOptional: SecretSpec[];
  /** Local-stack settings present on the account, which would point the deployed worker at a local server. */
  devOnlyPresent: string[];
}

/**
 * Per worker, the declared secrets absent from `present` (the names `wrangler secret list` gave, or null for a
 * worker not yet on the account).
 */
export function secretReport(
  workers: WorkerConfig[],
  secrets: Record<string, SecretSpec[]>,
  present: Record<string, string[] | null>,
): SecretFinding[] {
  return workers.map((w) => {
    const have = present[w.name] ?? [];
    const missing = (secrets[w.name] ?? []).filter((s) => !have.includes(s.name));
    return {
      worker: w.name,
      configPath: w.configPath,
      notDeployed: present[w.name] === null,
      missingRequired: missing.filter((s) => isRequired(s, w.vars, have)),
      missingOptional: missing.filter((s) => !isRequired(s, w.vars, have)),
      devOnlyPresent: have.filter((name) => devOnlySecrets.includes(name)),
    };
  });
}

/**
 * What to do about one KV need given the account's namespaces: keep the configs' id if the account has it,
 * else adopt the namespace with the binding's title, else create one.
 */
export function kvAction(
  need: KvNeed,
  onAccount: { id: string; title: string }[],
): { kind: 'exists'; id: string } | { kind: 'found by title'; id: string } | { kind: 'create' } {
  if (need.id && onAccount.some((n) => n.id === need.id)) return { kind: 'exists', id: need.id };
  const byTitle = onAccount.find((n) => n.title === need.title);
  return byTitle ? { kind: 'found by title', id: byTitle.id } : { kind: 'create' };
}
