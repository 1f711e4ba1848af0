// A customer's own account (/v1/me): the profile, saved addresses, a new verification link, deleting the account.
// Customers and staff (a guest has no account: 403); the account is the verified subject's, never a parameter.
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  Accepted,
  AddressBody,
  AddressId,
  AddressPatch,
  DeleteAccountBody,
  Profile,
  ProfilePatch,
  SavedAddress,
  SavedAddressList,
} from '../../../../lib/auth/account-schemas';
import * as account from '../auth/account.service';
import * as links from '../auth/account-links.service';
import { requireRole } from '../auth/authenticate';
import { jsonBody } from '../middleware/json-body';
import type { GatewayApp } from '../types';
import { bearer, bodyFailures, failure, json, rateLimited } from './openapi';
import { router } from './router';

const noStore = { 'cache-control': 'private, no-store' };
const me = (c: Context<GatewayApp>) => c.get('identity')!.sub;
const signedIn = {
  401: failure('No token, or the account no longer exists'),
  403: failure('A guest session (no account)'),
};
const address = {
  name: 'Ada Lovelace',
  line1: '12 Analytical Row',
  city: 'London',
  postalCode: 'NW1 6XE',
  country: 'GB' as const,
};
const savedAddress = {
  id: '6a1f0c52-8d3b-4f7e-a2c9-0b4d5e6f7a81',
  address,
  isDefault: true,
  createdAt: '2026-11-30T11:00:00.000Z',
  updatedAt: '2026-11-30T11:00:00.000Z',
};

export const meRoutes = router();
meRoutes.use('*', requireRole('customer'));

meRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['Account'],
    summary: 'The caller’s profile',
    security: bearer,
    responses: {
      200: {
        description: 'The profile',
        ...json(Profile, {
          id: '3c9a7b2e-1f4d-4e8a-9b6c-5d2e1f0a3b4c',
          email: 'ada@example.com',
          name: 'Ada',
          emailVerified: true,
          createdAt: '2026-11-30T10:00:00.000Z',
        }),
      },
      ...signedIn,
    },
  }),
  async (c) => c.json(await account.profile(c.env, me(c)), 200, noStore),
);

meRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/',
    tags: ['Account'],
    summary: 'Change the caller’s name',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(ProfilePatch, { name: 'Ada Lovelace' }) } },
    responses: { 200: { description: 'The profile', ...json(Profile) }, ...bodyFailures, ...signedIn },
  }),
  async (c) => c.json(await account.updateProfile(c.env, me(c), c.req.valid('json')), 200, noStore),
);

meRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/',
    tags: ['Account'],
    summary: 'Delete the caller’s account (the password again)',
    description:
      'Erases the account: email, name, password, saved addresses and pending links; revokes every session. ' +
      'Orders are kept as the merchant’s records, no longer linked to any sign-in. The email can register again. ' +
      'Counted per address like a sign-in (RATE_LIMIT_AUTH). Merchant and admin accounts are refused (403).',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(DeleteAccountBody, { password: 'correct horse battery' }) } },
    responses: {
      204: { description: 'Deleted' },
      ...bodyFailures,
      401: failure('Wrong password (INVALID_CREDENTIALS; nothing deleted), no token, or no account'),
      403: failure('A guest session, or a merchant or admin account'),
      429: rateLimited,
    },
  }),
  async (c) => {
    await account.deleteAccount(c.env, me(c), c.req.valid('json').password);
    return c.body(null, 204, noStore);
  },
);

meRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/verify-email',
    tags: ['Account'],
    summary: 'Email a new verification link',
    description: 'Limited per email address (RATE_LIMIT_ACCOUNT_EMAIL, 3 per 15 minutes by default).',
    security: bearer,
    responses: {
      202: {
        description: 'A link is on its way',
        ...json(Accepted, { message: 'A verification link is on its way.' }),
      },
      ...signedIn,
      409: failure('Already verified (EMAIL_ALREADY_VERIFIED)'),
      429: rateLimited,
    },
  }),
  async (c) => {
    await links.requestVerification(c, me(c), { onRequest: true });
    return c.json({ message: 'A verification link is on its way.' }, 202, noStore);
  },
);

meRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/addresses',
    tags: ['Account'],
    summary: 'The caller’s saved addresses, the default first',
    security: bearer,
    responses: {
      200: { description: 'The addresses', ...json(SavedAddressList, { addresses: [savedAddress], max: 10 }) },
      ...signedIn,
    },
  }),
  async (c) => c.json(await account.listAddresses(c.env, me(c)), 200, noStore),
);

meRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/addresses',
    tags: ['Account'],
    summary: 'Save an address (the checkout’s shipping-address shape)',
    description: 'The first address saved is the default. At most MAX_SAVED_ADDRESSES (10) per account.',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(AddressBody, { address, isDefault: true }) } },
    responses: {
      201: { description: 'Saved', ...json(SavedAddress, savedAddress) },
      ...bodyFailures,
      ...signedIn,
      409: failure('At the cap (ADDRESS_LIMIT_EXCEEDED; details.max)'),
    },
  }),
  async (c) => c.json(await account.addAddress(c.env, me(c), c.req.valid('json')), 201, noStore),
);

meRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/addresses/{id}',
    tags: ['Account'],
    summary: 'Change a saved address, or make it the default (isDefault false: no default)',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { params: AddressId, body: { required: true, ...json(AddressPatch, { isDefault: true }) } },
    responses: {
      200: { description: 'The address', ...json(SavedAddress, savedAddress) },
      ...bodyFailures,
      ...signedIn,
      404: failure('Not one of the caller’s addresses'),
    },
  }),
  async (c) =>
    c.json(await account.updateAddress(c.env, me(c), c.req.valid('param').id, c.req.valid('json')), 200, noStore),
);

meRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/addresses/{id}',
    tags: ['Account'],
    summary: 'Delete a saved address',
    security: bearer,
    request: { params: AddressId },
    responses: { 204: { description: 'Deleted' }, ...signedIn, 404: failure('Not one of the caller’s addresses') },
  }),
  async (c) => {
    await account.deleteAddress(c.env, me(c), c.req.valid('param').id);
    return c.body(null, 204, noStore);
  },
);
