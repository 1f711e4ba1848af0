// Identity through the running gateway: register, login, guest sessions, refresh-token rotation with reuse
// detection (also under 10 concurrent uses), logout, refresh tokens stored only as hashes, the published JWKS,
// the claims of our access tokens, and a JWT attack suite: every forged, altered, expired or malformed bearer
// token is refused with 401, while a token signed by the previous (rollover) key is still accepted.
import { createHash } from 'node:crypto';
import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiResponse, api, devAccounts, postJson, primary, uniqueWord } from './helpers';

const PASSWORD = 'a long enough password';
const newEmail = () => `${uniqueWord('id')}@example.com`;
const now = () => Math.floor(Date.now() / 1000);

function expectError(res: ApiResponse, status: number, code?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toMatchObject({
    code: expect.any(String),
    message: expect.any(String),
    requestId: expect.any(String),
  });
  if (code) expect(res.body.error.code).toBe(code);
  expect(res.headers.get('x-request-id')).toBe(res.body.error.requestId);
}

function expectSession(res: ApiResponse, status: number, role: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toEqual({
    accessToken: expect.any(String),
    refreshToken: expect.any(String),
    tokenType: 'Bearer',
    expiresIn: 900,
    subject: expect.any(String),
    role,
  });
  expect(res.headers.get('cache-control')).toBe('no-store');
}

const register = (email = newEmail(), password = PASSWORD) => postJson('/v1/auth/register', { email, password });
const login = (email: string, password: string, headers: Record<string, string> = {}) =>
  postJson('/v1/auth/login', { email, password }, headers);
const refresh = (refreshToken: string) => postJson('/v1/auth/refresh', { refreshToken });
const categoriesWith = (authorization: string) => api('/v1/categories', { headers: { authorization } });
const customersWithEmail = async (email: string) =>
  (await primary<{ n: number }>('select count(*)::int as n from customers where lower(email) = lower($1)', [email]))[0]!
    .n;
const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

describe('register', () => {
  it('creates a customer and answers 201 with a session whose access token works as a bearer', async () => {
    const email = newEmail();
    const res = await register(email);
    expectSession(res, 201, 'customer');
    const [row] = await primary<{ id: string; role: string }>('select id, role from customers where email = $1', [
      email,
    ]);
    expect(row).toEqual({ id: res.body.subject, role: 'customer' });
    const categories = await categoriesWith(`Bearer ${res.body.accessToken}`);
    expect(categories.status).toBe(200);
    expect(categories.body.categories.length).toBeGreaterThan(0);
  });

  it('refuses the same email in another letter case with 409 EMAIL_TAKEN and keeps one account', async () => {
    const email = newEmail();
    expect((await register(email)).status).toBe(201);
    expectError(await register(email.toUpperCase(), 'another long password'), 409, 'EMAIL_TAKEN');
    expect(await customersWithEmail(email)).toBe(1);
  });

  it.each([
    ['a weak (short) password', (email: string) => ({ email, password: 'short' })],
    ['a malformed email', (email: string) => ({ email: email.replace('@', ' at '), password: PASSWORD })],
    ['an unknown field (role)', (email: string) => ({ email, password: PASSWORD, role: 'admin' })],
    ['a missing password', (email: string) => ({ email })],
  ])('refuses %s with 400 and creates no customer row', async (_what, body) => {
    const email = newEmail();
    const [before] = await primary<{ n: number }>('select count(*)::int as n from customers');
    expectError(await postJson('/v1/auth/register', body(email)), 400, 'VALIDATION_FAILED');
    expect(await customersWithEmail(email)).toBe(0);
    expect(await customersWithEmail(email.replace('@', ' at '))).toBe(0);
    const [after] = await primary<{ n: number }>('select count(*)::int as n from customers');
    expect(after!.n).toBe(before!.n);
  });
});

