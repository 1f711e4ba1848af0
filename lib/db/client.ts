// Database access for workers: drizzle over Neon's HTTP driver, writes (and `db.$primary`) to the primary, reads
// routed to the regional read replicas by `routed` (lib/db/replicas.ts). One client per request: the timeout is a
// per-request deadline.
import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-http';
import { withReplicas } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import * as schema from '../../db/schema';
import { configOf, intVar, optionalText, secret } from '../config';
import { useLocalNeonProxy } from './neon-local';
import { type ReadSource, type Replica, type RoutedRead, replicaListVar, routedRead } from './replicas';
import { slowQueries, timedFetch } from './slow-queries';

/** Database settings of a worker: secrets in production (wrangler secret put), injected by `npm run dev`. */
export interface DbEnv {
  DATABASE_URL?: string;
  /** Optional: one read replica (without it and DATABASE_REPLICAS, reads go to the primary). */
  DATABASE_REPLICA_URL?: string;
  /** Optional: read replicas by region, "us=postgres://…,eu=postgres://…" (replaces DATABASE_REPLICA_URL). */
  DATABASE_REPLICAS?: string;
  /** A replica whose measured replay lag is over this (ms) is skipped. */
  REPLICA_MAX_LAG_MS?: string;
  /** How long (ms) an isolate trusts its last measurement of the replicas' lag. */
  REPLICA_LAG_CHECK_MS?: string;
  /** Read-your-writes: how long (ms) a read waits for a replica to replay the client's write before the primary. */
  READ_AFTER_WAIT_MS?: string;
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
  DATABASE_REPLICAS: secret(optionalText(replicaListVar)),
  // Reads skip a replica whose replay lag, measured at most every REPLICA_LAG_CHECK_MS, is over this bound.
  REPLICA_MAX_LAG_MS: intVar(5000, { min: 1, max: 3_600_000 }),
  REPLICA_LAG_CHECK_MS: intVar(1000, { max: 60_000 }),
  // A read carrying a client's read-after token (lib/db/read-after.ts) that no usable replica has replayed waits at
  // most this long for one (asking every 20 ms), then reads the primary; 0: the primary at once.
  READ_AFTER_WAIT_MS: intVar(250, { max: 5000 }),
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

/** A drizzle client on `url` (the primary or one replica) with this request's deadline. */
export function dbAt(url: string, settings: DbSettings) {
  return drizzle({ client: sqlClient(url, settings), schema });
}

/** A lag check or a replay check waits at most this long (ms), within the request's deadline. */
const CHECK_TIMEOUT_MS = 500;

/**
 * Runs `read` on the nearest usable replica of the request's region, then the others, then the primary
 * (lib/db/replicas.ts); `read` gets the URL to read (build its client there: its deadline starts then).
 */
export function routed<T>(
  env: DbEnv,
  read: (url: string, settings: DbSettings, source: ReadSource) => Promise<T>,
  opts: RoutedRead = {},
): Promise<{ value: T; source: ReadSource }> {
  const settings = dbSettings(env);
  const checks = { ...settings, DB_TIMEOUT_MS: Math.min(settings.DB_TIMEOUT_MS, CHECK_TIMEOUT_MS) };
  const query = (url: string, text: string, params?: unknown[]) =>
    sqlClient(url, checks).query(text, params) as Promise<Record<string, unknown>[]>;
  return routedRead(settings, query, (url, source) => read(url, settings, source), opts);
}

export type { ReadSource, Replica };

export function createDb(env: DbEnv) {
  const settings = dbSettings(env);
  const primary = drizzle({ client: sqlClient(settings.DATABASE_URL, settings), schema });
  const replica = settings.DATABASE_REPLICA_URL
    ? drizzle({ client: sqlClient(settings.DATABASE_REPLICA_URL, settings), schema })
    : primary;
  return withReplicas(primary, [replica]);
}

export type Db = ReturnType<typeof createDb>;
