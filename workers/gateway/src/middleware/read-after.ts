// Read-your-writes at the gateway (lib/db/read-after.ts). After a merchant's write answered 2xx/3xx (any POST, PUT,
// PATCH or DELETE under /v1/admin/), the primary's WAL position is read (the write has committed by then, so the
// position is at or past its commit) and signed into a token, sent as `x-read-after` on the answer. A page whose
// in-process API calls were given one (the console's forms: web/api.ts) sets it as the `__Host-read_after` cookie
// (HttpOnly, Lax, READ_AFTER_TTL_SECONDS). A later request that carries it (the header first, else the cookie) and verifies has the
// position put in its trace, so every routed read it makes, in any worker, serves data at or past it. A token that
// does not verify is ignored (never a 400): the request reads as if it had none.
//
// The key is CONSOLE_SESSION_SECRET (scoped "read-after:", apart from the CSRF tokens' scopes); where it is not set,
// no token is issued or believed. A shopper's checkout issues none: their orders are read from their OrdersDO, the
// truth, which has the order the moment the checkout is accepted (docs/architecture.md#read-your-writes).
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { dbSettings, sqlClient } from '../../../../lib/db/client';
import { READ_AFTER_COOKIE, READ_AFTER_HEADER, signReadAfter, verifyReadAfter } from '../../../../lib/db/read-after';
import { log } from '../../../../lib/log';
import { currentTrace, enterTrace } from '../../../../lib/trace';
import { gatewayConfig } from '../config';
import type { GatewayApp } from '../types';

/** The read of the primary's WAL position waits at most this long (ms); without it the answer has no token. */
const LSN_TIMEOUT_MS = 500;

/** The primary's WAL position now, or undefined when it cannot be read. */
export type CurrentLsn = (env: GatewayApp['Bindings']) => Promise<string | undefined>;

const primaryLsn: CurrentLsn = async (env) => {
  const settings = dbSettings(env);
  const sql = sqlClient(settings.DATABASE_URL, {
    ...settings,
    DB_TIMEOUT_MS: Math.min(settings.DB_TIMEOUT_MS, LSN_TIMEOUT_MS),
  });
  const [row] = (await sql`select pg_current_wal_lsn()::text as lsn`) as { lsn?: unknown }[];
  return typeof row?.lsn === 'string' ? row.lsn : undefined;
};

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A merchant's write through the API that succeeded. */
function isMerchantWrite(c: Context<GatewayApp>): boolean {
  return WRITES.has(c.req.method) && c.res.status < 400 && c.req.path.startsWith('/v1/admin/');
}

function secretOf(env: object): string | undefined {
  const value = (env as { CONSOLE_SESSION_SECRET?: unknown }).CONSOLE_SESSION_SECRET;
  return typeof value === 'string' && value.length >= 32 ? value : undefined;
}

export function readAfter(currentLsn: CurrentLsn = primaryLsn): MiddlewareHandler<GatewayApp> {
  return async function readAfterMiddleware(c, next) {
    const secret = secretOf(c.env);
    if (!secret) return next();
    const ttl = gatewayConfig(c.env).READ_AFTER_TTL_SECONDS;
    const presented = c.req.header(READ_AFTER_HEADER) ?? getCookie(c, READ_AFTER_COOKIE, 'host');
    const lsn = await verifyReadAfter(secret, presented, ttl);
    const trace = currentTrace();
    if (lsn && presented && trace) {
      // The pages' in-process API calls pass it on (web/api.ts).
      c.set('readAfterToken', presented);
      await enterTrace({ ...trace, readAfter: lsn }, next);
    } else {
      await next();
    }
    // A page (the console's) whose in-process API calls were given a token keeps it in the browser's cookie.
    const issued = c.get('readAfterIssued');
    if (issued) {
      setCookie(c, READ_AFTER_COOKIE, issued, {
        prefix: 'host',
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
        path: '/',
        maxAge: ttl,
      });
    }
    if (!isMerchantWrite(c)) return;
    let position: string | undefined;
    try {
      position = await currentLsn(c.env);
    } catch (err) {
      log.warn('read-after: the primary position could not be read; answered without a token', { error: String(err) });
    }
    if (position) c.header(READ_AFTER_HEADER, await signReadAfter(secret, position, ttl));
  };
}
