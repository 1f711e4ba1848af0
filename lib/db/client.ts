// Database access for workers: drizzle over Neon's HTTP driver, reads routed to the read replica,
// writes (and `db.$primary`) to the primary. One client per request: the timeout is a per-request deadline.
import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-http';
import { withReplicas } from 'drizzle-orm/pg-core';
import * as schema from '../../db/schema';
import { useLocalNeonProxy } from './neon-local';

export interface DbEnv {
  DATABASE_URL: string;
  /** Optional: without it reads go to the primary. */
  DATABASE_REPLICA_URL?: string;
  /** "host:port" of the local Neon proxy (npm run dev); empty in production. */
  NEON_LOCAL_PROXY?: string;
  /** Deadline for all database calls of one request, in ms. */
  DB_TIMEOUT_MS?: string;
}

let configuredProxy: string | undefined;

/** Points the Neon driver at the local proxy when NEON_LOCAL_PROXY is set (npm run dev, tests). */
export function applyNeonConfig(env: DbEnv) {
  const proxy = env.NEON_LOCAL_PROXY?.trim();
  if (proxy && proxy !== configuredProxy) {
    useLocalNeonProxy(neonConfig, proxy);
    configuredProxy = proxy;
  }
}

function timeoutMs(env: DbEnv): number {
  const n = Number(env.DB_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : 1500;
}

function connect(url: string, env: DbEnv) {
  const client = neon(url, { fetchOptions: { signal: AbortSignal.timeout(timeoutMs(env)) } });
  return drizzle({ client, schema });
}

export function createDb(env: DbEnv) {
  applyNeonConfig(env);
  const primary = connect(env.DATABASE_URL, env);
  const replica = env.DATABASE_REPLICA_URL ? connect(env.DATABASE_REPLICA_URL, env) : primary;
  return withReplicas(primary, [replica]);
}

export type Db = ReturnType<typeof createDb>;
