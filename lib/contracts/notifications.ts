// What travels on the `notifications` Queue (and, after its last retry, on `notifications-dlq`): a shopper's email to
// render and send, an account email (a password-reset or verification link), a store event to fan out to the merchant's
// webhook endpoints, and one delivery of an event to one endpoint. Producers: OrdersDO (order events, from its task
// outbox), the gateway (account emails), the admin worker (product.updated, the fan-out's deliveries, replays),
// InventoryDO (inventory.low). Consumer: the admin worker (notify.consumer.ts). Every message carries a stable key, so
// a message delivered twice is recognised (docs/admin.md#emails).
import type { Trace } from '../trace';

export const WEBHOOK_EVENT_TYPES = [
  'order.created',
  'order.paid',
  'order.refunded',
  'order.fulfilled',
  'product.updated',
  'inventory.low',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export type EmailKind = 'order_confirmation' | 'refund' | 'shipping';

/** What an email or a webhook needs of an order (no payment ids, no history). */
export interface OrderSummary {
  id: string;
  status: string;
  /** The shopper's email as given at checkout; empty: the consumer looks up the customer's account. */
  email: string;
  ownerSub: string;
  lines: { sku: string; title: string; quantity: number; unitAmount: number; lineTotal: number }[];
  totals: { subtotal: number; shipping: number; tax: number; total: number; currency: string };
  shipTo: { name: string; city: string; country: string };
  createdAt: number;
}

/** A store event as merchants' endpoints receive it (the body of the POST, JSON). */
export interface StoreEvent {
  /** Stable across retries and redeliveries: a receiver drops an id it already has. */
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: Record<string, unknown>;
}

export interface EmailJob {
  type: 'email';
  /** One email per key: `<orderId>:<kind>[:<refund id or tracking>]`. */
  key: string;
  kind: EmailKind;
  order: OrderSummary;
  refund?: { id: string; amount: number; reason: string | null };
  fulfillment?: { carrier: string; trackingNumber: string };
}

export type AccountEmailKind = 'password_reset' | 'verify_email';

/**
 * An emailed link of the account (docs/identity.md#account-links). It carries the link's token, which is stored
 * nowhere else: a copy that runs out of retries is kept as a dead letter without it (notify.consumer.ts).
 */
export interface AccountEmailJob {
  type: 'account_email';
  /** One email per key: `account:<SHA-256 of the token, hex>`. */
  key: string;
  kind: AccountEmailKind;
  to: string;
  name: string | null;
  /** The link to open, with the token in its query. */
  link: string;
  /** When the link stops working (ISO 8601). */
  expiresAt: string;
}

export interface EventJob {
  type: 'event';
  event: StoreEvent;
}

export interface DeliveryJob {
  type: 'delivery';
  /** The delivery's row in `webhook_deliveries` (its log); the event is read from there. */
  deliveryId: number;
}

export type NotificationMessage = (EmailJob | AccountEmailJob | EventJob | DeliveryJob) & { trace?: Trace };
