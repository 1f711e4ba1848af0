// Health of the catalog's dependencies: the Postgres primary and the read replica (a query on each, with the
// database deadline), KV (the generation key) and its settings. The replica is not required: reads fall back to
// the primary while it is away.
import { GENERATION_KEY } from '../../../lib/catalog/generation';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { type Probe, workerHealth } from '../../../lib/health';
import { catalogConfig } from './config';

/** A `select 1` on the database at `url`, or on the primary when the replica is not configured. */
function ping(env: DbEnv, which: 'DATABASE_URL' | 'DATABASE_REPLICA_URL'): Probe['run'] {
  return async () => {
    const settings = dbSettings(env);
    const url = (which === 'DATABASE_REPLICA_URL' && settings.DATABASE_REPLICA_URL) || settings.DATABASE_URL;
    await sqlClient(url, settings)`select 1`;
  };
}

export function catalogHealth(env: DbEnv & { CATALOG_META: KVNamespace }): Promise<WorkerHealth> {
  return workerHealth({
    catalogSettings: { required: true, run: async () => catalogConfig(env) },
    postgresPrimary: { required: true, run: ping(env, 'DATABASE_URL') },
    postgresReplica: { required: false, run: ping(env, 'DATABASE_REPLICA_URL') },
    kv: { required: true, run: () => env.CATALOG_META.get(GENERATION_KEY) },
  });
}
