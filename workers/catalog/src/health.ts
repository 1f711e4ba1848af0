// Health of the catalog's dependencies: the Postgres primary and the read replica, each with a deadline.
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';

export interface Check {
  status: 'ok' | 'down';
  latencyMs: number;
}
export type DbChecks = Record<'postgresPrimary' | 'postgresReplica', Check>;

async function check(query: () => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  try {
    await query();
    return { status: 'ok', latencyMs: Date.now() - started };
  } catch (err) {
    // The reason goes to the log, not to the public health answer.
    console.warn(JSON.stringify({ msg: 'database health check failed', error: String(err) }));
    return { status: 'down', latencyMs: Date.now() - started };
  }
}

export async function checkDatabases(env: DbEnv): Promise<DbChecks> {
  let settings: ReturnType<typeof dbSettings>;
  try {
    settings = dbSettings(env);
  } catch (err) {
    console.error(JSON.stringify({ msg: 'database settings invalid', error: String(err) }));
    return { postgresPrimary: { status: 'down', latencyMs: 0 }, postgresReplica: { status: 'down', latencyMs: 0 } };
  }
  const ping = (url: string) => () => sqlClient(url, settings)`select 1`;
  const [postgresPrimary, postgresReplica] = await Promise.all([
    check(ping(settings.DATABASE_URL)),
    check(ping(settings.DATABASE_REPLICA_URL || settings.DATABASE_URL)),
  ]);
  return { postgresPrimary, postgresReplica };
}
