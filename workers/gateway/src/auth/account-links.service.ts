// Emailed single-use links of an account: password reset and email verification (docs/identity.md#account-links).
// A link's token is 32 random bytes; only its SHA-256 is stored, with a short life. Using one is one statement
// that sets used_at where it was null, so two uses racing cannot both win; a reset also sets the password and
// revokes every refresh-token family of the account in that statement. Emails go through the `notifications`
// Queue to the admin worker, which sends them like order emails (docs/admin.md#emails).
import { sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { hashPassword } from '../../../../lib/auth/password';
import { hashRefreshToken, newRefreshToken } from '../../../../lib/auth/tokens';
import type { AccountEmailJob, AccountEmailKind } from '../../../../lib/contracts/notifications';
import { AppError } from '../../../../lib/errors';
import { log } from '../../../../lib/log';
import { withTimeout } from '../../../../lib/resilience';
import { gatewayConfig } from '../config';
import { limitByKey } from '../rate-limit/middleware';
import type { GatewayApp } from '../types';
import { db } from './identity.service';

type Ctx = Context<GatewayApp>;

const QUEUE_SEND_TIMEOUT_MS = 5000;

/** Where each link opens: the storefront's pages, which post the token back (a GET never uses it up). */
const pageOf: Record<AccountEmailKind, string> = {
  password_reset: '/account/reset',
  verify_email: '/account/verify',
};

const ttlMinutes = (c: Ctx, kind: AccountEmailKind) => {
  const config = gatewayConfig(c.env);
  return kind === 'password_reset' ? config.PASSWORD_RESET_TTL_MINUTES : config.EMAIL_VERIFY_TTL_MINUTES;
};

/** The per-address email bucket's key: a hash, so the rate-limit store never holds an address. */
async function emailKey(email: string): Promise<string> {
  return `email:${(await hashRefreshToken(`account-email:${email.toLowerCase()}`)).slice(0, 32)}`;
}

/**
 * Stores a new link for the account with this email (when there is one) and queues its email. The same statement
 * runs whether the account exists or not, and the email is queued after the answer (waitUntil), so the answer
 * and its timing say nothing about which addresses have accounts.
 */
async function issueLink(c: Ctx, kind: AccountEmailKind, where: { email: string } | { customerId: string }) {
  const { token, hash } = await newRefreshToken();
  const minutes = ttlMinutes(c, kind);
  const match = 'email' in where ? sql`lower(c.email) = lower(${where.email})` : sql`c.id = ${where.customerId}::uuid`;
  const rows = await db(c.env, (p) =>
    p.execute<{ email: string; name: string | null; expires_at: string }>(sql`
      insert into account_tokens (token_hash, customer_id, purpose, email, expires_at)
      select ${hash}, c.id, ${kind}, c.email, now() + make_interval(mins => ${minutes})
      from customers c where ${match}
      returning email, (select name from customers where id = customer_id) as name,
        to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as expires_at`),
  );
  const row = rows.rows[0];
  if (!row) return;
  const link = new URL(pageOf[kind], gatewayConfig(c.env).SHOP_ORIGIN);
  link.searchParams.set('token', token);
  const job: AccountEmailJob = {
    type: 'account_email',
    key: `account:${hash}`,
    kind,
    to: row.email,
    name: row.name,
    link: link.href,
    expiresAt: row.expires_at,
  };
  const send = withTimeout(c.env.NOTIFICATIONS.send(job), QUEUE_SEND_TIMEOUT_MS, 'notifications queue send').catch(
    (err) => log.error('account email not queued', { kind, error: String(err), requestId: c.get('requestId') }),
  );
  try {
    c.executionCtx.waitUntil(send);
  } catch {
    await send; // no execution context (a direct app.request in a test)
  }
}

/** POST /v1/auth/password-reset: the same answer for every address, limited per address (RATE_LIMIT_ACCOUNT_EMAIL). */
export async function requestPasswordReset(c: Ctx, email: string): Promise<void> {
  await limitByKey(c, 'accountEmail', await emailKey(email));
  await issueLink(c, 'password_reset', { email });
}

/** A verification link for a customer: at registration, and on request (refused once verified). */
export async function requestVerification(c: Ctx, customerId: string, opts: { onRequest: boolean }): Promise<void> {
  if (opts.onRequest) {
    const rows = await db(c.env, (p) =>
      p.execute<{ email: string; verified: boolean }>(
        sql`select email, email_verified_at is not null as verified from customers where id = ${customerId}::uuid`,
      ),
    );
    const me = rows.rows[0];
    if (!me) throw new AppError('UNAUTHORIZED', 'This account no longer exists.');
    if (me.verified) throw new AppError('EMAIL_ALREADY_VERIFIED', 'Your email address is verified already.');
    await limitByKey(c, 'accountEmail', await emailKey(me.email));
  }
  await issueLink(c, 'verify_email', { customerId });
}

const invalidLink = () =>
  new AppError('INVALID_LINK_TOKEN', 'This link is not valid: it was used already, has expired, or was replaced.');

/**
 * POST /v1/auth/password-reset/confirm. One statement: uses the token up (only where unused and unexpired), sets
 * the password, marks the email verified (the link proved it), uses up the account's other reset links, and
 * revokes every refresh-token family of the account.
 */
export async function confirmPasswordReset(c: Ctx, token: string, password: string): Promise<void> {
  const hash = await hashRefreshToken(token);
  // Hashed before the statement: the token is checked once, in the same statement that changes the password.
  const passwordHash = await hashPassword(password, gatewayConfig(c.env).PASSWORD_ITERATIONS);
  const rows = await db(c.env, (p) =>
    p.execute<{ id: string }>(sql`
      with used as (
        update account_tokens set used_at = now()
        where token_hash = ${hash} and purpose = 'password_reset' and used_at is null and expires_at > now()
        returning customer_id
      ), changed as (
        update customers set password_hash = ${passwordHash},
          email_verified_at = coalesce(email_verified_at, now())
        from used where customers.id = used.customer_id
        returning customers.id
      ), others as (
        update account_tokens set used_at = now()
        where customer_id in (select id from changed) and purpose = 'password_reset' and used_at is null
          and token_hash <> ${hash}
      ), revoked as (
        update refresh_tokens set revoked_at = now()
        where subject in (select id::text from changed) and revoked_at is null
      )
      select id from changed`),
  );
  if (!rows.rows[0]) throw invalidLink();
  log.info('password reset', { customerId: rows.rows[0].id });
}

/** POST /v1/auth/verify-email: uses the token up and marks the email verified, if it is still the address linked. */
export async function confirmVerification(c: Ctx, token: string): Promise<void> {
  const hash = await hashRefreshToken(token);
  const rows = await db(c.env, (p) =>
    p.execute<{ id: string }>(sql`
      with used as (
        update account_tokens set used_at = now()
        where token_hash = ${hash} and purpose = 'verify_email' and used_at is null and expires_at > now()
        returning customer_id, email
      )
      update customers set email_verified_at = coalesce(email_verified_at, now())
      from used where customers.id = used.customer_id and lower(customers.email) = lower(used.email)
      returning customers.id`),
  );
  if (!rows.rows[0]) throw invalidLink();
}