describe('login', () => {
  it('signs the dev merchant in with the merchant role', async () => {
    const merchant = devAccounts().find((a) => a.role === 'merchant')!;
    const res = await login(merchant.email, merchant.password);
    expectSession(res, 200, 'merchant');
    const [row] = await primary<{ id: string }>('select id from customers where lower(email) = lower($1)', [
      merchant.email,
    ]);
    expect(res.body.subject).toBe(row!.id);
    expect(decodeJwt(res.body.accessToken).role).toBe('merchant');
  });

  it('accepts the email in any letter case', async () => {
    const email = newEmail();
    expect((await register(email)).status).toBe(201);
    expectSession(await login(email.toUpperCase(), PASSWORD), 200, 'customer');
  });

  it('gives a wrong password and an unknown email the identical status, code and message', async () => {
    const email = newEmail();
    expect((await register(email)).status).toBe(201);
    const wrongPassword = await login(email, 'not the right password');
    const unknownEmail = await login(newEmail(), PASSWORD);
    expectError(wrongPassword, 401, 'INVALID_CREDENTIALS');
    expectError(unknownEmail, 401, 'INVALID_CREDENTIALS');
    expect(unknownEmail.body.error.message).toBe(wrongPassword.body.error.message);
    expect(Object.keys(unknownEmail.body.error).sort()).toEqual(Object.keys(wrongPassword.body.error).sort());
    expect(unknownEmail.headers.get('www-authenticate')).toBe(wrongPassword.headers.get('www-authenticate'));
  });
});

