// The `orders` Queue consumer: each message is a versioned snapshot (an order with its lines, payment and status
// history; or a SKU's stock levels) written to the Neon primary in one transaction. Writes are idempotent: an
// order row is only replaced by a newer version, lines and history rows are inserted once. A failure retries the
// message with exponential backoff and jitter; after the last retry the Queue moves it to `orders-dlq`, whose
// consumer keeps it in DeadLetterDO. Either way, once an order's version is written (or kept as a dead letter) the
// consumer tells the order's OrdersDO, which keeps sending that version until told (a Queue may lose a message).

import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-http';
import * as schema from '../../../db/schema';
import { inventoryLevels, orderEvents, orderLines, orders, payments } from '../../../db/schema';
import { DEAD_LETTERS_OBJECT } from '../../../durable-objects/dead-letters/dead-letters.do';
import type { OrderSnapshot } from '../../../lib/checkout/order';
import { isoTime } from '../../../lib/checkout/view';
import type { InventoryLevels, OrdersQueueMessage } from '../../../lib/contracts/queue';
import { pgBreaker } from '../../../lib/db/breaker';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { isDbUnavailable } from '../../../lib/db/errors';
import { log } from '../../../lib/log';
import { backoffMs, CircuitOpenError, withTimeout } from '../../../lib/resilience';
import { unwrap } from '../../../lib/rpc';
import { traced, withTrace } from '../../../lib/trace';
import { checkoutConfig } from './config';

type Env = CheckoutEnv & DbEnv;

const excluded = (column: string) => sql.raw(`excluded.${column}`);

function primary(env: Env) {
  const settings = dbSettings(env);
  return drizzle({ client: sqlClient(settings.DATABASE_URL, settings), schema });
}

/** Order, lines, payment and history in one transaction; an older or repeated snapshot changes nothing. */
export async function writeOrder(env: Env, o: OrderSnapshot): Promise<void> {
  const db = primary(env);
  const newer = sql`${orders.version} < ${excluded('version')}`;
  await db.batch([
    db
      .insert(orders)
      .values({
        id: o.id,
        version: o.version,
        ownerSub: o.owner.sub,
        ownerRole: o.owner.role,
        // Customers may check out without giving an email: their account's.
        email: sql`coalesce(nullif(${o.owner.email}, ''),
          (select email from customers where id::text = ${o.owner.sub}), '')`,
        status: o.status,
        currency: o.totals.currency,
        subtotal: o.totals.subtotal,
        shipping: o.totals.shipping,
        tax: o.totals.tax,
        total: o.totals.total,
        taxRateBps: o.totals.taxRateBps,
        shippingMethod: o.shippingMethod,
        shippingAddress: o.shippingAddress,
        holdExpiresAt: isoTime(o.holdExpiresAt),
        createdAt: isoTime(o.createdAt),
        updatedAt: isoTime(o.updatedAt),
      })
      .onConflictDoUpdate({
        target: orders.id,
        set: { version: excluded('version'), status: excluded('status'), updatedAt: excluded('updated_at') },
        setWhere: newer,
      }),
    db
      .insert(orderLines)
      .values(
        o.lines.map((l) => ({
          orderId: o.id,
          sku: l.sku,
          title: l.title,
          quantity: l.quantity,
          unitAmount: l.unitAmount,
          lineTotal: l.lineTotal,
        })),
      )
      .onConflictDoNothing(),
    db
      .insert(payments)
      .values({
        orderId: o.id,
        provider: o.payment.provider,
        intentId: o.payment.intentId,
        status: o.payment.status,
        amount: o.payment.amount,
        refundedAmount: o.payment.refundedAmount,
        updatedAt: isoTime(o.updatedAt),
      })
      .onConflictDoUpdate({
        target: payments.orderId,
        set: {
          intentId: excluded('intent_id'),
          status: excluded('status'),
          refundedAmount: excluded('refunded_amount'),
          updatedAt: excluded('updated_at'),
        },
        // Only the snapshot that is now the order's version may change the payment.
        setWhere: sql`(select ${orders.version} from ${orders} where ${orders.id} = ${o.id}) = ${o.version}`,
      }),
    ...(o.history.length
      ? [
          db
            .insert(orderEvents)
            .values(
              o.history.map((h, i) => ({
                orderId: o.id,
                seq: i + 1,
                fromStatus: h.from,
                toStatus: h.to,
                reason: h.reason,
                stripeEventId: h.stripeEventId ?? null,
                at: isoTime(h.at),
              })),
            )
            .onConflictDoNothing(),
        ]
      : []),
  ]);
}

