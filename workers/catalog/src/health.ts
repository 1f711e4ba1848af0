// Health of the catalog's dependencies: the Postgres primary and the read replicas (a query on each, with the
// database deadline), KV (the generation key) and its settings. The replicas are not required: reads fall back to
// another replica, then the primary, while one is away.
import { GENERATION_KEY } from '../../../lib/catalog/generation';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { replicasOf } from '../../../lib/db/replicas';
import { type Probe, workerHealth } from '../../../lib/health';
import { catalogConfig } from './config';

/** A `select 1` on the primary. */
function pingPrimary(env: DbEnv): Probe['run'] {
  return async () => {
    const settings = dbSettings(env);
    await sqlClient(settings.DATABASE_URL, settings)`select 1`;
  };
}

/** A `select 1` on every replica at once (the primary when none is configured); any one down fails it, named. */
function pingReplicas(env: DbEnv): Probe['run'] {
  return async () => {
    const settings = dbSettings(env);
    const replicas = replicasOf(settings);
    const targets = replicas.length ? replicas : [{ region: 'primary', url: settings.DATABASE_URL }];
    const results = await Promise.allSettled(targets.map((r) => sqlClient(r.url, settings)`select 1`));
    const down = targets.filter((_, i) => results[i]!.status === 'rejected').map((r) => r.region);
    if (down.length) throw new Error(`replica down: ${down.join(', ')}`);
  };
}

export function catalogHealth(env: DbEnv & { CATALOG_META: KVNamespace }): Promise<WorkerHealth> {
  return workerHealth({
    catalogSettings: { required: true, run: async () => catalogConfig(env) },
    postgresPrimary: { required: true, run: pingPrimary(env) },
    postgresReplica: { required: false, run: pingReplicas(env) },
    kv: { required: true, run: () => env.CATALOG_META.get(GENERATION_KEY) },
  });
}
