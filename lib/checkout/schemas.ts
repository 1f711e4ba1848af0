// Checkout, order and inventory schemas: request validation and the OpenAPI contract, one source for both.
import { z } from '@hono/zod-openapi';
import { Money, skuSchema, Timestamp } from '../catalog/schemas';
import { INVENTORY_ACTOR_TYPES, INVENTORY_EVENT_KINDS } from '../contracts/inventory';
import { NO_NUL, NO_NUL_MESSAGE } from '../validation';
import { ORDER_STATUSES } from './order';
import { SHIPPING_COUNTRIES, SHIPPING_METHODS } from './pricing';

const text = (max: number) => z.string().trim().min(1).max(max).regex(NO_NUL, NO_NUL_MESSAGE);

export const ShippingAddressSchema = z
  .object({
    name: text(200),
    line1: text(200),
    line2: text(200).optional(),
    city: text(100),
    region: text(100).optional(),
    postalCode: z
      .string()
      .trim()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9 -]{1,10}[A-Za-z0-9]$/,
        'a postal code (3 to 12 letters, digits, spaces or dashes)',
      ),
    country: z
      .preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(SHIPPING_COUNTRIES))
      .openapi({ description: 'ISO 3166-1 alpha-2; the countries we ship to.' }),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ().-]{6,20}$/, 'a phone number')
      .optional(),
  })
  .strict()
  .openapi('ShippingAddress');

/** A Stripe PaymentMethod id (pm_...), e.g. the test methods pm_card_visa, pm_card_chargeDeclined. */
export const PaymentMethodSchema = z.string().regex(/^pm_[A-Za-z0-9_]{1,100}$/, 'a Stripe PaymentMethod id (pm_...)');

export const CheckoutBody = z
  .object({
    email: z
      .string()
      .trim()
      .toLowerCase()
      .email()
      .max(254)
      .optional()
      .openapi({ description: 'Required for guests; customers may omit it.' }),
    shippingAddress: ShippingAddressSchema,
    shippingMethod: z.enum(SHIPPING_METHODS).default('standard'),
    paymentMethod: PaymentMethodSchema,
    expectedTotal: Money.optional().openapi({
      description:
        'The total the shopper was shown (subtotal + shipping + tax). If the checkout would charge anything else, ' +
        'it answers 409 PRICE_CHANGED with the new lines and totals, before any payment. Without it, every line ' +
        'must still be at the price the cart shows for it.',
    }),
  })
  .strict()
  .openapi('CheckoutRequest');
export type CheckoutBody = z.infer<typeof CheckoutBody>;

/** Idempotency-Key: 8 to 255 visible ASCII characters (a UUID is a good choice). */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{8,255}$/, '8 to 255 visible ASCII characters');

const Totals = z
  .object({
    subtotal: Money,
    shipping: Money,
    tax: Money,
    total: Money.openapi({ description: 'subtotal + shipping + tax: what the card is charged.' }),
    taxRateBps: z.number().int().openapi({ description: 'Tax rate applied, in basis points (725 = 7.25 %).' }),
  })
  .openapi('OrderTotals');

const Payment = z.object({
  provider: z.literal('stripe'),
  paymentIntentId: z.string().nullable(),
  status: z.string(),
  clientSecret: z
    .string()
    .nullable()
    .openapi({ description: 'For Stripe.js when the payment needs a step from the shopper.' }),
  nextAction: z.object({ type: z.string(), url: z.string().nullable() }).nullable().openapi({
    description: "What the shopper must still do (Stripe's next_action, e.g. 3-D Secure at `url`), or null.",
  }),
});

export const CheckoutAccepted = z
  .object({
    orderId: z.string(),
    status: z.enum(ORDER_STATUSES),
    payment: Payment,
    totals: Totals,
    holdExpiresAt: Timestamp.openapi({ description: 'Unpaid by then, the order expires and the stock returns.' }),
  })
  .openapi('CheckoutAccepted');
export type CheckoutAccepted = z.infer<typeof CheckoutAccepted>;

export const OrderView = z
  .object({
    id: z.string(),
    status: z.enum(ORDER_STATUSES),
    email: z.string(),
    lines: z.array(
      z.object({
        sku: z.string(),
        title: z.string(),
        quantity: z.number().int(),
        unitPrice: Money,
        lineTotal: Money,
      }),
    ),
    totals: Totals,
    shippingAddress: ShippingAddressSchema,
    shippingMethod: z.string(),
    payment: z.object({
      provider: z.string(),
      paymentIntentId: z.string().nullable(),
      status: z.string(),
      amount: Money.openapi({ description: 'What the payment is for (the order total).' }),
      refunded: Money.openapi({ description: 'What has been refunded so far (zero when nothing was).' }),
    }),
    holdExpiresAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    history: z.array(z.object({ from: z.string(), to: z.string(), at: Timestamp, reason: z.string() })),
  })
  .openapi('Order');