/** The reporting copy of a SKU's stock; the newest version wins. */
export async function writeLevels(env: Env, l: InventoryLevels): Promise<void> {
  const db = primary(env);
  await db
    .insert(inventoryLevels)
    .values({
      sku: l.sku,
      onHand: l.onHand,
      held: l.held,
      sold: l.sold,
      available: l.available,
      maxPerCustomer: l.maxPerCustomer,
      version: l.version,
      updatedAt: isoTime(l.updatedAt),
    })
    .onConflictDoUpdate({
      target: inventoryLevels.sku,
      set: {
        onHand: excluded('on_hand'),
        held: excluded('held'),
        sold: excluded('sold'),
        available: excluded('available'),
        maxPerCustomer: excluded('max_per_customer'),
        version: excluded('version'),
        updatedAt: excluded('updated_at'),
      },
      setWhere: sql`${inventoryLevels.version} < ${excluded('version')}`,
    });
}

export async function writeMessage(env: Env, body: OrdersQueueMessage): Promise<void> {
  await pgBreaker.run(
    () => (body.type === 'order.snapshot' ? writeOrder(env, body.order) : writeLevels(env, body.levels)),
    isDbUnavailable,
  );
}

/**
 * Seconds before the next try: base * 2^(attempts-1), half of it fixed and half jittered (so retries spread
 * out but the whole budget still spans minutes, not seconds), at least 1 s, at most 5 min.
 */
export function retryDelaySeconds(env: Env, attempts: number): number {
  const base = checkoutConfig(env).ORDERS_RETRY_BASE_SECONDS;
  const step = Math.min(300_000, base * 1000 * 2 ** Math.max(attempts - 1, 0));
  return Math.max(1, Math.ceil((step / 2 + backoffMs(0, step / 2, step / 2)) / 1000));
}

const CONFIRM_TIMEOUT_MS = 3000;

/**
 * Tells the order's OrdersDO that this version is safe (in Postgres, or kept as a dead letter), so it stops
 * sending it. A failure is only logged: the object sends the copy again later, and writing it again is harmless.
 */
async function confirmCopy(env: Env, o: OrderSnapshot, how: 'written' | 'dead-lettered'): Promise<void> {
  try {
    const owner = traced(env.ORDERS.get(env.ORDERS.idFromName(o.owner.sub)));
    unwrap(await withTimeout(owner.orderCopied(o.id, o.version), CONFIRM_TIMEOUT_MS, 'OrdersDO orderCopied'));
  } catch (err) {
    log.warn('order copy not confirmed to its object; it will be sent again', {
      orderId: o.id,
      version: o.version,
      how,
      error: String(err),
    });
  }
}

export async function consumeOrders(batch: MessageBatch<OrdersQueueMessage>, env: Env): Promise<void> {
  await Promise.all(batch.messages.map((msg) => withTrace(msg.body?.trace, () => consumeOne(env, msg))));
}

/** One message, in the span of whoever sent it: an order copy written is logged, so a checkout can be followed. */
async function consumeOne(env: Env, msg: Message<OrdersQueueMessage>): Promise<void> {
  try {
    await writeMessage(env, msg.body);
    msg.ack();
    if (msg.body.type === 'order.snapshot') {
      log.info('order copy written', { orderId: msg.body.order.id, version: msg.body.order.version });
      await confirmCopy(env, msg.body.order, 'written');
    }
  } catch (err) {
    const delaySeconds = retryDelaySeconds(env, msg.attempts);
    const outage = err instanceof CircuitOpenError || isDbUnavailable(err);
    (outage ? log.warn : log.error)('orders message failed; retrying', {
      id: msg.id,
      type: msg.body?.type,
      attempts: msg.attempts,
      delaySeconds,
      error: String(err),
    });
    msg.retry({ delaySeconds });
  }
}

/** `orders-dlq`: every message that ran out of retries is kept, visible and replayable (DeadLetterDO). */
export async function consumeDeadLetters(batch: MessageBatch<OrdersQueueMessage>, env: Env): Promise<void> {
  const store = env.DEAD_LETTERS.get(env.DEAD_LETTERS.idFromName(DEAD_LETTERS_OBJECT));
  await store.keep(batch.messages.map((m) => ({ id: m.id, body: m.body, attempts: m.attempts })));
  // Kept, visible and replayable: the order's object need not send these versions again.
  await Promise.all(
    batch.messages.map((m) =>
      m.body.type === 'order.snapshot' ? confirmCopy(env, m.body.order, 'dead-lettered') : null,
    ),
  );
  log.error('orders messages dead-lettered', { count: batch.messages.length, ids: batch.messages.map((m) => m.id) });
  batch.ackAll();
}
