// Read-your-writes at the gateway (lib/db/read-after.ts). After a merchant's write answered 2xx/3xx (any POST, PUT,
// PATCH or DELETE under /v1/admin/), the primary's WAL position and the database's system identifier are read (the
// write has committed by then, so the position is at or past its commit) and signed, with the writer's subject and
// the write's scope (`catalog` for the catalog's paths, `other` for the rest), into a token sent as `x-read-after`
// on the answer. A page whose in-process API calls were given one (the console's forms: web/api.ts) sets it as the
// `__Host-read_after` cookie (HttpOnly, Lax, READ_AFTER_TTL_SECONDS): `readAfterPages`.
//
// `readAfter` (on /v1/*, after authentication and the rate limits) honours a token (the header first, else the
// cookie) only on a request authenticated as staff (merchant or admin) whose subject signed it, about this database
// (the system identifier, read once per isolate), at a position the primary has reached: the position then goes in
// the trace, so every routed read the request makes, in any worker, serves data at or past it. Anything else is
// ignored (never a 400): the request reads as if it had none. A token whose position is past the primary's (made
// before a restore, on another history) is ignored after at most one read of the primary's position by the request
// (none when this isolate has read the position since the token was made), never waited on. A write made with a
// live `catalog` token of its writer is answered with a `catalog` token (the scope is carried forward: clients keep
// only the newest token).
//
// The key is CONSOLE_SESSION_SECRET (scoped "read-after:", apart from the CSRF tokens' scopes); where it is not set,
// no token is issued or believed. A shopper's checkout issues none: their orders are read from their OrdersDO, the
// truth, which has the order the moment the checkout is accepted (docs/architecture.md#read-your-writes).
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Role } from '../../../../db/schema/identity';
import { lsnToBigInt } from '../../../../lib/catalog/generation';
import { dbSettings, sqlClient } from '../../../../lib/db/client';
import {
  parseReadAfter,
  READ_AFTER_COOKIE,
  READ_AFTER_HEADER,
  type ReadAfterClaim,
  type ReadAfterScope,
  signReadAfter,
  verifyReadAfter,
} from '../../../../lib/db/read-after';
import { log } from '../../../../lib/log';
import { currentTrace, enterTrace } from '../../../../lib/trace';
import { gatewayConfig } from '../config';
import type { GatewayApp } from '../types';

/** The read of the primary's position waits at most this long (ms); without it the answer has no token. */
const PRIMARY_TIMEOUT_MS = 500;
/** After a failed read of the primary's position, tokens are ignored for this long before it is tried again (ms). */
const RETRY_AFTER_MS = 5000;
/**
 * A token's issue time is known to the second (its expiry less the TTL) and clocks differ a little: the primary's
 * position proves a token came from another history only when it was read at least this long after the issue (ms).
 */
const ISSUE_MARGIN_MS = 2000;

/** The primary's WAL position now and the database's system identifier. */
export interface PrimaryState {
  lsn: string;
  system: string;
}

/** Reads the primary's state; undefined or a throw when it cannot be read. */
export type ReadPrimary = (env: GatewayApp['Bindings']) => Promise<PrimaryState | undefined>;

const readPrimary: ReadPrimary = async (env) => {
  const settings = dbSettings(env);
  const sql = sqlClient(settings.DATABASE_URL, {
    ...settings,
    DB_TIMEOUT_MS: Math.min(settings.DB_TIMEOUT_MS, PRIMARY_TIMEOUT_MS),
  });
  const [row] = (await sql`select pg_current_wal_lsn()::text as lsn, system_identifier::text as system
    from pg_control_system()`) as { lsn?: unknown; system?: unknown }[];
  return typeof row?.lsn === 'string' && typeof row.system === 'string'
    ? { lsn: row.lsn, system: row.system }
    : undefined;
};

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const STAFF = new Set<Role>(['merchant', 'admin']);
/**
 * The catalog's merchant paths: every write there publishes a catalog generation (its answer names it), and its token
 * is scoped `catalog`. A write elsewhere under /v1/admin/ (orders, stock, webhooks, images, ...) is `other`: it
 * routes the writer's database reads, and leaves the catalog's shared caches to serve them.
 */
const CATALOG_PATHS = /^\/v1\/admin\/(products|categories)(\/|$)/;

/** The scope of a merchant's write at `path`. */
export function writeScope(path: string): ReadAfterScope {
  return CATALOG_PATHS.test(path) ? 'catalog' : 'other';
}

/** A merchant's write through the API that succeeded. */
function isMerchantWrite(c: Context<GatewayApp>): boolean {
  return WRITES.has(c.req.method) && c.res.status < 400 && c.req.path.startsWith('/v1/admin/');
}

function secretOf(env: object): string | undefined {
  const value = (env as { CONSOLE_SESSION_SECRET?: unknown }).CONSOLE_SESSION_SECRET;
  return typeof value === 'string' && value.length >= 32 ? value : undefined;
}

const presentedToken = (c: Context<GatewayApp>) =>
  c.req.header(READ_AFTER_HEADER) ?? getCookie(c, READ_AFTER_COOKIE, 'host');

