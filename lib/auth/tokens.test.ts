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
