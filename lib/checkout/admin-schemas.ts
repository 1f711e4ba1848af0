// The merchant's side of orders and customers (/v1/admin/orders, /v1/admin/customers, /v1/admin/tasks): request
// validation and the OpenAPI contract, one source for both, like lib/checkout/schemas.ts for the shopper's side.
import { z } from '@hono/zod-openapi';
import { Money, skuSchema, Timestamp } from '../catalog/schemas';
import { NO_NUL, NO_NUL_MESSAGE } from '../validation';
import { ORDER_STATUSES } from './order';
import { OrderView } from './schemas';

const text = (max: number) => z.string().trim().min(1).max(max).regex(NO_NUL, NO_NUL_MESSAGE);
const cursor = z
  .string()
  .max(400)
  .regex(/^[A-Za-z0-9_-]+$/, 'an opaque cursor from a previous page')
  .optional()
  .openapi({ description: 'Opaque cursor from `nextCursor` of the previous page.' });
const limit = z.coerce.number().int().min(1).max(100).default(20);
const amount = z.coerce.number().int().min(0).max(2_000_000_000);

/** GET /v1/admin/orders: every filter optional, all of them applied together. */
export const AdminOrderQuery = z
  .object({
    status: z.enum(ORDER_STATUSES).optional(),
    from: z.iso.datetime().optional().openapi({ description: 'Created at or after (ISO 8601).' }),
    to: z.iso.datetime().optional().openapi({ description: 'Created before (ISO 8601).' }),
    email: z
      .string()
      .trim()
      .toLowerCase()
      .min(1)
      .max(254)
      .regex(NO_NUL, NO_NUL_MESSAGE)
      .optional()
      .openapi({ description: "Part of the buyer's email, case-insensitive." }),
    sku: z
      .preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), skuSchema)
      .optional()
      .openapi({ description: 'Orders with a line of this SKU.' }),
    minTotal: amount.optional().openapi({ description: 'Total at least this (minor units).' }),
    maxTotal: amount.optional().openapi({ description: 'Total at most this (minor units).' }),
    include: z
      .enum(['archived'])
      .optional()
      .openapi({
        description:
          '`archived`: archived orders too (docs/runbook.md#archival), marked `archived: true`, in the same ' +
          'newest-first pages and under the same filters.',
      }),
    limit,
    cursor,
  })
  .strict()
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
    path: ['from'],
  })
  .refine((q) => q.minTotal === undefined || q.maxTotal === undefined || q.minTotal <= q.maxTotal, {
    message: 'minTotal must not be more than maxTotal',
    path: ['minTotal'],
  });
export type AdminOrderQuery = z.infer<typeof AdminOrderQuery>;

export const AdminOrderSummary = z
  .object({
    id: z.string(),
    status: z.enum(ORDER_STATUSES),
    email: z.string(),
    customerId: z.string().nullable().openapi({ description: 'The customer account; null for a guest.' }),
    total: Money,
    refunded: Money,
    lines: z.number().int().openapi({ description: 'Number of order lines.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    archived: z.boolean().openapi({
      description: 'Read from the archive (only with `include=archived`); its detail is `GET /v1/admin/orders/{id}`.',
    }),
  })
  .openapi('AdminOrderSummary');
export const AdminOrderList = z
  .object({ orders: z.array(AdminOrderSummary), nextCursor: z.string().nullable() })
  .openapi('AdminOrderList');

