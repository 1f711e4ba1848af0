// Database access for workers: drizzle over Neon's HTTP driver, reads routed to the read replica,
// writes (and `db.$primary`) to the primary. One client per request: the timeout is a per-request deadline.
import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-http';
import { withReplicas } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import * as schema from '../../db/schema';
import { configOf, intVar, optionalText, secret } from '../config';
import { useLocalNeonProxy } from './neon-local';
import { slowQueries, timedFetch } from './slow-queries';

/** Database settings of a worker: secrets in production (wrangler secret put), injected by `npm run dev`. */
export interface DbEnv {
  DATABASE_URL?: string;
  /** Optional: without it reads go to the primary. */
  DATABASE_REPLICA_URL?: string;
  /** "host:port" of the local Neon proxy (npm run dev, tests); never set in production. */
  NEON_LOCAL_PROXY?: string;
  /** Deadline for all database calls of one request, in ms. */
  DB_TIMEOUT_MS?: string;
  /** A query this slow (ms) or slower is logged and counted. */
  SLOW_QUERY_MS?: string;
}

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'expected a postgres:// connection string');
/** The database settings as a config schema; a worker that reads them declares them through this. */
export const DbVars = z.object({
  DATABASE_URL: secret(postgresUrl),
  DATABASE_REPLICA_URL: secret(optionalText(postgresUrl)),
  NEON_LOCAL_PROXY: optionalText(z.string().regex(/^[\w.-]+:\d+$/, 'expected host:port')),
  // 0 would abort every query at once: at least 1 ms, at most a minute.
  DB_TIMEOUT_MS: intVar(1500, { min: 1, max: 60_000 }),
  // A query that takes this long or longer is logged and counted as slow (lib/db/slow-queries.ts).
  SLOW_QUERY_MS: intVar(500, { min: 1, max: 60_000 }),
});
export type DbSettings = z.infer<typeof DbVars>;

// The driver's local-proxy switch is global; set it when the proxy first appears (dev and tests only).
let localProxy: string | undefined;

/** The worker's database settings, validated once per isolate; a ConfigError names what is missing or wrong. */
export function dbSettings(env: DbEnv): DbSettings {
  const settings = configOf(env, DbVars, 'the database settings (secrets: wrangler secret put)');
  // Every HTTP query is timed; the threshold is the isolate's (one worker's settings).
  neonConfig.fetchFunction = timedFetch;
  slowQueries.thresholdMs = settings.SLOW_QUERY_MS;
  if (settings.NEON_LOCAL_PROXY && settings.NEON_LOCAL_PROXY !== localProxy) {
    useLocalNeonProxy(neonConfig, settings.NEON_LOCAL_PROXY);
    localProxy = settings.NEON_LOCAL_PROXY;
  }
  return settings;
}

/** A one-shot HTTP query client for `url` with this request's deadline. */
export function sqlClient(url: string, settings: DbSettings) {
  return neon(url, { fetchOptions: { signal: AbortSignal.timeout(settings.DB_TIMEOUT_MS) } });
}

export function createDb(env: DbEnv) {
  const settings = dbSettings(env);
  const primary = drizzle({ client: sqlClient(settings.DATABASE_URL, settings), schema });
  const replica = settings.DATABASE_REPLICA_URL
    ? drizzle({ client: sqlClient(settings.DATABASE_REPLICA_URL, settings), schema })
    : primary;
  return withReplicas(primary, [replica]);
}

export type Db = ReturnType<typeof createDb>;
