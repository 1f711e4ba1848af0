// Emailed single-use links through the typed client and the local mail sink: email verification (at registration
// and on request) and password reset. Tokens are stored only as hashes, expire, work once (also when confirms
// race), are refused for another purpose, and a reset revokes every session. A reset request answers the same for
// an unknown address (no enumeration) and is limited per email address.
import { describe, expect, it } from 'vitest';
import { customer, linkOf, mailsTo, mailTo, sha256Hex } from './account-helpers';
import { client, eventually, freshIp, gateway, ok, primary } from './helpers';
import { expectError, login, newEmail, PASSWORD, refresh } from './identity-helpers';

const resetFor = (email: string, ip = freshIp()) =>
  client(undefined, ip).POST('/v1/auth/password-reset', { body: { email } });
const confirmReset = (token: string, password: string) =>
  client().POST('/v1/auth/password-reset/confirm', { body: { token, password } });
const verify = (token: string) => client().POST('/v1/auth/verify-email', { body: { token } });

describe('email verification', () => {
  it('emails a link at registration that verifies the address once', async () => {
    const { email, token: bearer, session } = await customer();
    const mail = await mailTo(email, 'verify_email');
    const { url, token } = linkOf(mail);
    expect(`${url.origin}${url.pathname}`).toBe(`${gateway()}/account/verify`);
    expect(mail.html).toContain(`href="${url.href.replace(/&/g, '&amp;')}"`);
    // Only the hash is stored.
    const rows = await primary<{ token_hash: string }>(
      "select token_hash from account_tokens where customer_id = $1 and purpose = 'verify_email'",
      [session.subject],
    );
    expect(rows).toEqual([{ token_hash: sha256Hex(token) }]);
    expect(JSON.stringify(await primary('select * from account_tokens'))).not.toContain(token);

    expect((await verify(token)).response.status).toBe(204);
    expect((await ok('me', client(bearer).GET('/v1/me'))).emailVerified).toBe(true);
    expectError(await verify(token), 400, 'INVALID_LINK_TOKEN');
    expectError(await client(bearer).POST('/v1/me/verify-email'), 409, 'EMAIL_ALREADY_VERIFIED');
  });

  it('emails a new link on request; an expired one is refused', async () => {
    const { email, token: bearer } = await customer();
    const first = linkOf(await mailTo(email, 'verify_email')).token;
    const asked = await client(bearer).POST('/v1/me/verify-email');
    expect(asked.response.status).toBe(202);
    const second = linkOf(await mailTo(email, 'verify_email', 2)).token;
    expect(second).not.toBe(first);
    await primary("update account_tokens set expires_at = now() - interval '1 second' where token_hash = $1", [
      sha256Hex(first),
    ]);
    expectError(await verify(first), 400, 'INVALID_LINK_TOKEN');
    expect((await ok('me', client(bearer).GET('/v1/me'))).emailVerified).toBe(false);
    expect((await verify(second)).response.status).toBe(204);
  });

  it('refuses a reset token as a verification token, and malformed tokens with 400', async () => {
    const { email, token: bearer } = await customer();
    expect((await resetFor(email)).response.status).toBe(202);
    const resetToken = linkOf(await mailTo(email, 'password_reset')).token;
    expectError(await verify(resetToken), 400, 'INVALID_LINK_TOKEN');
    expectError(await verify('short'), 400, 'VALIDATION_FAILED');
    expectError(await verify(`${resetToken.slice(0, -1)}!`), 400, 'VALIDATION_FAILED');
    expect((await ok('me', client(bearer).GET('/v1/me'))).emailVerified).toBe(false);
    // The reset token was not used up by the refused verification.
    expect((await confirmReset(resetToken, 'a brand new password')).response.status).toBe(204);
  });
});

