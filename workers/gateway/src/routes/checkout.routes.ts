// Checkout and orders: any signed-in caller, guests included (a guest gives an email). POST /v1/checkout needs
// an Idempotency-Key: the same key gets the same answer, a different body under it is refused (422).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  CheckoutAccepted,
  CheckoutBody,
  IdempotencyKey,
  OrderIdParam,
  OrderList,
  OrderListQuery,
  OrderView,
} from '../../../../lib/checkout/schemas';
import { AppError } from '../../../../lib/errors';
import { unwrap } from '../../../../lib/rpc';
import { requireRole } from '../auth/authenticate';
import { validationHook } from '../middleware/errors';
import { jsonBody } from '../middleware/json-body';
import type { GatewayApp } from '../types';
import { failure, json } from './openapi';

export const checkoutRoutes = new OpenAPIHono<GatewayApp>({ defaultHook: validationHook });
checkoutRoutes.use('*', requireRole('guest'));
export const orderRoutes = new OpenAPIHono<GatewayApp>({ defaultHook: validationHook });
orderRoutes.use('*', requireRole('guest'));

checkoutRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/',
    tags: ['checkout'],
    summary: 'Place an order for the cart: hold the stock, start the payment',
    description:
      'Reprices the cart from the database, holds every SKU until `holdExpiresAt`, creates a Stripe PaymentIntent and confirms it with `paymentMethod`. ' +
      'The order becomes `paid` when Stripe reports the payment (webhook); unpaid at `holdExpiresAt`, it expires and the stock returns.',
    security: [{ bearer: [] }],
    middleware: [jsonBody()] as const,
    request: {
      headers: z.object({
        'idempotency-key': z
          .string()
          .optional()
          .openapi({ description: 'Required: 8–255 visible ASCII characters, new per checkout (a UUID).' }),
      }),
      body: { required: true, ...json(CheckoutBody) },
    },
    responses: {
      202: { description: 'Accepted: the order exists, the payment is under way', ...json(CheckoutAccepted) },
      400: failure('Invalid body or Idempotency-Key missing'),
      401: failure('No token'),
      402: failure('Card declined (PAYMENT_DECLINED)'),
      409: failure('Not enough stock (OUT_OF_STOCK, naming each SKU and what is available) or over a per-customer cap'),
      422: failure(
        'Empty cart, an item no longer sold, an unusable payment method, or the Idempotency-Key reused with another body',
      ),
      503: failure('Payment provider or a dependency unavailable; retry with the same key'),
    },
  }),
  async (c) => {
    const key = c.req.header('idempotency-key');
    if (!key)
      throw new AppError(
        'IDEMPOTENCY_KEY_REQUIRED',
        'POST /v1/checkout needs an Idempotency-Key header (e.g. a new UUID per checkout).',
      );
    const parsedKey = IdempotencyKey.safeParse(key);
    if (!parsedKey.success)
      throw new AppError('VALIDATION_FAILED', 'Invalid Idempotency-Key.', { details: parsedKey.error.issues });
    const { accepted } = unwrap(await c.env.CHECKOUT.checkout(c.get('identity')!, parsedKey.data, c.req.valid('json')));
    return c.json(accepted, 202, { location: `/v1/orders/${accepted.orderId}`, 'cache-control': 'no-store' });
  },
);

orderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['checkout'],
    summary: 'The caller’s orders, newest first',
    security: [{ bearer: [] }],
    request: { query: OrderListQuery },
    responses: {
      200: { description: 'A page of orders', ...json(OrderList) },
      400: failure('Invalid query'),
      401: failure('No token'),
    },
  }),
  async (c) => {
    const { orders, nextCursor } = unwrap(await c.env.CHECKOUT.listOrders(c.get('identity')!, c.req.valid('query')));
    return c.json({ orders, nextCursor } as never, 200, { 'cache-control': 'private, no-store' });
  },
);

orderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    tags: ['checkout'],
    summary: 'One of the caller’s orders (another shopper’s is 404)',
    security: [{ bearer: [] }],
    request: { params: OrderIdParam },
    responses: {
      200: { description: 'The order', ...json(OrderView) },
      401: failure('No token'),
      404: failure('No such order of yours'),
    },
  }),
  async (c) =>
    c.json(unwrap(await c.env.CHECKOUT.getOrder(c.get('identity')!, c.req.valid('param').id)).order as never, 200, {
      'cache-control': 'private, no-store',
    }),
);
