// Identity routes: register, login (merging a guest cart when a guest token is the bearer), guest sessions,
// refresh-token rotation, logout, password reset and email verification by emailed links, and the public keys that
// verify our access tokens.
import { createRoute, z } from '@hono/zod-openapi';
import {
  Accepted,
  PasswordResetBody,
  PasswordResetConfirmBody,
  VerifyEmailBody,
} from '../../../../lib/auth/account-schemas';
import { LoginBody, LoginSession, RefreshBody, RegisterBody, Session } from '../../../../lib/auth/schemas';
import { authKeys } from '../../../../lib/auth/tokens';
import { traced } from '../../../../lib/trace';
import * as links from '../auth/account-links.service';
import * as identity from '../auth/identity.service';
import { jsonBody } from '../middleware/json-body';
import * as example from './examples';
import { bearer, bodyFailures, failure, json } from './openapi';
import { router } from './router';

const noStore = { 'cache-control': 'no-store' };
const tooMany = failure('Too many attempts from this address (RATE_LIMITED, with Retry-After)');

export const authRoutes = router();

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/register',
    tags: ['Identity'],
    summary: 'Create a customer account and sign in',
    description: 'A link to verify the email address is emailed at once (`POST /v1/auth/verify-email`).',
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(RegisterBody, { ...example.login, name: 'Ada' }) } },
    responses: {
      201: { description: 'Signed in', ...json(Session, example.session) },
      ...bodyFailures,
      409: failure('Email taken (EMAIL_TAKEN)'),
      429: tooMany,
    },
  }),
  async (c) => {
    const session = await identity.register(c.env, c.req.valid('json'));
    await links.requestVerification(c, session.subject, { onRequest: false });
    return c.json(session, 201, noStore);
  },
);