export const RefundView = z
  .object({
    id: z.string(),
    amount: Money,
    status: z.enum(['requested', 'pending', 'succeeded', 'failed']).openapi({
      description:
        '`requested`: recorded, being sent to Stripe (retried until it is); `pending`: Stripe will report the ' +
        'outcome; `succeeded`; `failed` (refused by Stripe, or given up by an admin).',
    }),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
    restock: z.boolean(),
    restockedAt: Timestamp.nullable(),
    reason: z.string().nullable(),
    stripeRefundId: z.string().nullable(),
    failure: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Refund');

export const FulfillmentView = z
  .object({ carrier: z.string(), trackingNumber: z.string(), fulfilledAt: Timestamp })
  .openapi('Fulfillment');

export const AdminOrder = OrderView.extend({
  customerId: z.string().nullable().openapi({ description: 'The customer account; null for a guest.' }),
  refunds: z.array(RefundView),
  refundable: Money.openapi({ description: 'What a new refund may still give back.' }),
  fulfillment: FulfillmentView.nullable(),
}).openapi('AdminOrder');
export type AdminOrder = z.infer<typeof AdminOrder>;

export const RefundBody = z
  .object({
    amount: z.number().int().min(1).max(2_000_000_000).optional().openapi({
      description:
        'Minor units, in the order currency. Without it: the value of `lines` when given, else everything left.',
    }),
    lines: z
      .array(z.object({ sku: skuSchema, quantity: z.number().int().min(1).max(1000) }).strict())
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'The order lines refunded (units); restocked when `restock` is true.' }),
    restock: z.boolean().optional().openapi({
      description: 'Put the refunded units back on hand once the refund succeeded (without `lines`: every unit).',
    }),
    reason: text(500).optional(),
  })
  .strict()
  .openapi('RefundRequest');
export type RefundBody = z.infer<typeof RefundBody>;

export const RefundResult = z.object({ refund: RefundView, order: AdminOrder }).openapi('RefundResult');

export const FulfilBody = z
  .object({
    carrier: text(100),
    trackingNumber: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 -]{2,62}[A-Za-z0-9]$/, 'a tracking number (4 to 64 letters, digits, - or spaces)'),
  })
  .strict()
  .openapi('FulfilRequest');
export type FulfilBody = z.infer<typeof FulfilBody>;

export const CancelBody = z
  .object({ reason: text(500).optional() })
  .strict()
  .openapi('CancelRequest');
export type CancelBody = z.infer<typeof CancelBody>;

export const AdminOrderId = z.object({
  id: z.string().regex(/^ord_[0-9a-z]{10,40}$/, 'an order id (ord_...)'),
});

/** A task of an OrdersDO's outbox whose last run failed: `<object id>.<task id>` names it. */
export const TaskRef = z.object({
  id: z.string().regex(/^[0-9a-f]{64}\.\d{1,12}$/, 'a task id from GET /v1/admin/tasks'),
});
export const StuckTask = z
  .object({
    id: z.string(),
    orderId: z.string(),
    kind: z.string().openapi({ description: 'publish, cart, release, expire, refund, refunds' }),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: Timestamp,
  })
  .openapi('StuckTask');
export const StuckTaskList = z.object({ tasks: z.array(StuckTask) }).openapi('StuckTaskList');
export const StuckTaskQuery = z
  .object({ minAttempts: z.coerce.number().int().min(1).max(1000).default(1), limit })
  .strict();
export const TaskOutcome = z
  .object({
    task: StuckTask.nullable().openapi({ description: 'The task after the action: null when it is done or gone.' }),
  })
  .openapi('TaskOutcome');

export const CustomerQuery = z
  .object({
    q: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(NO_NUL, NO_NUL_MESSAGE)
      .optional()
      .openapi({ description: 'Part of the email or the name, case-insensitive.' }),
    limit,
    cursor,
  })
  .strict();
export type CustomerQuery = z.infer<typeof CustomerQuery>;
export const CustomerId = z.object({ id: z.uuid({ error: 'a customer id (UUID)' }) });

export const CustomerView = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.string(),
    createdAt: Timestamp,
    orders: z.number().int().openapi({ description: 'How many orders the customer placed.' }),
  })
  .openapi('Customer');
export const CustomerList = z
  .object({ customers: z.array(CustomerView), nextCursor: z.string().nullable() })
  .openapi('CustomerList');
export const CustomerDetail = z
  .object({
    customer: CustomerView,
    orders: z.array(AdminOrderSummary).openapi({ description: 'The newest 50.' }),
  })
  .openapi('CustomerDetail');
