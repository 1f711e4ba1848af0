// Identity through the running gateway: register, login, guest sessions, refresh-token rotation with reuse
// detection (also under 10 concurrent uses), logout, refresh tokens stored only as hashes, the published JWKS
// and the claims of our access tokens. Forged and malformed tokens are in identity-attacks.test.ts.
import { createHash } from 'node:crypto';
import { base64url, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { client, devAccounts, ok, postJson, primary } from './helpers';
import {
  categoriesAs,
  expectError,
  expectSession,
  login,
  newEmail,
  now,
  PASSWORD,
  pastReuseGrace,
  refresh,
  register,
  registered,
} from './identity-helpers';

const customersWithEmail = async (email: string) =>
  (await primary<{ n: number }>('select count(*)::int as n from customers where lower(email) = lower($1)', [email]))[0]!
    .n;
const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

describe('register', () => {
  it('creates a customer and answers 201 with a session whose access token works as a bearer', async () => {
    const email = newEmail();
    const session = expectSession(await register(email), 201, 'customer');
    const [row] = await primary<{ id: string; role: string }>('select id, role from customers where email = $1', [
      email,
    ]);
    expect(row).toEqual({ id: session.subject, role: 'customer' });
    const categories = await categoriesAs(session.accessToken);
    expect(categories.response.status).toBe(200);
    expect(categories.data?.categories.length).toBeGreaterThan(0);
  });

  it('refuses the same email in another letter case with 409 EMAIL_TAKEN and keeps one account', async () => {
    const email = newEmail();
    expect((await register(email)).response.status).toBe(201);
    expectError(await register(email.toUpperCase(), 'another long password'), 409, 'EMAIL_TAKEN');
    expect(await customersWithEmail(email)).toBe(1);
  });

  // Raw: some of these bodies do not fit the request type (an extra field, a missing one).
  it.each([
    ['a weak (short) password', (email: string) => ({ email, password: 'short' })],
    ['a malformed email', (email: string) => ({ email: email.replace('@', ' at '), password: PASSWORD })],
    ['an unknown field (role)', (email: string) => ({ email, password: PASSWORD, role: 'admin' })],
    ['a missing password', (email: string) => ({ email })],
  ])('refuses %s with 400 and creates no customer row', async (_what, body) => {
    const email = newEmail();
    expectError(await postJson('/v1/auth/register', body(email)), 400, 'VALIDATION_FAILED');
    expect(await customersWithEmail(email)).toBe(0);
    expect(await customersWithEmail(email.replace('@', ' at '))).toBe(0);
    // No row in any spelling of the address: the local part is unique to this test (other files register at the
    // same time, so the table's own count proves nothing).
    const local = email.split('@')[0]!;
    const [like] = await primary<{ n: number }>(
      "select count(*)::int as n from customers where email ilike '%' || $1 || '%'",
      [local],
    );
    expect(like!.n).toBe(0);
  });
});

describe('login', () => {
  it('signs the dev merchant in with the merchant role', async () => {
    const merchant = devAccounts().find((a) => a.role === 'merchant')!;
    const session = expectSession(await login(merchant.email, merchant.password), 200, 'merchant');
    const [row] = await primary<{ id: string }>('select id from customers where lower(email) = lower($1)', [
      merchant.email,
    ]);
    expect(session.subject).toBe(row!.id);
    expect(decodeJwt(session.accessToken).role).toBe('merchant');
  });

  it('accepts the email in any letter case', async () => {
    const email = newEmail();
    expect((await register(email)).response.status).toBe(201);
    expectSession(await login(email.toUpperCase(), PASSWORD), 200, 'customer');
  });

  it('gives a wrong password and an unknown email the identical status, code and message', async () => {
    const email = newEmail();
    expect((await register(email)).response.status).toBe(201);
    const wrongPassword = await login(email, 'not the right password');
    const unknownEmail = await login(newEmail(), PASSWORD);
    expectError(wrongPassword, 401, 'INVALID_CREDENTIALS');
    expectError(unknownEmail, 401, 'INVALID_CREDENTIALS');
    expect(unknownEmail.error!.error.message).toBe(wrongPassword.error!.error.message);
    expect(Object.keys(unknownEmail.error!.error).sort()).toEqual(Object.keys(wrongPassword.error!.error).sort());
    expect(unknownEmail.response.headers.get('www-authenticate')).toBe(
      wrongPassword.response.headers.get('www-authenticate'),
    );
  });
});

describe('refresh tokens', () => {
  it('rotate: a refresh gives a new pair for the same subject', async () => {
    const first = await registered();
    const second = expectSession(await refresh(first.refreshToken), 200, 'customer');
    expect(second.subject).toBe(first.subject);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect((await categoriesAs(second.accessToken)).response.status).toBe(200);
  });

  it('reusing a rotated token after the grace answers 401 REFRESH_TOKEN_REUSED and revokes the whole family, new token included', async () => {
    const first = await registered();
    const second = await ok('refresh', refresh(first.refreshToken));
    await pastReuseGrace(first.refreshToken);
    expectError(await refresh(first.refreshToken), 401, 'REFRESH_TOKEN_REUSED');
    const successor = await refresh(second.refreshToken);
    expectError(successor, 401);
    expect(['REFRESH_TOKEN_REUSED', 'INVALID_REFRESH_TOKEN']).toContain(successor.error?.error.code);
  });

  it('within the reuse grace, concurrent refreshes of one token all succeed in the same family', async () => {
    const first = await registered();
    const answers = await Promise.all([refresh(first.refreshToken), refresh(first.refreshToken)]);
    const sessions = answers.map((a) => expectSession(a, 200, 'customer'));
    expect(sessions[0]!.refreshToken).not.toBe(sessions[1]!.refreshToken);
    const families = await primary<{ n: number }>(
      'select count(distinct family_id)::int as n from refresh_tokens where token_hash = any($1)',
      [[first.refreshToken, ...sessions.map((s) => s.refreshToken)].map(sha256Hex)],
    );
    expect(families[0]!.n).toBe(1);
    // Presented again a moment later (a client that lost the answer): still a successor, nothing revoked.
    const third = expectSession(await refresh(first.refreshToken), 200, 'customer');
    for (const s of [...sessions, third]) expect((await categoriesAs(s.accessToken)).response.status).toBe(200);
    // Every successor keeps rotating.
    for (const s of [...sessions, third]) expectSession(await refresh(s.refreshToken), 200, 'customer');
    // Past the grace, the first token's reuse revokes the family: every branch ends.
    await pastReuseGrace(first.refreshToken);
    expectError(await refresh(first.refreshToken), 401, 'REFRESH_TOKEN_REUSED');
    const [live] = await primary<{ n: number }>(
      `select count(*)::int as n from refresh_tokens
        where family_id = (select family_id from refresh_tokens where token_hash = $1) and revoked_at is null`,
      [sha256Hex(first.refreshToken)],
    );
    expect(live!.n).toBe(0);
  });

  it('are stored only as SHA-256 hashes: the raw token appears nowhere in refresh_tokens', async () => {
    const first = await registered();
    const second = await ok('refresh', refresh(first.refreshToken));
    for (const raw of [first.refreshToken, second.refreshToken]) {
      const [anywhere] = await primary<{ n: number }>(
        'select count(*)::int as n from refresh_tokens t where position($1 in t::text) > 0',
        [raw],
      );
      expect(anywhere!.n).toBe(0);
      const [hashed] = await primary<{ n: number }>(
        'select count(*)::int as n from refresh_tokens where token_hash = $1',
        [sha256Hex(raw)],
      );
      expect(hashed!.n).toBe(1);
    }
  });

  it('10 concurrent refreshes of one token: within the grace all succeed (rotation time kept), past it all get 401', async () => {
    const session = await registered();
    const usedAt = async () =>
      (
        await primary<{ used_at: Date }>('select used_at from refresh_tokens where token_hash = $1', [
          sha256Hex(session.refreshToken),
        ])
      )[0]!.used_at.getTime();
    await ok('refresh', refresh(session.refreshToken));
    const rotatedAt = await usedAt();
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(session.refreshToken)));
    expect(results.map((r) => r.response.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.data!.refreshToken)).size).toBe(10);
    // Replays do not move the rotation time, so they cannot stretch the grace.
    expect(await usedAt()).toBe(rotatedAt);
    await pastReuseGrace(session.refreshToken);
    const late = await Promise.all(Array.from({ length: 10 }, () => refresh(session.refreshToken)));
    for (const r of late) expectError(r, 401);
    expectError(await refresh(results[0]!.data!.refreshToken), 401);
  });

  it('an unknown refresh token answers 401 INVALID_REFRESH_TOKEN', async () => {
    expectError(
      await refresh(base64url.encode(crypto.getRandomValues(new Uint8Array(32)))),
      401,
      'INVALID_REFRESH_TOKEN',
    );
  });

  it('logout answers 204, after which the refresh token is refused with 401', async () => {
    const session = await registered();
    const out = await client().POST('/v1/auth/logout', { body: { refreshToken: session.refreshToken } });
    expect(out.response.status).toBe(204);
    expect(await out.response.text()).toBe('');
    expectError(await refresh(session.refreshToken), 401);
  });

  it('logout of an unknown token also answers 204, so it tells nothing', async () => {
    const out = await client().POST('/v1/auth/logout', {
      body: { refreshToken: base64url.encode(crypto.getRandomValues(new Uint8Array(32))) },
    });
    expect(out.response.status).toBe(204);
  });
});