export type OrderView = z.infer<typeof OrderView>;

export const OrderList = z
  .object({ orders: z.array(OrderView), nextCursor: z.string().nullable() })
  .openapi('OrderList');
export const OrderListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z
      .string()
      .regex(/^\d{1,16}$/, 'a cursor from a previous page')
      .optional(),
  })
  .strict();
export const OrderIdParam = z.object({ id: z.string().regex(/^ord_[0-9a-z]{10,40}$/, 'an order id (ord_...)') });

export const InventorySku = z.object({
  sku: z.preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), skuSchema),
});
export const InventoryView = z
  .object({
    sku: z.string(),
    onHand: z.number().int(),
    held: z.number().int(),
    sold: z.number().int(),
    available: z.number().int(),
    maxPerCustomer: z.number().int().nullable(),
  })
  .openapi('Inventory');

/** Why stock changed, recorded in the stock ledger; optional (the event's reason is then null). */
const stockReason = text(200).optional().openapi({
  description: 'Why, for the stock ledger (at most 200 characters); a CSV import records `import`.',
  example: 'stock count',
});

/** PUT /v1/admin/inventory/:sku: set on hand, and optionally the per-customer cap (null removes it). */
export const SetStockBody = z
  .object({
    onHand: z.number().int().min(0).max(10_000_000),
    maxPerCustomer: z.number().int().min(1).max(1000).nullable().optional(),
    reason: stockReason,
  })
  .strict()
  .openapi('SetStock');
/** POST /v1/admin/inventory/:sku/adjustments: a delta (received goods +, shrinkage -). */
export const AdjustStockBody = z
  .object({
    delta: z
      .number()
      .int()
      .min(-10_000_000)
      .max(10_000_000)
      .refine((d) => d !== 0, 'must not be 0'),
    reason: stockReason,
  })
  .strict()
  .openapi('AdjustStock');

// Parsed twice (the gateway, then the admin worker over its binding): each output parses again to itself.
const isoTime = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());
const kindList = z
  .string()
  .max(200)
  .refine((v) => v.split(',').every((k) => (INVENTORY_EVENT_KINDS as readonly string[]).includes(k)), {
    message: `kinds, comma-separated, from: ${INVENTORY_EVENT_KINDS.join(', ')}`,
  });

/** GET /v1/admin/inventory/:sku/events: newest first, keyset pages by seq. */
export const InventoryEventsQuery = z
  .object({
    kind: kindList
      .optional()
      .openapi({ description: `One kind or several, comma-separated: ${INVENTORY_EVENT_KINDS.join(', ')}.` }),
    from: isoTime.optional().openapi({ description: 'At or after this time (ISO 8601).' }),
    to: isoTime.optional().openapi({ description: 'Before this time (ISO 8601).' }),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z
      .string()
      .regex(/^[1-9]\d{0,15}$/, 'a cursor from nextCursor')
      .optional()
      .openapi({ description: '`nextCursor` of the previous page.' }),
    include: z
      .enum(['archived'])
      .optional()
      .openapi({
        description:
          '`archived`: once the hot ledger is exhausted, go on with the archived events (docs/runbook.md#archival), ' +
          'marked `archived: true`, read from their archive batches.',
      }),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });
export type InventoryEventsQuery = z.output<typeof InventoryEventsQuery>;

export const InventoryEventView = z
  .object({
    seq: z.number().int().openapi({ description: '1, 2, 3 ... per SKU, in the order of the changes.' }),
    kind: z.enum(INVENTORY_EVENT_KINDS),
    delta: z
      .number()
      .int()
      .openapi({
        description:
          'The change of the figure the kind moves: held (hold, release, expire), sold (sale, restock), ' +
          'on hand (initialize, set, adjust); 0 for cap.',
      }),
    actor: z
      .object({ type: z.enum(INVENTORY_ACTOR_TYPES), id: z.string() })
      .openapi({ description: 'A merchant or admin (their id), an order (its id), or the system.' }),
    reason: z.string().nullable(),
    levels: z.object({
      onHand: z.number().int(),
      held: z.number().int(),
      sold: z.number().int(),
      available: z.number().int(),
    }),
    at: Timestamp,
    archived: z.boolean().optional().openapi({ description: 'Read from the archive (with `include=archived`).' }),
  })
  .openapi('InventoryEvent');
export type InventoryEventView = z.infer<typeof InventoryEventView>;

export const InventoryEventPage = z
  .object({ sku: z.string(), events: z.array(InventoryEventView), nextCursor: z.string().nullable() })
  .openapi('InventoryEventPage');
