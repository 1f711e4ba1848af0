// What travels on the `orders` Queue (and, after the last retry, on `orders-dlq`), and how the dead letters are
// shown to ops. Every message is a full snapshot carrying a version, so the consumer's writes are idempotent: a
// redelivered or older snapshot never overwrites a newer row, and a replayed dead letter is harmless.
import type { OrderSnapshot } from '../checkout/order';
import type { Trace } from '../trace';

/** One SKU's stock as its InventoryDO knows it. `available + held + sold = onHand`. */
export interface InventoryLevels {
  sku: string;
  onHand: number;
  held: number;
  sold: number;
  available: number;
  /** Per-customer cap for this SKU (flash sales); null when there is none. */
  maxPerCustomer: number | null;
  /** Bumped by every change; the Postgres copy keeps the highest version it has seen. */
  version: number;
  /** ms since epoch of the change that produced this version. */
  updatedAt: number;
}

/** `trace`: the span that sent it (an order copy: the request that changed the order), so the consumer's log joins it. */
export type OrdersQueueMessage = (
  | { type: 'order.snapshot'; order: OrderSnapshot }
  | { type: 'inventory.levels'; levels: InventoryLevels }
) & { trace?: Trace };

/** A message of `orders` that ran out of retries, as DeadLetterDO keeps it and the admin API shows it. */
export interface DeadLetter {
  id: string;
  type: string;
  /** The order or SKU the message is about. */
  subject: string;
  body: OrdersQueueMessage;
  attempts: number;
  firstSeenAt: string;
  lastSeenAt: string;
  replayedAt: string | null;
  replays: number;
}

export interface DeadLetterList {
  letters: DeadLetter[];
  /** Letters not replayed yet. */
  waiting: number;
}