const resetAccepted = 'If an account has this email, a link to choose a new password is on its way.';

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/password-reset',
    tags: ['Identity'],
    summary: 'Email a single-use link to choose a new password',
    description:
      'Always 202, after the same work whether or not an account has the email (no account enumeration). The ' +
      'link opens `/account/reset?token=…` on SHOP_ORIGIN and works once, for PASSWORD_RESET_TTL_MINUTES (30). ' +
      'Limited per address (RATE_LIMIT_AUTH) and per email (RATE_LIMIT_ACCOUNT_EMAIL, 3 per 15 minutes).',
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(PasswordResetBody, { email: example.login.email }) } },
    responses: {
      202: { description: 'Taken (whether or not the account exists)', ...json(Accepted, { message: resetAccepted }) },
      ...bodyFailures,
      429: failure('Too many attempts from this address or for this email (RATE_LIMITED, with Retry-After)'),
    },
  }),
  async (c) => {
    await links.requestPasswordReset(c, c.req.valid('json').email);
    return c.json({ message: resetAccepted }, 202, noStore);
  },
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/password-reset/confirm',
    tags: ['Identity'],
    summary: 'Set a new password with the emailed token; signs out every session',
    description:
      'The token works once (two confirms racing: one wins) and only until it expires. A confirmed reset also ' +
      "uses up the account's other reset links, marks the email verified and revokes every refresh-token family.",
    middleware: [jsonBody()] as const,
    request: {
      body: {
        required: true,
        ...json(PasswordResetConfirmBody, {
          token: 'q3V0dGVyZmx5LXRva2VuLWZyb20tdGhlLWVtYWlsZWQ',
          password: 'a new long password',
        }),
      },
    },
    responses: {
      204: { description: 'The password is changed; sign in with it' },
      ...bodyFailures,
      400: failure('A bad body (VALIDATION_FAILED), or a token unknown, used or expired (INVALID_LINK_TOKEN)'),
      429: tooMany,
    },
  }),
  async (c) => {
    const { token, password } = c.req.valid('json');
    await links.confirmPasswordReset(c, token, password);
    return c.body(null, 204, noStore);
  },
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/verify-email',
    tags: ['Identity'],
    summary: 'Confirm an email address with the emailed token',
    description:
      'The link (`/account/verify?token=…`) is emailed at registration and by `POST /v1/me/verify-email`; it works ' +
      'once, for EMAIL_VERIFY_TTL_MINUTES (a day), and only while the account still has the address it went to.',
    middleware: [jsonBody()] as const,
    request: {
      body: { required: true, ...json(VerifyEmailBody, { token: 'q3V0dGVyZmx5LXRva2VuLWZyb20tdGhlLWVtYWlsZWQ' }) },
    },
    responses: {
      204: { description: 'The email is verified' },
      ...bodyFailures,
      400: failure('A bad body (VALIDATION_FAILED), or a token unknown, used or expired (INVALID_LINK_TOKEN)'),
      429: tooMany,
    },
  }),
  async (c) => {
    await links.confirmVerification(c, c.req.valid('json').token);
    return c.body(null, 204, noStore);
  },
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/login',
    tags: ['Identity'],
    summary: 'Sign in; a guest token as the bearer merges the guest cart into the account',
    description:
      'Unknown email and wrong password get the same answer after the same work. Send the guest session ' +
      "as the bearer to carry the guest's cart into the account (quantities add up within the cart bounds); " +
      '`cartMerge` then says how many items moved and which lines stay in the guest cart because they did not fit.',
    // The bearer is optional here: only a guest's token means something (its cart is merged).
    security: [{}, ...bearer],
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(LoginBody, example.login) } },
    responses: {
      200: { description: 'Signed in', ...json(LoginSession, example.session) },
      ...bodyFailures,
      401: failure('Wrong email or password (INVALID_CREDENTIALS)'),
      429: tooMany,
    },
  }),
  async (c) => {
    const session = await identity.login(c.env, c.req.valid('json'));
    const caller = c.get('identity');
    if (caller?.role === 'guest') {
      // The cart worker owns the merge; the gateway only vouches for both subjects.
      const cartMerge = await traced(c.env.CART).mergeGuestCart({ guest: caller.sub, customer: session.subject });
      return c.json({ ...session, cartMerge }, 200, noStore);
    }
    return c.json(session, 200, noStore);
  },
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/guest',
    tags: ['Identity'],
    summary: 'A guest session (role guest) for an anonymous shopper',
    responses: {
      201: { description: 'Guest session', ...json(Session, { ...example.session, role: 'guest' }) },
      // Guests are identities: a per-address bucket (RATE_LIMIT_GUEST_CREATION) keeps them from being free.
      429: failure('Too many guest sessions from this address (RATE_LIMITED, with Retry-After)'),
    },
  }),
  async (c) => c.json(await identity.guest(c.env), 201, noStore),
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/refresh',
    tags: ['Identity'],
    summary: 'Rotate a refresh token; reusing an old one after a short grace revokes the session family',
    description:
      'A token presented again within REFRESH_REUSE_GRACE_SECONDS (30) of its first rotation gets another ' +
      'successor in the same family (concurrent refreshes, a lost answer); later, reuse revokes the family.',
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(RefreshBody, { refreshToken: example.session.refreshToken }) } },
    responses: {
      200: {
        description: 'New tokens (the refresh token sent is used up once the grace after its first use has passed)',
        ...json(Session, example.session),
      },
      ...bodyFailures,
      401: failure(
        'Invalid or expired token (INVALID_REFRESH_TOKEN), or reused after the grace (REFRESH_TOKEN_REUSED)',
      ),
      429: tooMany,
    },
  }),
  async (c) => c.json(await identity.refresh(c.env, c.req.valid('json').refreshToken), 200, noStore),
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/logout',
    tags: ['Identity'],
    summary: "Revoke the refresh token's session family",
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(RefreshBody, { refreshToken: example.session.refreshToken }) } },
    responses: { 204: { description: 'Signed out' }, ...bodyFailures },
  }),
  async (c) => {
    await identity.logout(c.env, c.req.valid('json').refreshToken);
    return c.body(null, 204);
  },
);

const Jwks = z
  .object({
    keys: z.array(
      z
        .object({ kty: z.string(), kid: z.string(), alg: z.string().optional(), use: z.string().optional() })
        .catchall(z.unknown()),
    ),
  })
  .openapi('JsonWebKeySet', {
    description: 'Public keys (JWK) that verify access tokens, matched by the `kid` in the token header.',
  });

export const jwksRoute = router().openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['Identity'],
    summary: 'The public keys that verify access tokens (JWKS)',
    description: 'During a key rollover it holds the old and the new key. Cache it for at most five minutes.',
    responses: { 200: { description: 'The key set', ...json(Jwks) } },
  }),
  async (c) =>
    c.json((await authKeys(c.env)).jwks as z.infer<typeof Jwks>, 200, { 'cache-control': 'public, max-age=300' }),
);
