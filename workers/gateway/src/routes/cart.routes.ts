// Cart routes: any signed-in caller, guests included; the cart is the caller's own (by verified subject): each
// route calls that shopper's CartDO directly (one hop, durable-objects/cart/cart.do.ts), which validates the input,
// asks the catalog and applies its bounds for the caller's role.
// Each answer is the whole cart with an ETag; a write with If-Match on a stale version gets 412.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cartRoleOf } from '../../../../durable-objects/cart/config';
import { AddItemBody, CartView, SetQuantityBody, SkuParam } from '../../../../lib/cart/schemas';
import { AppError } from '../../../../lib/errors';
import { type RpcResult, unwrap } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { requireRole } from '../auth/authenticate';
import { jsonBody } from '../middleware/json-body';
import type { GatewayApp } from '../types';
import * as example from './examples';
import { bearer, bodyFailures, failure, json } from './openapi';
import { router } from './router';

const cartAnswer = {
  description: 'The whole cart',
  headers: z.object({ etag: z.string().openapi({ description: 'The cart version, `"v<version>"`, for If-Match.' }) }),
  ...json(CartView, example.cart),
};
export const ifMatchHeader = z.object({
  'if-match': z
    .string()
    .optional()
    .openapi({ description: 'An ETag this API gave out (`"v3"`): the write applies only to that version, else 412.' }),
});
const writeFailures = {
  ...bodyFailures,
  401: failure('No token'),
  404: failure('Unknown SKU or not in the cart'),
  409: failure('Another currency'),
  412: failure('If-Match names a stale version'),
  422: failure('Over a cart bound'),
  503: failure('The catalog did not answer; nothing changed (Retry-After)'),
};

/** If-Match: `"v<version>"` (or W/ of it) makes the write conditional; `*` or none applies it in order. */
export function ifMatch(c: Context<GatewayApp>): number | undefined {
  const header = c.req.header('if-match')?.trim();
  if (!header || header === '*') return undefined;
  const m = /^(?:W\/)?"v(\d{1,15})"$/.exec(header);
  if (!m) throw new AppError('PRECONDITION_FAILED', 'If-Match must be an ETag this API gave out, like "v3".');
  return Number(m[1]);
}

/** The caller's own cart object, and the role whose bounds and lifetime it applies. */
function cartOf(c: Context<GatewayApp>) {
  const who = c.get('identity')!;
  return { cart: traced(c.env.CARTS.get(c.env.CARTS.idFromName(who.sub))), role: cartRoleOf(who.role) };
}

function answer(c: Context<GatewayApp>, result: RpcResult<{ cart: CartView }>) {
  const { cart } = unwrap(result);
  return c.json(cart, 200, { etag: `"v${cart.version}"`, 'cache-control': 'private, no-store' });
}

export const cartRoutes = router();
cartRoutes.use('*', requireRole('guest'));

cartRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['Cart'],
    summary: 'The caller’s cart',
    security: bearer,
    responses: {
      200: cartAnswer,
      401: failure('No token'),
      503: failure('The catalog did not answer (Retry-After)'),
    },
  }),
  async (c) => answer(c, await cartOf(c).cart.view()) as never,
);

cartRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/items',
    tags: ['Cart'],
    summary: 'Add a SKU (quantities add up)',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { headers: ifMatchHeader, body: { required: true, ...json(AddItemBody, example.addItem) } },
    responses: { 200: cartAnswer, ...writeFailures },
  }),
  async (c) => {
    const added = c.req.valid('json');
    const { cart, role } = cartOf(c);
    const result = await cart.addItem(role, added, ifMatch(c));
    // The add that turned an empty cart into a non-empty one starts a cart (the figures' abandonment and conversion).
    if (result.ok && result.cart.lines.length === 1 && result.cart.lines[0]!.quantity === added.quantity)
      c.set('figureEvent', 'cart.started');
    return answer(c, result) as never;
  },
);

cartRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/items/{sku}',
    tags: ['Cart'],
    summary: 'Set the quantity of a line (0 removes it)',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: {
      params: SkuParam,
      headers: ifMatchHeader,
      body: { required: true, ...json(SetQuantityBody, { quantity: 1 }) },
    },
    responses: { 200: cartAnswer, ...writeFailures },
  }),
  async (c) => {
    const { cart, role } = cartOf(c);
    return answer(c, await cart.setQuantity(role, c.req.valid('param').sku, c.req.valid('json'), ifMatch(c))) as never;
  },
);

cartRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/items/{sku}',
    tags: ['Cart'],
    summary: 'Remove a line',
    security: bearer,
    request: { params: SkuParam, headers: ifMatchHeader },
    responses: {
      200: cartAnswer,
      400: failure('Invalid SKU'),
      401: failure('No token'),
      404: failure('Not in the cart'),
      412: failure('Stale version'),
      503: failure('The catalog did not answer; nothing changed (Retry-After)'),
    },
  }),
  async (c) => {
    const { cart, role } = cartOf(c);
    return answer(c, await cart.removeItem(role, c.req.valid('param').sku, ifMatch(c))) as never;
  },
);
