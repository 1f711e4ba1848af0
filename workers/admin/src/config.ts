// The admin worker's settings: only the database's (DbVars in lib/db/client.ts: the DATABASE_URL and
// DATABASE_REPLICA_URL secrets, DB_TIMEOUT_MS in wrangler.toml), validated once per isolate by configOf; a bad or
// missing one is a ConfigError naming it. Stock and dead letters go to the checkout worker, which has its own.
import { type DbEnv, DbVars, dbSettings } from '../../../lib/db/client';

export const AdminVars = DbVars;

export const adminConfig = (env: DbEnv) => dbSettings(env);
