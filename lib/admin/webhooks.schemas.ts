// Merchants' webhook endpoints and their delivery log (POST/GET/PATCH/DELETE /v1/admin/webhooks, the secret's
// rotation, GET /v1/admin/webhooks/{id}/deliveries) and the notifications' dead letters. The gateway validates and
// documents with these; the admin worker parses the same input again, since it is reached over a binding.
import { z } from '@hono/zod-openapi';
import { WEBHOOK_EVENT_TYPES } from '../contracts/notifications';
import { receiverUrlProblem } from '../webhooks/receiver-url';

/**
 * A public https receiver (lib/webhooks/receiver-url.ts). Loopback hosts pass here and are refused by the admin
 * worker unless WEBHOOK_ALLOW_LOOPBACK (dev, tests): the gateway does not know the flag.
 */
export const EndpointUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .superRefine((u, ctx) => {
    const problem = receiverUrlProblem(u, true);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({
    example: 'https://hooks.example.com/storefront',
    description:
      'https, port 443 or 8443, a public host: no IP address of a private, loopback or link-local network, no ' +
      'localhost, *.internal, *.local or single-label name, no credentials.',
  });

const Events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((e) => new Set(e).size === e.length, { message: 'each event once' })
  .openapi({ description: 'The events the endpoint receives.', example: ['order.paid', 'order.refunded'] });

export const WebhookId = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, example: '0b9f7a5e-8a7e-4f43-9a39-8f0c1c3f9b11' }),
});

export const WebhookCreate = z
  .object({
    url: EndpointUrl,
    events: Events,
    description: z.string().trim().max(200).optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
export type WebhookCreate = z.infer<typeof WebhookCreate>;

export const WebhookPatch = z
  .object({
    url: EndpointUrl.optional(),
    events: Events.optional(),
    description: z.string().trim().max(200).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'change at least one field' });
export type WebhookPatch = z.infer<typeof WebhookPatch>;

export const WebhookEndpoint = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    description: z.string().nullable(),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookEndpoint');

export const WebhookSecret = z
  .object({
    endpoint: WebhookEndpoint,
    secret: z.string().openapi({
      description: 'The signing secret: shown only now (on create and on rotation). Keep it at the receiver.',
      example: 'whsec_0123456789abcdef0123456789abcdef',
    }),
  })
  .openapi('WebhookSecret');

export const WebhookList = z.object({ endpoints: z.array(WebhookEndpoint) }).openapi('WebhookList');

export const DeliveriesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z
      .string()
      .regex(/^[1-9]\d{0,15}$/, 'a cursor from nextCursor')
      .optional(),
  })
  .strict();

export const WebhookDelivery = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.enum(WEBHOOK_EVENT_TYPES),
    state: z.enum(['pending', 'delivered', 'failing', 'dead']).openapi({
      description: '`failing`: its last attempt failed and it will be retried; `dead`: retries exhausted.',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        statusCode: z.number().int().nullable().openapi({ description: 'null: no answer (timeout, network)' }),
        latencyMs: z.number().int(),
        error: z.string().nullable(),
        at: z.string(),
      }),
    ),
  })
  .openapi('WebhookDelivery');

export const WebhookDeliveryList = z
  .object({ deliveries: z.array(WebhookDelivery), nextCursor: z.string().nullable() })
  .openapi('WebhookDeliveryList');

export const NotificationDeadLetterList = z
  .object({
    letters: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        subject: z.string(),
        attempts: z.number().int(),
        firstSeenAt: z.string(),
        lastSeenAt: z.string(),
        replayedAt: z.string().nullable(),
        replays: z.number().int(),
        body: z.unknown(),
      }),
    ),
    waiting: z.number().int(),
  })
  .openapi('NotificationDeadLetterList');

export const NotificationReplay = z
  .object({ ids: z.array(z.string().min(1).max(200)).min(1).max(100).optional() })
  .strict();
