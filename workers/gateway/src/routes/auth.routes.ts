// Identity routes: register, login (merging a guest cart when a guest token is the bearer), guest sessions,
// refresh-token rotation, logout, and the public keys that verify our access tokens.
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { LoginBody, RefreshBody, RegisterBody, Session } from '../../../../lib/auth/schemas';
import { authKeys } from '../../../../lib/auth/tokens';
import * as identity from '../auth/identity.service';
import { validationHook } from '../middleware/errors';
import { jsonBody } from '../middleware/json-body';
import type { GatewayApp } from '../types';
import { failure, json } from './openapi';

const noStore = { 'cache-control': 'no-store' };

export const authRoutes = new OpenAPIHono<GatewayApp>({ defaultHook: validationHook });

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/register',
    tags: ['identity'],
    summary: 'Create a customer account and sign in',
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(RegisterBody) } },
    responses: {
      201: { description: 'Signed in', ...json(Session) },
      400: failure('Invalid body'),
      409: failure('Email taken'),
      429: failure('Too many attempts'),
    },
  }),
  async (c) => c.json(await identity.register(c.env, c.req.valid('json')), 201, noStore),
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/login',
    tags: ['identity'],
    summary: 'Sign in; a guest token as the bearer merges the guest cart into the account',
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(LoginBody) } },
    responses: {
      200: { description: 'Signed in', ...json(Session) },
      401: failure('Wrong email or password'),
      429: failure('Too many attempts'),
    },
  }),
  async (c) => {
    const session = await identity.login(c.env, c.req.valid('json'));
    const caller = c.get('identity');
    if (caller?.role === 'guest') {
      // The cart worker owns the merge; the gateway only vouches for both subjects.
      await c.env.CART.mergeGuestCart({ guest: caller.sub, customer: session.subject });
    }
    return c.json(session, 200, noStore);
  },
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/guest',
    tags: ['identity'],
    summary: 'A guest session (role guest) for an anonymous shopper',
    responses: { 201: { description: 'Guest session', ...json(Session) } },
  }),
  async (c) => c.json(await identity.guest(c.env), 201, noStore),
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/refresh',
    tags: ['identity'],
    summary: 'Rotate a refresh token; reusing an old one revokes the session family',
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(RefreshBody) } },
    responses: {
      200: { description: 'New tokens', ...json(Session) },
      401: failure('Invalid, expired or reused token'),
    },
  }),
  async (c) => c.json(await identity.refresh(c.env, c.req.valid('json').refreshToken), 200, noStore),
);

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/logout',
    tags: ['identity'],
    summary: "Revoke the refresh token's session family",
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(RefreshBody) } },
    responses: { 204: { description: 'Signed out' } },
  }),
  async (c) => {
    await identity.logout(c.env, c.req.valid('json').refreshToken);
    return c.body(null, 204);
  },
);

export const jwksRoute = new OpenAPIHono<GatewayApp>().get('/', async (c) =>
  c.json((await authKeys(c.env)).jwks, 200, { 'cache-control': 'public, max-age=300' }),
);