/**
 * The pages' side (on every path): a well-formed token the browser sent is kept for the page's in-process API calls
 * (web/api.ts), which verify it; a token those calls were given is set as the page's cookie.
 */
export function readAfterPages(): MiddlewareHandler<GatewayApp> {
  return async function readAfterPagesMiddleware(c, next) {
    if (!secretOf(c.env)) return next();
    const ttl = gatewayConfig(c.env).READ_AFTER_TTL_SECONDS;
    const presented = presentedToken(c);
    if (presented && parseReadAfter(presented, ttl)) c.set('readAfterToken', presented);
    await next();
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
  };
}

/** What this isolate last learnt of the primary: its position (and when that read began) and its system id. */
interface Known {
  lsn: bigint;
  system: string;
  at: number;
}

/**
 * The API's side (on /v1/*, after authentication): honours a token as the file's header says, and answers a
 * merchant's successful write with one. `primary` reads the primary's state (a test passes its own).
 */
export function readAfter(primary: ReadPrimary = readPrimary): MiddlewareHandler<GatewayApp> {
  // Per isolate (app.ts makes one): the primary's state as last read, and when a read of it last failed. Only these
  // settled values are shared: a request never awaits a read another request began (workerd cancels that read with
  // its request, and a promise of a cancelled request never settles), so each request that needs the primary's state
  // reads it itself within PRIMARY_TIMEOUT_MS: once at most to weigh a token, and once after a write for its own.
  let known: Known | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;

  /** Reads the primary's state now, within PRIMARY_TIMEOUT_MS however long `primary` takes. */
  const learn = async (env: GatewayApp['Bindings']): Promise<Known | undefined> => {
    const at = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const state = await Promise.race([
        primary(env),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${PRIMARY_TIMEOUT_MS} ms`)), PRIMARY_TIMEOUT_MS);
        }),
      ]);
      if (!state) throw new Error('no answer');
      const lsn = lsnToBigInt(state.lsn);
      // Positions only grow on one database: an older answer (of a read begun earlier) never takes one back.
      if (!known || known.system !== state.system || lsn >= known.lsn) known = { lsn, system: state.system, at };
      return known;
    } catch (err) {
      failedAt = Date.now();
      log.warn('read-after: the primary position could not be read', { error: String(err) });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };

  /** The claim of `token` when it is to be honoured for `subject`, else undefined. */
  const honoured = async (
    env: GatewayApp['Bindings'],
    secret: string,
    token: string,
    claim: ReadAfterClaim,
    subject: string,
    ttl: number,
  ): Promise<ReadAfterClaim | undefined> => {
    // This request's one read of the primary: none if it has read already, or a read failed within RETRY_AFTER_MS
    // (then the state as last known).
    let asked = false;
    const refresh = async () => {
      if (asked || Date.now() - failedAt < RETRY_AFTER_MS) return known;
      asked = true;
      return learn(env);
    };
    // The system identifier: read once per isolate (and with every later read of the position).
    const state = known ?? (await refresh());
    if (!state) return undefined;
    const system = state.system;
    if (!(await verifyReadAfter(secret, token, { subject, system }, ttl))) return undefined;
    const position = lsnToBigInt(claim.lsn);
    if (position <= state.lsn) return claim;
    // Past the position this isolate knows: a write since, or a token of another history (a restore). The primary
    // is asked once; a position it has not reached is never waited on.
    if (state.at >= claim.issuedAt + ISSUE_MARGIN_MS) return undefined;
    const now = await refresh();
    return now && now.system === system && position <= now.lsn ? claim : undefined;
  };

  return async function readAfterMiddleware(c, next) {
    const secret = secretOf(c.env);
    if (!secret) return next();
    const ttl = gatewayConfig(c.env).READ_AFTER_TTL_SECONDS;
    const identity = c.get('identity');
    const staff = identity && STAFF.has(identity.role) ? identity : undefined;
    const presented = presentedToken(c);
    const claim = parseReadAfter(presented, ttl);
    const trace = currentTrace();
    const honour =
      staff && presented && claim && trace
        ? await honoured(c.env, secret, presented, claim, staff.sub, ttl)
        : undefined;
    if (honour && trace) {
      await enterTrace({ ...trace, readAfter: honour.lsn, readAfterScope: honour.scope }, next);
    } else {
      await next();
    }
    if (!staff || !isMerchantWrite(c)) return;
    // Read after the write: this isolate's view of the primary moves on with it.
    const state = await learn(c.env);
    if (!state) return; // logged: the answer simply has no token
    const lsn = `${(state.lsn >> 32n).toString(16)}/${(state.lsn & 0xffffffffn).toString(16)}`;
    // A client keeps only the newest token (the console's cookie, an API client's last header), so a write made
    // while holding a live `catalog` token of this writer is signed `catalog` too: its position is at or past that
    // token's, and the catalog write stays read back after an order or stock write that followed it.
    const scope = honour?.scope === 'catalog' ? 'catalog' : writeScope(c.req.path);
    const token = await signReadAfter(secret, { lsn, scope }, { subject: staff.sub, system: state.system }, ttl);
    c.header(READ_AFTER_HEADER, token);
  };
}
