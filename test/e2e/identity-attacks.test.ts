// A JWT attack suite through the running gateway: every forged, altered, expired or malformed bearer token is
// refused with 401, while a token signed by the previous (rollover) key is still accepted. The forged tokens
// go raw (categoriesWith); the genuine ones through the typed client.
import {
  base64url,
  decodeProtectedHeader,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { client, ok } from './helpers';
import { categoriesAs, categoriesWith, expectError, now, registered } from './identity-helpers';

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
    customer = await registered();
    currentKid = decodeProtectedHeader(customer.accessToken).kid!;
    const jwks = await ok('jwks', client().GET('/.well-known/jwks.json'));
    currentJwk = (jwks.keys as JWK[]).find((k) => k.kid === currentKid)!;
    expect(currentJwk).toBeDefined();
  });

  async function expectRefused(token: string) {
    const res = await categoriesWith(`Bearer ${token}`);
    expectError(res, 401, 'UNAUTHORIZED');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  }

  it('accepts a token signed by the previous (rollover) key with the right iss, aud and exp', async () => {
    const res = await categoriesAs(await signWithPrevious(claims()));
    expect(res.response.status).toBe(200);
    expect(res.data?.categories.length).toBeGreaterThan(0);
  });

  it('accepts a genuine access token (the control for every case below)', async () => {
    expect((await categoriesAs(customer.accessToken)).response.status).toBe(200);
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
