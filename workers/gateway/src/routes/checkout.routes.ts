// Checkout and orders: any signed-in caller, guests included (a guest gives an email). POST /v1/checkout needs
// an Idempotency-Key: the same key gets the same answer, a different body under it is refused (422).
import { createRoute, z } from '@hono/zod-openapi';
import { addressKey } from '../../../../lib/auth/address';
import { checkoutCall } from '../../../../lib/checkout/call';
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
import { traced } from '../../../../lib/trace';
import { requireRole } from '../auth/authenticate';
import { jsonBody } from '../middleware/json-body';
import { ifMatch, ifMatchHeader } from './cart.routes';
import * as example from './examples';
import { bearer, bodyFailures, failure, json } from './openapi';
import { router } from './router';

export const checkoutRoutes = router();
checkoutRoutes.use('*', requireRole('guest'));
export const orderRoutes = router();
orderRoutes.use('*', requireRole('guest'));

checkoutRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/',
    tags: ['Checkout'],
    summary: 'Place an order for the cart: hold the stock, start the payment',
    description:
      'Prices the cart from the catalog and refuses (409 PRICE_CHANGED) any price the cart did not show, holds every SKU until `holdExpiresAt`, creates a Stripe PaymentIntent and confirms it with `paymentMethod`. ' +
      'With If-Match (the cart ETag), a cart changed since is refused (412). ' +
      'The order becomes `paid` when Stripe reports the payment (webhook); unpaid at `holdExpiresAt`, it expires and the stock returns.',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: {
      headers: ifMatchHeader.extend({
        // Optional in the schema so that a missing key gets its own code (IDEMPOTENCY_KEY_REQUIRED).
        'idempotency-key': IdempotencyKey.optional().openapi({
          description: 'Required: 8–255 visible ASCII characters, new per checkout (a UUID).',
          example: '5b0c3d9e-8f61-4b1a-9a57-0e2f4c6d8a13',
        }),
      }),
      body: { required: true, ...json(CheckoutBody, example.checkoutBody) },
    },
    responses: {
      202: {
        description: 'Accepted: the order exists, the payment is under way',
        headers: z.object({ location: z.string().openapi({ description: 'The order: `/v1/orders/{orderId}`.' }) }),
        ...json(CheckoutAccepted, example.checkoutAccepted),
      },
      ...bodyFailures,
      400: failure('Invalid body or Idempotency-Key (the message names each bad field), or the key is missing'),
      401: failure('No token'),
      402: failure('Card declined (PAYMENT_DECLINED)'),
      409: failure(
        'Not enough stock (OUT_OF_STOCK, naming each SKU and what is available), over a per-customer cap, or ' +
          'PRICE_CHANGED: the checkout would charge a price the cart did not show (or not `expectedTotal`); ' +
          '`details` has the new lines, totals and the cart version, and nothing was held or charged',
      ),
      412: failure('If-Match names a cart version that is no longer current'),
      422: failure(
        'Empty cart, an item no longer sold, an unusable payment method, or the Idempotency-Key reused with another body',
      ),
      503: failure('Payment provider or a dependency unavailable; retry with the same key'),
    },
  }),
  async (c) => {
    const key = c.req.valid('header')['idempotency-key'];
    if (!key)
      throw new AppError(
        'IDEMPOTENCY_KEY_REQUIRED',
        'POST /v1/checkout needs an Idempotency-Key header (e.g. a new UUID per checkout).',
      );
    const who = c.get('identity')!;
    // Stock caps also count by the client's network (a hash of it), so fresh guest identities do not reset them.
    const address = await addressKey(c.req.header('cf-connecting-ip'));
    const call = await checkoutCall(who, key, c.req.valid('json'), {
      cartVersion: ifMatch(c),
      shopperKeys: address ? [address] : [],
    });
    // Straight to the shopper's OrdersDO (hosted by the checkout worker, bound here by script_name): the body is
    // validated above by the same schema, so a hop through the checkout worker would only parse it again (issue 10:
    // under `wrangler dev` each hop costs workerd CPU on its one thread; in production it is latency).
    const orders = c.env.ORDERS;
    const { accepted } = unwrap(await traced(orders.get(orders.idFromName(who.sub))).checkout(call));
    return c.json(accepted, 202, { location: `/v1/orders/${accepted.orderId}`, 'cache-control': 'no-store' });
  },
);

orderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['Orders'],
    summary: 'The caller’s orders, newest first',
    security: bearer,
    request: { query: OrderListQuery },
    responses: {
      200: { description: 'A page of orders', ...json(OrderList, example.orderList) },
      400: failure('Invalid query'),
      401: failure('No token'),
    },
  }),
  async (c) => {
    const { orders, nextCursor } = unwrap(
      await traced(c.env.CHECKOUT).listOrders(c.get('identity')!, c.req.valid('query')),
    );
    return c.json({ orders, nextCursor } as never, 200, { 'cache-control': 'private, no-store' });
  },
);

orderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    tags: ['Orders'],
    summary: 'One of the caller’s orders (another shopper’s is 404)',
    security: bearer,
    request: { params: OrderIdParam },
    responses: {
      200: { description: 'The order', ...json(OrderView, example.order) },
      400: failure('Not an order id'),
      401: failure('No token'),
      404: failure('No such order of yours'),
    },
  }),
  async (c) =>
    c.json(
      unwrap(await traced(c.env.CHECKOUT).getOrder(c.get('identity')!, c.req.valid('param').id)).order as never,
      200,
      {
        'cache-control': 'private, no-store',
      },
    ),
);