describe('refresh tokens', () => {
  it('rotate: a refresh gives a new pair for the same subject', async () => {
    const first = await register();
    const second = await refresh(first.body.refreshToken);
    expectSession(second, 200, 'customer');
    expect(second.body.subject).toBe(first.body.subject);
    expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
    expect(second.body.accessToken).not.toBe(first.body.accessToken);
    expect((await categoriesWith(`Bearer ${second.body.accessToken}`)).status).toBe(200);
  });

  it('reusing a rotated token answers 401 REFRESH_TOKEN_REUSED and revokes the whole family, new token included', async () => {
    const first = await register();
    const second = await refresh(first.body.refreshToken);
    expect(second.status).toBe(200);
    expectError(await refresh(first.body.refreshToken), 401, 'REFRESH_TOKEN_REUSED');
    const successor = await refresh(second.body.refreshToken);
    expectError(successor, 401);
    expect(['REFRESH_TOKEN_REUSED', 'INVALID_REFRESH_TOKEN']).toContain(successor.body.error.code);
  });

  it('are stored only as SHA-256 hashes: the raw token appears nowhere in refresh_tokens', async () => {
    const first = await register();
    const second = await refresh(first.body.refreshToken);
    for (const raw of [first.body.refreshToken as string, second.body.refreshToken as string]) {
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

  it('10 concurrent refreshes of one token: exactly one succeeds, the rest get 401', async () => {
    const session = await register();
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(session.body.refreshToken)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) expectError(r, 401);
  });

  it('an unknown refresh token answers 401 INVALID_REFRESH_TOKEN', async () => {
    expectError(
      await refresh(base64url.encode(crypto.getRandomValues(new Uint8Array(32)))),
      401,
      'INVALID_REFRESH_TOKEN',
    );
  });

  it('logout answers 204, after which the refresh token is refused with 401', async () => {
    const session = await register();
    const out = await postJson('/v1/auth/logout', { refreshToken: session.body.refreshToken });
    expect(out.status).toBe(204);
    expect(out.body).toBe('');
    expectError(await refresh(session.body.refreshToken), 401);
  });

  it('logout of an unknown token also answers 204, so it tells nothing', async () => {
    const out = await postJson('/v1/auth/logout', {
      refreshToken: base64url.encode(crypto.getRandomValues(new Uint8Array(32))),
    });
    expect(out.status).toBe(204);
  });
});

describe('guest sessions', () => {
  it('POST /v1/auth/guest gives a guest session whose subject starts with "guest:"', async () => {
    const res = await postJson('/v1/auth/guest', {});
    expectSession(res, 201, 'guest');
    expect(res.body.subject).toMatch(/^guest:/);
    expect(decodeJwt(res.body.accessToken)).toMatchObject({ sub: res.body.subject, role: 'guest' });
    expect((await categoriesWith(`Bearer ${res.body.accessToken}`)).status).toBe(200);
  });

  it('login with the guest access token as bearer answers 200 as the customer', async () => {
    const email = newEmail();
    const account = await register(email);
    const guest = await postJson('/v1/auth/guest', {});
    const res = await login(email, PASSWORD, { authorization: `Bearer ${guest.body.accessToken}` });
    expectSession(res, 200, 'customer');
    expect(res.body.subject).toBe(account.body.subject);
    expect(decodeJwt(res.body.accessToken).sub).toBe(account.body.subject);
  });
});

describe('signing keys and access token claims', () => {
  it('GET /.well-known/jwks.json lists the current signing key (the kid in our tokens) and the previous test key, public parts only', async () => {
    const session = await register();
    const { kid } = decodeProtectedHeader(session.body.accessToken);
    const res = await api('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    const keys = res.body.keys as JWK[];
    expect(keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kid, 'previous-test-key']));
    for (const k of keys) {
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(k).not.toHaveProperty('d');
    }
    const previous = JSON.parse(inject('previousSigningKey')) as JWK;
    expect(keys.find((k) => k.kid === 'previous-test-key')).toMatchObject({ x: previous.x, y: previous.y });
  });

  it('access tokens are ES256 with iss storefront, aud storefront-api, sub, role, iat and exp = iat + 900', async () => {
    const session = await register();
    const header = decodeProtectedHeader(session.body.accessToken);
    expect(header.alg).toBe('ES256');
    expect(header.kid).toEqual(expect.any(String));
    const claims = decodeJwt(session.body.accessToken);
    expect(claims).toMatchObject({
      iss: 'storefront',
      aud: 'storefront-api',
      sub: session.body.subject,
      role: 'customer',
    });
    expect(claims.iat).toEqual(expect.any(Number));
    expect(claims.exp).toBe(claims.iat! + 900);
    expect(Math.abs(claims.iat! - now())).toBeLessThan(60);
  });
});

describe('JWT attacks on GET /v1/categories', () => {
  let previousKey: CryptoKey;
  let currentKid: string;
  let currentJwk: JWK;
  let customer: { accessToken: string; subject: string };

  /** Claims of a valid token; an override of `undefined` leaves the claim out. */
  function claims(overrides: Record<string, unknown> = {}): JWTPayload {
    const t = now();
    const all: Record<string, unknown> = {
      iss: 'storefront',
      aud: 'storefront-api',
      sub: customer.subject,
      role: 'customer',
      iat: t,
      exp: t + 900,
      ...overrides,
    };
    return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as JWTPayload;
  }

  /** Signed with the previous test key, which the gateway accepts: only the changed part can make it fail. */
  const signWithPrevious = (payload: JWTPayload) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'previous-test-key', typ: 'JWT' }).sign(previousKey);

  const encodePart = (value: unknown) => base64url.encode(JSON.stringify(value));

  beforeAll(async () => {
    previousKey = (await importJWK(JSON.parse(inject('previousSigningKey')) as JWK, 'ES256')) as CryptoKey;
    const session = await register();
    customer = session.body;
    currentKid = decodeProtectedHeader(customer.accessToken).kid!;
    const jwks = await api('/.well-known/jwks.json');
    currentJwk = (jwks.body.keys as JWK[]).find((k) => k.kid === currentKid)!;
    expect(currentJwk).toBeDefined();
  });

  async function expectRefused(token: string) {
    const res = await categoriesWith(`Bearer ${token}`);
    expectError(res, 401, 'UNAUTHORIZED');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  }

  it('accepts a token signed by the previous (rollover) key with the right iss, aud and exp', async () => {
    const res = await categoriesWith(`Bearer ${await signWithPrevious(claims())}`);
    expect(res.status).toBe(200);
    expect(res.body.categories.length).toBeGreaterThan(0);
  });

  it('accepts a genuine access token (the control for every case below)', async () => {
    expect((await categoriesWith(`Bearer ${customer.accessToken}`)).status).toBe(200);
  });

  it('refuses an unsigned token (alg none)', async () => {
    await expectRefused(`${encodePart({ alg: 'none', typ: 'JWT' })}.${encodePart(claims())}.`);
    await expectRefused(`${encodePart({ alg: 'none', kid: currentKid })}.${encodePart(claims({ role: 'admin' }))}.`);
  });

  it('refuses HS256 tokens whose HMAC secret is the public key as JWK text or as PEM', async () => {
    const pem = await exportSPKI((await importJWK(currentJwk, 'ES256', { extractable: true })) as CryptoKey);
    const secrets = [JSON.stringify(currentJwk), pem, pem.trim()];
    for (const secret of secrets) {
      const token = await new SignJWT(claims({ role: 'admin' }))
        .setProtectedHeader({ alg: 'HS256', kid: currentKid, typ: 'JWT' })
        .sign(new TextEncoder().encode(secret));
      await expectRefused(token);
    }
  });

  it('refuses an expired token', async () => {
    await expectRefused(await signWithPrevious(claims({ iat: now() - 3600, exp: now() - 1800 })));
    await expectRefused(await signWithPrevious(claims({ iat: now() - 960, exp: now() - 60 })));
  });

  it('refuses a token that is not yet valid (nbf in the future)', async () => {
    await expectRefused(await signWithPrevious(claims({ nbf: now() + 3600 })));
  });

  it('refuses a token issued far in the future', async () => {
    await expectRefused(await signWithPrevious(claims({ iat: now() + 3600, exp: now() + 4500 })));
  });

  it('refuses a wrong issuer, and a missing one', async () => {
    await expectRefused(await signWithPrevious(claims({ iss: 'evil-storefront' })));
    await expectRefused(await signWithPrevious(claims({ iss: undefined })));
  });

  it('refuses a wrong audience, and a missing one', async () => {
    await expectRefused(await signWithPrevious(claims({ aud: 'some-other-api' })));
    await expectRefused(await signWithPrevious(claims({ aud: undefined })));
  });

  it('refuses a token signed by a key whose kid is not in the JWKS', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'not-in-jwks' }).sign(privateKey);
    await expectRefused(token);
  });

  it('refuses a token naming a kid from the JWKS but signed by a different private key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    for (const kid of [currentKid, 'previous-test-key']) {
      await expectRefused(
        await new SignJWT(claims({ role: 'admin' })).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey),
      );
    }
  });

  it('refuses a genuine token whose payload was changed (role admin) after signing', async () => {
    const [header, payload, signature] = customer.accessToken.split('.') as [string, string, string];
    const altered = {
      ...(JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as JWTPayload),
      role: 'admin',
    };
    await expectRefused(`${header}.${encodePart(altered)}.${signature}`);
  });

  it('refuses a token without exp', async () => {
    await expectRefused(await signWithPrevious(claims({ exp: undefined })));
  });

  it('refuses a token without sub', async () => {
    await expectRefused(await signWithPrevious(claims({ sub: undefined })));
  });

  it.each([['superuser'], ['ADMIN'], [''], [7], [null]])('refuses a token whose role is %j', async (role) => {
    await expectRefused(await signWithPrevious(claims({ role })));
  });

  it('refuses a token without role', async () => {
    await expectRefused(await signWithPrevious(claims({ role: undefined })));
  });

  it.each([['abc'], ['a.b.c'], [''], ['..'], ['Bearer'], ['eyJhbGciOiJub25lIn0']])(
    'refuses the garbage bearer %j',
    async (token) => {
      await expectRefused(token);
    },
  );

  it('refuses an Authorization header that is not a bearer token', async () => {
    for (const header of [
      'Basic YWRtaW46YWRtaW4=',
      `bearer${customer.accessToken}`,
      `Bearer ${customer.accessToken} extra`,
    ]) {
      expectError(await categoriesWith(header), 401, 'UNAUTHORIZED');
    }
  });
});
