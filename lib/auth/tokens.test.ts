// The token settings through configOf: the signing key and the accepted public keys are checked as what they must
// be, and a bad one is named without its value.
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { authKeys, signAccessToken, verifyAccessToken } from './tokens';

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateJwk: { ...(await exportJWK(privateKey)), kid }, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

describe('authKeys', () => {
  it('reads the signing key with the default issuer, audience and lifetime, and signs what it verifies', async () => {
    const { privateJwk } = await keyPair('k1');
    const keys = await authKeys({ JWT_SIGNING_KEY: JSON.stringify(privateJwk) });
    expect(keys).toMatchObject({ issuer: 'storefront', audience: 'storefront-api', ttl: 900, kid: 'k1' });
    expect(keys.jwks.keys.map((k) => k.kid)).toEqual(['k1']);
    expect(keys.jwks.keys[0]).not.toHaveProperty('d');
    const token = await signAccessToken(keys, { sub: 'u1', role: 'customer' });
    expect(await verifyAccessToken(keys, token)).toEqual({ sub: 'u1', role: 'customer' });
  });

  it('names a signing key that is not a private JWK with a kid, without showing it', async () => {
    const { privateJwk, publicJwk } = await keyPair('k2');
    const { kid: _kid, ...noKid } = privateJwk;
    const refusal = authKeys({ JWT_SIGNING_KEY: JSON.stringify(noKid) });
    await expect(refusal).rejects.toThrow(/JWT_SIGNING_KEY: expected a private P-256 JWK with a kid \(a secret/);
    await expect(refusal).rejects.not.toThrow(privateJwk.d!);
    await expect(authKeys({ JWT_SIGNING_KEY: JSON.stringify(publicJwk) })).rejects.toThrow(/JWT_SIGNING_KEY/);
    await expect(authKeys({})).rejects.toThrow(/JWT_SIGNING_KEY: .*\(it is not set\)/);
    await expect(authKeys({ JWT_SIGNING_KEY: '{not json' })).rejects.toThrow(/JWT_SIGNING_KEY/);
  });

  it('refuses a key set that holds a private key, and a lifetime out of range', async () => {
    const { privateJwk } = await keyPair('k3');
    const old = await keyPair('k0');
    const signing = JSON.stringify(privateJwk);
    await expect(
      authKeys({ JWT_SIGNING_KEY: signing, JWT_PUBLIC_KEYS: JSON.stringify({ keys: [old.privateJwk] }) }),
    ).rejects.toThrow(/JWT_PUBLIC_KEYS: expected a JWKS of public P-256 keys/);
    await expect(authKeys({ JWT_SIGNING_KEY: signing, ACCESS_TOKEN_TTL_SECONDS: '59' })).rejects.toThrow(
      /ACCESS_TOKEN_TTL_SECONDS: .*\(got "59"\)/,
    );
    const keys = await authKeys({
      JWT_SIGNING_KEY: signing,
      JWT_PUBLIC_KEYS: JSON.stringify({ keys: [old.publicJwk] }),
    });
    expect(keys.jwks.keys.map((k) => k.kid)).toEqual(['k0', 'k3']);
  });
});

describe('verifyAccessToken', () => {
  const env = async (kid: string, old?: { publicJwk: object }) => {
    const { privateJwk } = await keyPair(kid);
    return {
      JWT_SIGNING_KEY: JSON.stringify(privateJwk),
      ...(old ? { JWT_PUBLIC_KEYS: JSON.stringify({ keys: [old.publicJwk] }) } : {}),
    };
  };

  it('refuses a token it has verified before once it expires (the remembered token keeps its expiry)', async () => {
    const keys = await authKeys({ ...(await env('t1')), ACCESS_TOKEN_TTL_SECONDS: '60' });
    const token = await signAccessToken(keys, { sub: 'u1', role: 'guest' });
    const now = Date.now();
    expect(await verifyAccessToken(keys, token, now)).toEqual({ sub: 'u1', role: 'guest' });
    expect(await verifyAccessToken(keys, token, now + 30_000)).toEqual({ sub: 'u1', role: 'guest' });
    // exp + 5 s of clock tolerance, as the first check allows
    expect(await verifyAccessToken(keys, token, now + 63_000)).toEqual({ sub: 'u1', role: 'guest' });
    expect(await verifyAccessToken(keys, token, now + 67_000)).toBeNull();
    expect(await verifyAccessToken(keys, token, now)).toEqual({ sub: 'u1', role: 'guest' }); // checked in full again
  });

  it('verifies again under a new key set: a token of a retired key is refused even after it was accepted', async () => {
    const { privateJwk, publicJwk } = await keyPair('old');
    const before = await authKeys({ JWT_SIGNING_KEY: JSON.stringify(privateJwk) });
    const token = await signAccessToken(before, { sub: 'u2', role: 'customer' });
    expect(await verifyAccessToken(before, token)).toEqual({ sub: 'u2', role: 'customer' });
    // The rollover: the old key still listed, then retired.
    const during = await authKeys(await env('new', { publicJwk }));
    expect(await verifyAccessToken(during, token)).toEqual({ sub: 'u2', role: 'customer' });
    const after = await authKeys(await env('newer'));
    expect(await verifyAccessToken(after, token)).toBeNull();
  });

  it('never remembers a refusal, nor serves a changed token from what it remembers', async () => {
    const keys = await authKeys(await env('t3'));
    const token = await signAccessToken(keys, { sub: 'u3', role: 'guest' });
    const [head, body, sig] = token.split('.') as [string, string, string];
    const forged = `${head}.${btoa(JSON.stringify({ ...JSON.parse(atob(body)), role: 'admin' })).replace(/=+$/, '')}.${sig}`;
    expect(await verifyAccessToken(keys, token)).toEqual({ sub: 'u3', role: 'guest' });
    expect(await verifyAccessToken(keys, forged)).toBeNull();
    expect(await verifyAccessToken(keys, forged)).toBeNull();
    const who = (await verifyAccessToken(keys, token))!;
    who.role = 'admin'; // a caller that changes its copy changes nothing remembered
    expect(await verifyAccessToken(keys, token)).toEqual({ sub: 'u3', role: 'guest' });
  });
});
