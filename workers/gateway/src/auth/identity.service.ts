// Accounts and sessions against the Postgres primary: register, login, guest sessions, refresh-token rotation
// with reuse detection (a token reused after its grace revokes its whole family), logout, and the scheduled pruning
// of tokens (refresh tokens, emailed links) that can never be used again.
import { sql } from 'drizzle-orm';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from '../../../../lib/auth/password';
import {
  type AuthEnv,
  authKeys,
  hashRefreshToken,
  type Identity,
  newRefreshToken,
  signAccessToken,
} from '../../../../lib/auth/tokens';
import { createDb, type DbEnv } from '../../../../lib/db/client';
import { mapDbError } from '../../../../lib/db/errors';
import { AppError } from '../../../../lib/errors';
import { log } from '../../../../lib/log';
import { gatewayConfig } from '../config';

export type IdentityEnv = DbEnv & AuthEnv;

const iterations = (env: IdentityEnv) => gatewayConfig(env).PASSWORD_ITERATIONS;

export interface Session {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  subject: string;
  role: Identity['role'];
}

/** How long a new refresh token lives: a guest's session has a fixed, shorter life; a customer's slides. */
const refreshDays = (env: IdentityEnv, role: Identity['role']) =>
  role === 'guest' ? gatewayConfig(env).GUEST_SESSION_TTL_DAYS : gatewayConfig(env).REFRESH_TOKEN_TTL_DAYS;

/** A statement on the primary, its database errors mapped to AppError (503 when it is down). */
export async function db<T>(
  env: IdentityEnv,
  run: (primary: ReturnType<typeof createDb>['$primary']) => Promise<T>,
): Promise<T> {
  try {
    return await run(createDb(env).$primary);
  } catch (err) {
    mapDbError(err);
  }
}

/** Starts a new refresh-token family (or continues `familyId`) and signs an access token. */
async function issue(env: IdentityEnv, who: Identity, familyId: string = crypto.randomUUID()): Promise<Session> {
  const keys = await authKeys(env);
  const refresh = await newRefreshToken();
  await db(env, (p) =>
    p.execute(sql`insert into refresh_tokens (family_id, subject, role, token_hash, expires_at)
                  values (${familyId}, ${who.sub}, ${who.role}, ${refresh.hash}, now() + make_interval(days => ${refreshDays(env, who.role)}))`),
  );
  return session(keys, who, refresh.token);
}

async function session(
  keys: Awaited<ReturnType<typeof authKeys>>,
  who: Identity,
  refreshToken: string,
): Promise<Session> {
  return {
    accessToken: await signAccessToken(keys, who),
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: keys.ttl,
    subject: who.sub,
    role: who.role,
  };
}

export async function register(
  env: IdentityEnv,
  input: { email: string; password: string; name?: string },
): Promise<Session> {
  const passwordHash = await hashPassword(input.password, iterations(env));
  const rows = await db(env, (p) =>
    p.execute<{ id: string }>(sql`insert into customers (email, name, password_hash, role)
                                  values (${input.email}, ${input.name ?? null}, ${passwordHash}, 'customer')
                                  on conflict ((lower(email))) do nothing returning id`),
  );
  const id = rows.rows[0]?.id;
  if (!id) throw new AppError('EMAIL_TAKEN', 'An account with this email exists; log in instead.');
  return issue(env, { sub: id, role: 'customer' });
}

export async function login(env: IdentityEnv, input: { email: string; password: string }): Promise<Session> {
  const rows = await db(env, (p) =>
    p.execute<{ id: string; password_hash: string; role: 'customer' | 'merchant' | 'admin' }>(
      sql`select id, password_hash, role from customers where lower(email) = lower(${input.email})`,
    ),
  );
  const account = rows.rows[0];
  const ok = account
    ? await verifyPassword(input.password, account.password_hash)
    : await verifyAgainstDecoy(input.password, iterations(env));
  // One answer for an unknown email and a wrong password.
  if (!account || !ok) throw new AppError('INVALID_CREDENTIALS', 'The email or password is not right.');
  return issue(env, { sub: account.id, role: account.role });
}

export async function guest(env: IdentityEnv): Promise<Session> {
  return issue(env, { sub: `guest:${crypto.randomUUID()}`, role: 'guest' });
}

/**
 * Rotates a refresh token: the claim of the old token and the insert of its successor are one statement. A token
 * presented again within REFRESH_REUSE_GRACE_SECONDS of its first rotation (two tabs, a client that lost the
 * answer, concurrent requests: the second update waits on the row lock, then re-reads it) gets another successor in
 * the same family; the rotation time is kept from the first use, so replays cannot stretch the grace. After the
 * grace, a reuse revokes the family.
 */
