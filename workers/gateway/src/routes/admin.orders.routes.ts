// Merchant routes for orders and customers (the merchant role or above; stuck tasks: the admin role): search and
// read orders, cancel an unpaid one, refund all or part of a paid one (Idempotency-Key), mark it fulfilled; find
// customers and their orders; see, retry and give up the outbox tasks that keep failing.
import { createRoute, z } from '@hono/zod-openapi';
import { AdminOrderRead } from '../../../../lib/admin/archive.schemas';
import {
  AdminOrder,
  AdminOrderId,
  AdminOrderList,
  AdminOrderQuery,
  CancelBody,
  CustomerDetail,
  CustomerId,
  CustomerList,
  CustomerQuery,
  FulfilBody,
  RefundBody,
  RefundResult,
  StuckTaskList,
  StuckTaskQuery,
  TaskOutcome,
  TaskRef,
} from '../../../../lib/checkout/admin-schemas';
import { IdempotencyKey } from '../../../../lib/checkout/schemas';
import type { StuckTaskInfo } from '../../../../lib/contracts/admin-orders';
import { unwrap } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { actorOf } from '../auth/actor';
import { requireRole } from '../auth/authenticate';
import { jsonBody } from '../middleware/json-body';
import { bearer, bodyFailures, failure, json } from './openapi';
import { router } from './router';

export const adminOrderRoutes = router();
adminOrderRoutes.use('*', requireRole('merchant'));
// Stuck tasks are the admin role's, as the ops routes: refused here too, not only by the admin worker.
adminOrderRoutes.use('/tasks', requireRole('admin'));
adminOrderRoutes.use('/tasks/*', requireRole('admin'));

const noStore = { 'cache-control': 'private, no-store' };
const who = {
  401: failure('No token'),
  403: failure('Not allowed (a shopper token, or below the role the route needs)'),
};
const orderFailures = {
  ...who,
  400: failure('Not an order id, or an invalid body (the message names each bad field)'),
  404: failure('No such order'),
  503: failure('Postgres or the payment provider unavailable; nothing was changed'),
};

adminOrderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/orders',
    tags: ['Merchant'],
    summary: 'Search orders (status, dates, email, SKU, total), newest first',
    description:
      'Read from the Postgres copy on the read replica: an order shows here about a second after each change ' +
      '(an accepted order not yet paid, 1.5 s more: its payment usually joins the same copy), plus the replica lag. ' +
      'Every filter is optional and they all apply together.',
    security: bearer,
    request: { query: AdminOrderQuery },
    responses: {
      200: { description: 'A page of orders', ...json(AdminOrderList) },
      400: failure('Invalid query or cursor (the message names each bad parameter)'),
      ...who,
    },
  }),
  async (c) => {
    const page = unwrap(await traced(c.env.ADMIN).listOrders(actorOf(c), c.req.valid('query')));
    return c.json({ orders: page.orders, nextCursor: page.nextCursor } as never, 200, noStore);
  },
);

adminOrderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/orders/{id}',
    tags: ['Merchant'],
    summary: 'One order with its lines, payment, refunds, fulfilment and status history',
    description:
      "Read from the order's OrdersDO, the truth for its status: it includes every change at once. An archived " +
      'order (settled and old: its Postgres copy moved to R2) is read from its archive batch, `archived: true`.',
    security: bearer,
    request: { params: AdminOrderId },
    responses: { 200: { description: 'The order', ...json(AdminOrderRead) }, ...orderFailures },
  }),
  async (c) => {
    const { order } = unwrap(await traced(c.env.ADMIN).order(actorOf(c), c.req.valid('param').id));
    return c.json(order as never, 200, noStore);
  },
);

adminOrderRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/orders/{id}/cancel',
    tags: ['Merchant'],
    summary: 'Cancel an unpaid order: its payment is canceled and its stock released',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { params: AdminOrderId, body: { required: false, ...json(CancelBody, { reason: 'customer asked' }) } },
    responses: {
      200: { description: 'The canceled order (canceling it again changes nothing)', ...json(AdminOrder) },
      ...bodyFailures,
      ...orderFailures,
      409: failure('Not waiting for its payment (ORDER_STATE_CONFLICT): paid orders are refunded instead'),
    },
  }),
  async (c) => {
    const { order } = unwrap(
      await traced(c.env.ADMIN).cancelOrder(actorOf(c), c.req.valid('param').id, c.req.valid('json') ?? {}),
    );
    return c.json(order as never, 200, noStore);
  },
);

adminOrderRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/orders/{id}/refunds',
    tags: ['Merchant'],
    summary: 'Refund all or part of a paid order through Stripe (optionally restocking the lines)',
    description:
      'Send a new `Idempotency-Key` per refund: the same key with the same body answers the same refund (200) and ' +
      'never refunds twice; with another body it is refused (422). Refunds never add up to more than was paid, ' +
      'whatever arrives at once. 201: Stripe took it (`succeeded`, or `pending` until its webhook); 202: recorded ' +
      'and being sent (Stripe is not answering or refused it: see the stuck tasks).',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: {
      params: AdminOrderId,
      headers: z.object({
        'idempotency-key': IdempotencyKey.optional().openapi({
          description: 'Required: 8–255 visible ASCII characters, new per refund (a UUID).',
        }),
      }),
      body: {
        required: true,
        ...json(RefundBody, { amount: 1500, lines: [{ sku: 'MSH-00001-M-NAVY', quantity: 1 }], restock: true }),
      },
    },
    responses: {
      200: { description: 'The refund this key already made', ...json(RefundResult) },
      201: { description: 'Refunded (or pending at Stripe)', ...json(RefundResult) },
      202: { description: 'Recorded; being sent to Stripe', ...json(RefundResult) },
      ...bodyFailures,
      ...orderFailures,
      400: failure('Invalid body or Idempotency-Key, a line not of this order, or the key is missing'),
      409: failure('Not paid (ORDER_STATE_CONFLICT), or more than is left to refund (REFUND_EXCEEDS_PAID)'),
      422: failure('The Idempotency-Key was used for another refund of this order'),
    },
  }),
  async (c) => {
    const { refund, order, created } = unwrap(
      await traced(c.env.ADMIN).refundOrder(
        actorOf(c),
        c.req.valid('param').id,
        c.req.valid('header')['idempotency-key'],
        c.req.valid('json'),
      ),
    );
    const status = !created ? 200 : refund.status === 'requested' ? 202 : 201;
    return c.json({ refund, order } as never, status, noStore);
  },
);

adminOrderRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/orders/{id}/fulfillment',
    tags: ['Merchant'],
    summary: 'Mark a paid order fulfilled with its carrier and tracking number',
    description: 'On a fulfilled order, another carrier or tracking number replaces the old one (noted in history).',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: {
      params: AdminOrderId,
      body: { required: true, ...json(FulfilBody, { carrier: 'UPS', trackingNumber: '1Z999AA10123456784' }) },
    },
    responses: {
      200: { description: 'The fulfilled order', ...json(AdminOrder) },
      ...bodyFailures,
      ...orderFailures,
      409: failure('Not paid (ORDER_STATE_CONFLICT)'),
    },
  }),
  async (c) => {
    const { order } = unwrap(
      await traced(c.env.ADMIN).fulfilOrder(actorOf(c), c.req.valid('param').id, c.req.valid('json')),
    );
    return c.json(order as never, 200, noStore);
  },
);

adminOrderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/customers',
    tags: ['Merchant'],
    summary: 'Search customer accounts (part of the email or name), newest first',
    security: bearer,
    request: { query: CustomerQuery },
    responses: {
      200: { description: 'A page of customers', ...json(CustomerList) },
      400: failure('Invalid query or cursor'),
      ...who,
    },
  }),
  async (c) => {
    const page = unwrap(await traced(c.env.ADMIN).listCustomers(actorOf(c), c.req.valid('query')));
    return c.json({ customers: page.customers, nextCursor: page.nextCursor } as never, 200, noStore);
  },
);

adminOrderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/customers/{id}',
    tags: ['Merchant'],
    summary: 'A customer and their newest orders',
    security: bearer,
    request: { params: CustomerId },
    responses: {
      200: { description: 'The customer', ...json(CustomerDetail) },
      400: failure('Not a customer id'),
      ...who,
      404: failure('No such customer'),
    },
  }),
  async (c) => {
    const r = unwrap(await traced(c.env.ADMIN).customer(actorOf(c), c.req.valid('param').id));
    return c.json({ customer: r.customer, orders: r.orders } as never, 200, noStore);
  },
);

const taskView = (t: StuckTaskInfo) => ({
  id: t.id,
  orderId: t.orderId,
  kind: t.kind,
  attempts: t.attempts,
  lastError: t.lastError,
  nextAttemptAt: new Date(t.dueAt).toISOString(),
});

adminOrderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/tasks',
    tags: ['Merchant'],
    summary: 'Outbox tasks whose last run failed, e.g. a refund Stripe keeps refusing (admin role)',
    description:
      'Each OrdersDO retries its failing tasks with backoff; this lists them, most attempts first, as their objects ' +
      'last reported (within about a second).',
    security: bearer,
    request: { query: StuckTaskQuery },
    responses: {
      200: { description: 'Stuck tasks', ...json(StuckTaskList) },
      400: failure('Invalid query'),
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => {
    const { tasks } = unwrap(await traced(c.env.ADMIN).stuckTasks(actorOf(c), c.req.valid('query')));
    return c.json({ tasks: tasks.map(taskView) }, 200, noStore);
  },
);

const taskAction = (action: 'retry' | 'give-up', summary: string) =>
  createRoute({
    method: 'post',
    path: `/tasks/{id}/${action}`,
    tags: ['Merchant'],
    summary,
    security: bearer,
    request: { params: TaskRef },
    responses: {
      200: { description: 'The task afterwards (null: done or gone)', ...json(TaskOutcome) },
      400: failure('Not a task id'),
      401: failure('No token'),
      403: failure('Not the admin role'),
      404: failure('No such task'),
      409: failure('This kind of task cannot be given up (copies to Postgres, expiry)'),
    },
  });

adminOrderRoutes.openapi(taskAction('retry', 'Run a stuck task now (admin role)'), async (c) => {
  const { task } = unwrap(await traced(c.env.ADMIN).retryTask(actorOf(c), c.req.valid('param').id));
  return c.json({ task: task ? taskView(task) : null }, 200, noStore);
});

adminOrderRoutes.openapi(
  taskAction('give-up', 'Give up a stuck task: a refund never sent is marked failed (admin role)'),
  async (c) => {
    unwrap(await traced(c.env.ADMIN).giveUpTask(actorOf(c), c.req.valid('param').id));
    return c.json({ task: null }, 200, noStore);
  },
);
