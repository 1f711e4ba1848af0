// Access tokens (ES256 JWTs signed with a key from secrets, verified against a key set so that an old and a
// new key are both accepted during a rollover) and opaque refresh tokens (random, stored only as a hash).
import {
  createLocalJWKSet,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import { type Role, roles } from '../../db/schema/identity';
import { configOf, intVar, optionalText, secret, textVar } from '../config';

/** Who is calling, as verified by the gateway and passed to the other workers. Never read from a client. */
export interface Identity {
  sub: string;
  role: Role;
}

export interface AuthEnv {
  /** Secret: the private JWK (ES256, with a kid) that signs new access tokens. */
  JWT_SIGNING_KEY?: string;
  /** Secret or var: a JWKS of every public key still accepted (the signing key's and, in a rollover, the old one). */
  JWT_PUBLIC_KEYS?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
}

const Jwk = z
  .object({ kty: z.literal('EC'), crv: z.literal('P-256'), kid: z.string().min(1), x: z.string(), y: z.string() })
  .passthrough();

/** JSON text that must match `schema`; `what` names it in the error. */
const jsonOf = <S extends z.ZodType>(schema: S, what: string) =>
  z.string().transform((text, ctx): z.output<S> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}` });
      return z.NEVER;
    }
    return parsed.data;
  });

/** The token settings (the gateway's: it alone signs and verifies). */
export const AuthVars = z.object({
  JWT_SIGNING_KEY: secret(jsonOf(Jwk.extend({ d: z.string() }), 'a private P-256 JWK with a kid')),
  JWT_PUBLIC_KEYS: optionalText(
    jsonOf(z.object({ keys: z.array(Jwk.refine((k) => !('d' in k))) }), 'a JWKS of public P-256 keys with kids'),
  ),
  JWT_ISSUER: textVar('storefront'),
  JWT_AUDIENCE: textVar('storefront-api'),
  ACCESS_TOKEN_TTL_SECONDS: intVar(900, { min: 60, max: 3600 }),
});

export interface AuthKeys {
  issuer: string;
  audience: string;
  ttl: number;
  kid: string;
  privateKey: CryptoKey;
  jwks: JSONWebKeySet;
  verifyKey: JWTVerifyGetKey;
}

const loaded = new WeakMap<object, Promise<AuthKeys>>();

/** The gateway's keys, parsed and imported once per isolate; a clear error names a missing secret. */
export function authKeys(env: AuthEnv): Promise<AuthKeys> {
  let keys = loaded.get(env);
  if (!keys) {
    keys = (async () => {
      const s = configOf(env, AuthVars, 'the token settings (JWT_SIGNING_KEY: wrangler secret put)');
      const { d: _private, ...publicPart } = s.JWT_SIGNING_KEY;
      const listed = (s.JWT_PUBLIC_KEYS?.keys ?? []) as JWK[];
      const jwks: JSONWebKeySet = {
        keys: [...listed.filter((k) => k.kid !== s.JWT_SIGNING_KEY.kid), { ...publicPart, alg: 'ES256', use: 'sig' }],
      };
      return {
        issuer: s.JWT_ISSUER,
        audience: s.JWT_AUDIENCE,
        ttl: s.ACCESS_TOKEN_TTL_SECONDS,
        kid: s.JWT_SIGNING_KEY.kid,
        privateKey: (await importJWK(s.JWT_SIGNING_KEY as JWK, 'ES256')) as CryptoKey,
        jwks,
        verifyKey: createLocalJWKSet(jwks),
      };
    })();
    keys.catch(() => loaded.delete(env));
    loaded.set(env, keys);
  }
  return keys;
}

export async function signAccessToken(keys: AuthKeys, who: Identity): Promise<string> {
  return new SignJWT({ role: who.role })
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'JWT' })
    .setSubject(who.sub)
    .setIssuer(keys.issuer)
    .setAudience(keys.audience)
    .setIssuedAt()
    .setExpirationTime(`${keys.ttl}s`)
    .setJti(crypto.randomUUID())
    .sign(keys.privateKey);
}

const Claims = z.object({ sub: z.string().min(1).max(100), role: z.enum(roles), iat: z.number(), exp: z.number() });

/** How far past `exp` a token is still accepted (seconds), for clocks a little apart. */
const CLOCK_TOLERANCE = 5;
/** Tokens verified per isolate and key set, at most this many (the oldest leave first). */
const VERIFIED_MAX = 4096;
const verified = new WeakMap<AuthKeys, Map<string, { who: Identity; exp: number }>>();

/**
 * The identity in a valid access token, or null: wrong algorithm, key, issuer, audience, time or shape.
 *
 * A token that verified once is remembered by its exact text, per key set (a rollover brings a new set, so a token
 * of a retired key is verified again and refused), and from then on only its expiry is checked: the text is what
 * was signed, so nothing else about it can change. The check was about a tenth of the gateway's own JavaScript in an
 * add to cart (issue 10), and a shopper's requests repeat one token for its whole lifetime. Refusals are never
 * remembered, so a forged token costs a full check every time, as before.
 */
export async function verifyAccessToken(keys: AuthKeys, token: string, now = Date.now()): Promise<Identity | null> {
  const seen = verified.get(keys);
  const known = seen?.get(token);
  if (known) {
    if (known.exp > Math.floor(now / 1000) - CLOCK_TOLERANCE) return { ...known.who };
    seen!.delete(token);
    return null;
  }
  try {
    const { payload } = await jwtVerify(token, keys.verifyKey, {
      algorithms: ['ES256'],
      issuer: keys.issuer,
      audience: keys.audience,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: CLOCK_TOLERANCE,
      currentDate: new Date(now),
    });
    const claims = Claims.parse(payload);
    if (claims.iat > now / 1000 + 60) return null; // issued in the future: not yet valid
    const who: Identity = { sub: claims.sub, role: claims.role };
    const cache = seen ?? new Map<string, { who: Identity; exp: number }>();
    if (!seen) verified.set(keys, cache);
    if (cache.size >= VERIFIED_MAX) cache.delete(cache.keys().next().value!);
    cache.set(token, { who, exp: claims.exp });
    return { ...who };
  } catch {
    return null;
  }
}

/** A new opaque refresh token and the hash under which it is stored. */
export async function newRefreshToken(): Promise<{ token: string; hash: string }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  return { token, hash: await hashRefreshToken(token) };
}

export async function hashRefreshToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
