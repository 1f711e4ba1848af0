// Merchants' outbound webhooks (the merchant role or above): register an endpoint (its signing secret shown once),
// list, read, change, delete, rotate the secret, and read an endpoint's delivery log; the notifications' dead
// letters and their replay (the admin role). Logic in the admin worker (webhooks.ts); every write is audited.
import { createRoute, z } from '@hono/zod-openapi';
import {
  DeliveriesQuery,
  NotificationDeadLetterList,
  NotificationReplay,
  WebhookCreate,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookId,
  WebhookList,
  WebhookPatch,
  WebhookSecret,
} from '../../../../lib/admin/webhooks.schemas';
import { unwrapAnswer } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { actorOf } from '../auth/actor';
import { requireRole } from '../auth/authenticate';
import { jsonBody } from '../middleware/json-body';
import { bearer, bodyFailures, failure, json } from './openapi';
import { router } from './router';

export const adminWebhookRoutes = router();
adminWebhookRoutes.use('/webhooks', requireRole('merchant'));
adminWebhookRoutes.use('/webhooks/*', requireRole('merchant'));
adminWebhookRoutes.use('/notifications/*', requireRole('admin'));

const noStore = { 'cache-control': 'private, no-store' };
const who = {
  401: failure('No token'),
  403: failure('Not allowed (a shopper token, or below the merchant role)'),
};
const tags = ['Merchant'];
const signing =
  'Each delivery is a JSON POST of the event (`{id, type, createdAt, data}`) with `x-storefront-signature: ' +
  't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>` (docs/admin.md#outbound-webhooks).';

adminWebhookRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/webhooks',
    tags,
    summary: 'Register a webhook endpoint; its signing secret is in this answer only',
    description: `https only. ${signing}`,
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { body: { required: true, ...json(WebhookCreate) } },
    responses: {
      201: { description: 'The endpoint and its secret', ...json(WebhookSecret) },
      ...bodyFailures,
      ...who,
    },
  }),
  async (c) => {
    const created = unwrapAnswer(await traced(c.env.ADMIN).createWebhook(actorOf(c), c.req.valid('json')));
    return c.json(created as never, 201, noStore);
  },
);

adminWebhookRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/webhooks',
    tags,
    summary: 'The webhook endpoints (never their secrets)',
    security: bearer,
    responses: { 200: { description: 'Every endpoint, oldest first', ...json(WebhookList) }, ...who },
  }),
  async (c) => c.json(unwrapAnswer(await traced(c.env.ADMIN).listWebhooks(actorOf(c))) as never, 200, noStore),
);

adminWebhookRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/webhooks/{id}',
    tags,
    summary: 'One webhook endpoint',
    security: bearer,
    request: { params: WebhookId },
    responses: {
      200: { description: 'The endpoint', ...json(WebhookEndpoint) },
      400: failure('Not an endpoint id'),
      404: failure('No such endpoint'),
      ...who,
    },
  }),
  async (c) =>
    c.json(
      unwrapAnswer(await traced(c.env.ADMIN).getWebhook(actorOf(c), c.req.valid('param').id)) as never,
      200,
      noStore,
    ),
);

adminWebhookRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/webhooks/{id}',
    tags,
    summary: "Change an endpoint's URL, events, description, or turn it off and on",
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { params: WebhookId, body: { required: true, ...json(WebhookPatch) } },
    responses: {
      200: { description: 'The endpoint as it is now', ...json(WebhookEndpoint) },
      ...bodyFailures,
      404: failure('No such endpoint'),
      ...who,
    },
  }),
  async (c) => {
    const id = c.req.valid('param').id;
    return c.json(
      unwrapAnswer(await traced(c.env.ADMIN).updateWebhook(actorOf(c), id, c.req.valid('json'))) as never,
      200,
      noStore,
    );
  },
);

adminWebhookRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/webhooks/{id}',
    tags,
    summary: 'Delete an endpoint and its delivery log; queued deliveries to it stop',
    security: bearer,
    request: { params: WebhookId },
    responses: {
      200: { description: 'Deleted', ...json(z.object({ deleted: z.string() })) },
      400: failure('Not an endpoint id'),
      404: failure('No such endpoint'),
      ...who,
    },
  }),
  async (c) =>
    c.json(unwrapAnswer(await traced(c.env.ADMIN).deleteWebhook(actorOf(c), c.req.valid('param').id)) as never, 200),
);

adminWebhookRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/webhooks/{id}/secret',
    tags,
    summary: "Rotate an endpoint's signing secret; the new one is in this answer only",
    description: 'Deliveries from now on are signed with the new secret; the old one stops at once.',
    security: bearer,
    request: { params: WebhookId },
    responses: {
      200: { description: 'The endpoint and its new secret', ...json(WebhookSecret) },
      400: failure('Not an endpoint id'),
      404: failure('No such endpoint'),
      ...who,
    },
  }),
  async (c) =>
    c.json(
      unwrapAnswer(await traced(c.env.ADMIN).rotateWebhookSecret(actorOf(c), c.req.valid('param').id)) as never,
      200,
      noStore,
    ),
);

adminWebhookRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/webhooks/{id}/deliveries',
    tags,
    summary: "An endpoint's delivery log: each event sent to it, with every attempt",
    description: 'Newest first. Each attempt: its number, the status code (null: no answer), latency, error, time.',
    security: bearer,
    request: { params: WebhookId, query: DeliveriesQuery },
    responses: {
      200: { description: 'A page of deliveries', ...json(WebhookDeliveryList) },
      400: failure('Not an endpoint id, or an invalid query'),
      404: failure('No such endpoint'),
      ...who,
    },
  }),
  async (c) => {
    const page = unwrapAnswer(
      await traced(c.env.ADMIN).webhookDeliveries(actorOf(c), c.req.valid('param').id, c.req.valid('query')),
    );
    return c.json(page as never, 200, noStore);
  },
);

adminWebhookRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/notifications/dead-letters',
    tags,
    summary: 'Emails, events and webhook deliveries that ran out of retries (admin role)',
    security: bearer,
    request: { query: z.object({ includeReplayed: z.enum(['true', 'false']).default('false') }).strict() },
    responses: {
      200: { description: 'Dead letters, newest first', ...json(NotificationDeadLetterList) },
      400: failure('Invalid query'),
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => {
    const all = c.req.valid('query').includeReplayed === 'true';
    return c.json(
      unwrapAnswer(await traced(c.env.ADMIN).notificationDeadLetters(actorOf(c), all)) as never,
      200,
      noStore,
    );
  },
);

adminWebhookRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/notifications/dead-letters/replay',
    tags,
    summary: 'Send notification dead letters back to their Queue (all waiting, or the ids given)',
    description: 'Safe to repeat: an email already sent is not sent again; a delivery gets its retries back.',
    security: bearer,
    middleware: [jsonBody()] as const,
    request: { body: { required: false, ...json(NotificationReplay) } },
    responses: {
      200: { description: 'What was replayed', ...json(z.object({ replayed: z.array(z.string()) })) },
      ...bodyFailures,
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => {
    const body = c.req.valid('json') ?? {};
    return c.json(unwrapAnswer(await traced(c.env.ADMIN).replayNotifications(actorOf(c), body)) as never, 200);
  },
);