export async function refresh(env: IdentityEnv, token: string): Promise<Session> {
  const keys = await authKeys(env);
  const oldHash = await hashRefreshToken(token);
  const next = await newRefreshToken();
  const grace = gatewayConfig(env).REFRESH_REUSE_GRACE_SECONDS;
  const rotated = await db(env, (p) =>
    p.execute<{ subject: string; role: Identity['role'] }>(sql`
      with claimed as (
        update refresh_tokens set used_at = coalesce(used_at, now())
        where token_hash = ${oldHash} and revoked_at is null and expires_at > now()
          and (used_at is null or (${grace} > 0 and used_at > now() - make_interval(secs => ${grace})))
        returning family_id, subject, role, expires_at
      )
      insert into refresh_tokens (family_id, subject, role, token_hash, expires_at)
      select family_id, subject,
             -- a customer's role is read afresh, so a demotion takes effect at the next refresh
             coalesce((select c.role from customers c where c.id::text = claimed.subject), claimed.role),
             ${next.hash},
             -- a guest session keeps the end it was given; a customer's moves on with each use
             case when claimed.role = 'guest' then claimed.expires_at
                  else now() + make_interval(days => ${gatewayConfig(env).REFRESH_TOKEN_TTL_DAYS}) end
      from claimed
      returning subject, role`),
  );
  const who = rotated.rows[0];
  if (who) return session(keys, { sub: who.subject, role: who.role }, next.token);

  const known = await db(env, (p) =>
    p.execute<{ family_id: string; reused: boolean }>(
      sql`select family_id, (used_at is not null or revoked_at is not null) as reused from refresh_tokens where token_hash = ${oldHash}`,
    ),
  );
  const row = known.rows[0];
  if (row?.reused) {
    await db(env, (p) =>
      p.execute(
        sql`update refresh_tokens set revoked_at = now() where family_id = ${row.family_id} and revoked_at is null`,
      ),
    );
    log.warn('refresh token reused; family revoked', { familyId: row.family_id });
    throw new AppError('REFRESH_TOKEN_REUSED', 'This session has been revoked; log in again.');
  }
  throw new AppError('INVALID_REFRESH_TOKEN', 'The refresh token is not valid; log in again.');
}

/** Revokes the token's whole family. Unknown tokens are ignored, so logout never tells what exists. */
export async function logout(env: IdentityEnv, token: string): Promise<void> {
  const hash = await hashRefreshToken(token);
  await db(env, (p) =>
    p.execute(sql`update refresh_tokens set revoked_at = now()
                  where family_id = (select family_id from refresh_tokens where token_hash = ${hash}) and revoked_at is null`),
  );
}

/** Expired or revoked tokens are kept this long (a replay soon after a logout still answers REFRESH_TOKEN_REUSED). */
const PRUNE_AFTER_HOURS = 24;
/** Rows per delete statement, and statements per run: one run stays short, the next cron run goes on. */
const PRUNE_BATCH = 5000;
const PRUNE_MAX_BATCHES = 20;

/**
 * The scheduled clean-up (the gateway's Cron Trigger): deletes refresh tokens that can never be used again,
 * expired or revoked more than PRUNE_AFTER_HOURS ago, in bounded batches. Returns how many rows went.
 */
export async function pruneRefreshTokens(env: IdentityEnv): Promise<{ deleted: number }> {
  let deleted = 0;
  for (let i = 0; i < PRUNE_MAX_BATCHES; i++) {
    const result = await db(env, (p) =>
      p.execute(sql`delete from refresh_tokens where id in (
                      select id from refresh_tokens
                      where expires_at < now() - make_interval(hours => ${PRUNE_AFTER_HOURS})
                         or revoked_at < now() - make_interval(hours => ${PRUNE_AFTER_HOURS})
                      limit ${PRUNE_BATCH})`),
    );
    const count = Number(result.rowCount ?? 0);
    deleted += count;
    if (count < PRUNE_BATCH) break;
  }
  // Emailed links (account_tokens) expired as long ago go too: used or not, they can never work again.
  const links = await db(env, (p) =>
    p.execute(sql`delete from account_tokens where token_hash in (
                    select token_hash from account_tokens
                    where expires_at < now() - make_interval(hours => ${PRUNE_AFTER_HOURS})
                    limit ${PRUNE_BATCH * PRUNE_MAX_BATCHES})`),
  );
  log.info('refresh tokens pruned', { deleted, linksDeleted: Number(links.rowCount ?? 0) });
  return { deleted };
}
