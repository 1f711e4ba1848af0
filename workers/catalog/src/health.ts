// Health of the catalog's dependencies: the Postgres primary and the read replica, each with a deadline.
import { neon } from '@neondatabase/serverless';
import { applyNeonConfig, type DbEnv } from '../../../lib/db/client';

export interface Check {
  status: 'ok' | 'down';
  latencyMs: number;
}
export type DbChecks = Record<'postgresPrimary' | 'postgresReplica', Check>;

async function check(url: string): Promise<Check> {
  const started = Date.now();
  try {
    await neon(url, { fetchOptions: { signal: AbortSignal.timeout(1500) } })`select 1`;
    return { status: 'ok', latencyMs: Date.now() - started };
  } catch (err) {
    // The reason goes to the log, not to the public health answer.
    console.warn(JSON.stringify({ msg: 'database health check failed', error: String(err) }));
    return { status: 'down', latencyMs: Date.now() - started };
  }
}

export async function checkDatabases(env: DbEnv): Promise<DbChecks> {
  applyNeonConfig(env);
  const [postgresPrimary, postgresReplica] = await Promise.all([
    check(env.DATABASE_URL),
    check(env.DATABASE_REPLICA_URL || env.DATABASE_URL),
  ]);
  return { postgresPrimary, postgresReplica };
}
