// Database access for workers: drizzle over Neon's HTTP driver, reads routed to the read replica,
// writes (and `db.$primary`) to the primary. One client per request: the timeout is a per-request deadline.
import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-http';
import { withReplicas } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import * as schema from '../../db/schema';
import { useLocalNeonProxy } from './neon-local';

/** Database settings of a worker: secrets in production (wrangler secret put), injected by `npm run dev`. */
export interface DbEnv {
  DATABASE_URL?: string;
  /** Optional: without it reads go to the primary. */
  DATABASE_REPLICA_URL?: string;
  /** "host:port" of the local Neon proxy (npm run dev, tests); never set in production. */
  NEON_LOCAL_PROXY?: string;
  /** Deadline for all database calls of one request, in ms. */
  DB_TIMEOUT_MS?: string;
}

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// connection string');
const DbSettings = z.object({
  DATABASE_URL: postgresUrl,
  DATABASE_REPLICA_URL: z.union([postgresUrl, z.literal('')]).optional(),
  NEON_LOCAL_PROXY: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'host:port')
    .or(z.literal(''))
    .optional(),
  DB_TIMEOUT_MS: z.coerce.number().int().positive().max(60_000).default(1500),
});
export type DbSettings = z.infer<typeof DbSettings>;

// The env object lives as long as the isolate: validate it once.
const validated = new WeakMap<object, DbSettings>();

/** The worker's database settings, validated; a clear error naming what is missing or wrong. */
export function dbSettings(env: DbEnv): DbSettings {
  let settings = validated.get(env);
  if (!settings) {
    const parsed = DbSettings.safeParse(env);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`Database settings are missing or invalid (${problems}). Set them with \`wrangler secret put\`.`);
    }
    settings = parsed.data;
    validated.set(env, settings);
    if (settings.NEON_LOCAL_PROXY) useLocalNeonProxy(neonConfig, settings.NEON_LOCAL_PROXY);
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