describe('password reset', () => {
  it('emails a link; the new password works, the old one and every session do not; the link works once', async () => {
    const { email, session } = await customer();
    const other = await ok('second session', login(email, PASSWORD));
    const asked = await resetFor(email);
    expect(asked.response.status).toBe(202);
    const mail = await mailTo(email, 'password_reset');
    const { url, token } = linkOf(mail);
    expect(`${url.origin}${url.pathname}`).toBe(`${gateway()}/account/reset`);
    expect(mail.subject).toMatch(/reset your password/);
    expect(await primary('select 1 from account_tokens where token_hash = $1', [sha256Hex(token)])).toHaveLength(1);

    expect((await confirmReset(token, 'my new long password')).response.status).toBe(204);
    expectError(await login(email, PASSWORD), 401, 'INVALID_CREDENTIALS');
    expect((await login(email, 'my new long password')).response.status).toBe(200);
    for (const refreshToken of [session.refreshToken, other.refreshToken])
      expect((await refresh(refreshToken)).response.status).toBe(401);
    expectError(await confirmReset(token, 'yet another password'), 400, 'INVALID_LINK_TOKEN');
    expect((await login(email, 'my new long password')).response.status).toBe(200);
  });

  it('answers an unknown address exactly like a known one, and sends nothing', async () => {
    const { email } = await customer();
    const unknown = newEmail();
    const [known, nobody] = await Promise.all([resetFor(email), resetFor(unknown)]);
    expect(nobody.response.status).toBe(known.response.status);
    expect(nobody.data).toEqual(known.data);
    await mailTo(email, 'password_reset');
    expect(await mailsTo(unknown)).toEqual([]);
    expect(await primary('select 1 from account_tokens where lower(email) = lower($1)', [unknown])).toHaveLength(0);
  });

  it('refuses an expired token, an unknown one and a weak password, and changes nothing', async () => {
    const { email } = await customer();
    await resetFor(email);
    const { token } = linkOf(await mailTo(email, 'password_reset'));
    expectError(await confirmReset(token, 'short'), 400, 'VALIDATION_FAILED');
    expectError(await confirmReset('A'.repeat(43), 'a long enough new one'), 400, 'INVALID_LINK_TOKEN');
    await primary("update account_tokens set expires_at = now() - interval '1 second' where token_hash = $1", [
      sha256Hex(token),
    ]);
    expectError(await confirmReset(token, 'a long enough new one'), 400, 'INVALID_LINK_TOKEN');
    expect((await login(email, PASSWORD)).response.status).toBe(200);
  });

  it('lets exactly one of 10 racing confirms of one token win', async () => {
    const { email } = await customer();
    await resetFor(email);
    const { token } = linkOf(await mailTo(email, 'password_reset'));
    const passwords = Array.from({ length: 10 }, (_, i) => `racing password number ${i}`);
    const answers = await Promise.all(passwords.map((p) => confirmReset(token, p)));
    const winners = answers.flatMap((a, i) => (a.response.status === 204 ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const a of answers.filter((x) => x.response.status !== 204)) expectError(a, 400, 'INVALID_LINK_TOKEN');
    const works = await Promise.all(passwords.map(async (p) => (await login(email, p)).response.status === 200));
    expect(works.flatMap((w, i) => (w ? [i] : []))).toEqual(winners);
  });

  it('a confirmed reset uses up the other reset links of the account', async () => {
    const { email } = await customer();
    await resetFor(email);
    await resetFor(email);
    const first = linkOf(await mailTo(email, 'password_reset', 1)).token;
    const second = linkOf(await mailTo(email, 'password_reset', 2)).token;
    expect((await confirmReset(second, 'the second new password')).response.status).toBe(204);
    expectError(await confirmReset(first, 'the first new password'), 400, 'INVALID_LINK_TOKEN');
  });

  it('limits requests per email address (RATE_LIMIT_ACCOUNT_EMAIL, 3 per 15 min) from any address', async () => {
    const { email } = await customer();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await resetFor(email)).response.status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const refused = await resetFor(email.toUpperCase());
    expectError(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same for an address with no account: a refusal tells nothing either.
    const unknown = newEmail();
    const forUnknown: number[] = [];
    for (let i = 0; i < 4; i++) forUnknown.push((await resetFor(unknown)).response.status);
    expect(forUnknown).toEqual([202, 202, 202, 429]);
    await mailTo(email, 'password_reset', 3);
    expect(await mailsTo(email, 'password_reset')).toHaveLength(3);
  });

  it('limits requests per client address (RATE_LIMIT_AUTH) whatever the email', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await resetFor(newEmail(), ip)).response.status);
    expect(statuses.slice(0, 10).every((s) => s === 202)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});

describe('pruning (the hourly Cron Trigger)', () => {
  it('deletes links expired over a day ago and keeps the others', async () => {
    const { session } = await customer();
    const insert = async (expiresIn: string) => {
      const hash = sha256Hex(`prune-${crypto.randomUUID()}`);
      await primary(
        `insert into account_tokens (token_hash, customer_id, purpose, email, expires_at)
         values ($1, $2, 'password_reset', 'x@example.com', now() + $3::interval)`,
        [hash, session.subject, expiresIn],
      );
      return hash;
    };
    const [old, recent, live] = [await insert('-2 days'), await insert('-1 hour'), await insert('20 minutes')];
    const exists = async (hash: string) =>
      (await primary('select 1 from account_tokens where token_hash = $1', [hash])).length === 1;
    const run = await fetch(`${gateway()}/__scheduled?cron=23+*+*+*+*`, { signal: AbortSignal.timeout(15_000) });
    expect(run.status).toBe(200);
    await eventually('the old link to be gone', async () => !(await exists(old)));
    expect(await exists(recent)).toBe(true);
    expect(await exists(live)).toBe(true);
  });
});