describe('guest sessions', () => {
  it('POST /v1/auth/guest gives a guest session whose subject starts with "guest:"', async () => {
    const guest = expectSession(await client().POST('/v1/auth/guest'), 201, 'guest');
    expect(guest.subject).toMatch(/^guest:/);
    expect(decodeJwt(guest.accessToken)).toMatchObject({ sub: guest.subject, role: 'guest' });
    expect((await categoriesAs(guest.accessToken)).response.status).toBe(200);
  });

  it('login with the guest access token as bearer answers 200 as the customer', async () => {
    const email = newEmail();
    const account = await registered(email);
    const guest = await ok('guest', client().POST('/v1/auth/guest'));
    const answer = await login(email, PASSWORD, guest.accessToken);
    // A guest bearer adds what the cart merge did (issue 11 finding 9); the rest is the usual session.
    expect(answer.data?.cartMerge).toEqual({ merged: 0, kept: [] });
    const { cartMerge: _, ...rest } = answer.data ?? ({} as NonNullable<typeof answer.data>);
    const session = expectSession({ ...answer, data: rest }, 200, 'customer');
    expect(session.subject).toBe(account.subject);
    expect(decodeJwt(session.accessToken).sub).toBe(account.subject);
  });
});

describe('signing keys and access token claims', () => {
  it('GET /.well-known/jwks.json lists the current signing key (the kid in our tokens) and the previous test key, public parts only', async () => {
    const session = await registered();
    const { kid } = decodeProtectedHeader(session.accessToken);
    const res = await client().GET('/.well-known/jwks.json');
    expect(res.response.status).toBe(200);
    const keys = res.data!.keys as JWK[];
    expect(keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kid, 'previous-test-key']));
    for (const k of keys) {
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(k).not.toHaveProperty('d');
    }
    const previous = JSON.parse(inject('previousSigningKey')) as JWK;
    expect(keys.find((k) => k.kid === 'previous-test-key')).toMatchObject({ x: previous.x, y: previous.y });
  });

  it('access tokens are ES256 with iss storefront, aud storefront-api, sub, role, iat and exp = iat + 900', async () => {
    const session = await registered();
    const header = decodeProtectedHeader(session.accessToken);
    expect(header.alg).toBe('ES256');
    expect(header.kid).toEqual(expect.any(String));
    const claims = decodeJwt(session.accessToken);
    expect(claims).toMatchObject({
      iss: 'storefront',
      aud: 'storefront-api',
      sub: session.subject,
      role: 'customer',
    });
    expect(claims.iat).toEqual(expect.any(Number));
    expect(claims.exp).toBe(claims.iat! + 900);
    expect(Math.abs(claims.iat! - now())).toBeLessThan(60);
  });
});
