// Store events the admin worker raises itself: `product.updated` after a catalog write committed (create, product
// fields, status, variants, delete, a CSV import; `data.action` says which). Sent once the write is committed, bounded by a deadline; a failed send is logged, not retried
// (the write stands): unlike order events (OrdersDO's durable outbox), product.updated is at most once. Receivers
// that must not miss a change re-read the product on the next event, or list the catalog.
import type { NotificationMessage, StoreEvent } from '../../../lib/contracts/notifications';
import { log } from '../../../lib/log';
import { withTimeout } from '../../../lib/resilience';
import { traceField } from '../../../lib/trace';

const SEND_TIMEOUT_MS = 3000;

export interface ProductRef {
  id: string;
  slug: string;
  title?: string;
  status?: string;
  updatedAt?: string;
}

function productEvent(action: string, product: ProductRef): NotificationMessage {
  const at = product.updatedAt ?? new Date().toISOString();
  const event: StoreEvent = {
    // One id per committed change of the product (its updatedAt), so a receiver can drop a repeat.
    id: `evt_product:${product.id}:${at}`,
    type: 'product.updated',
    createdAt: new Date().toISOString(),
    data: { action, product },
  };
  return { type: 'event', event, ...traceField() };
}

export async function productUpdated(env: AdminEnv, action: string, product: ProductRef): Promise<void> {
  try {
    const message = productEvent(action, product);
    await withTimeout(env.NOTIFICATIONS.send(message, { contentType: 'json' }), SEND_TIMEOUT_MS, 'notifications send');
  } catch (err) {
    log.error('product.updated event not sent', { productId: product.id, action, error: String(err) });
  }
}

/** A Queue batch holds at most 100 messages. */
const BATCH = 100;

/** One product.updated per product a write changed at once (a CSV import), sent in Queue batches. */
export async function productsUpdated(env: AdminEnv, action: string, products: ProductRef[]): Promise<void> {
  for (let i = 0; i < products.length; i += BATCH) {
    const batch = products.slice(i, i + BATCH);
    try {
      const messages = batch.map((p) => ({ body: productEvent(action, p), contentType: 'json' as const }));
      await withTimeout(env.NOTIFICATIONS.sendBatch(messages), SEND_TIMEOUT_MS, 'notifications send');
    } catch (err) {
      log.error('product.updated events not sent', { action, products: batch.length, error: String(err) });
    }
  }
}
