// The emails and store events an order calls for, derived from the order itself: accepted (`order.created`), paid
// (`order.paid` + the confirmation email), each refund that succeeded (`order.refunded` + a refund email; the
// automatic refund of an order that could not be filled too), shipped with a carrier and tracking number
// (`order.fulfilled` + the shipping email; a changed tracking number is a new notice). Each notice has a key;
// `notice` (in the object's SQLite) keeps the keys already handed to the `notifications` Queue. Whenever a saved
// order has a notice not in it, the order gets a `notify` task (tasks.ts), so a failed send is retried with the
// outbox's backoff, never lost; the task sends every pending notice of the order and then records their keys.
// Derived from state rather than remembered as edges, two changes in quick succession (paid, then shipped) can
// never overwrite each other in the one task per order and kind. A send whose record is lost (the object evicted
// between the two) sends again: the consumer drops a key it has (notify.consumer.ts).
import type { OrderSnapshot } from '../../lib/checkout/order';
import { isAccepted } from '../../lib/checkout/order';
import type {
  EmailJob,
  NotificationMessage,
  OrderSummary,
  StoreEvent,
  WebhookEventType,
} from '../../lib/contracts/notifications';
import { withTimeout } from '../../lib/resilience';
import { outgoingTrace } from '../../lib/trace';
import type { TaskRow, TaskRun } from './tasks';

const QUEUE_TIMEOUT_MS = 5000;
const SLOW_FAULT_MS = 4000;
/** At the notices' first start, orders changed within this long still get theirs (NoticeLog.migrate). */
export const MIGRATION_GRACE_MS = 60 * 60 * 1000;

export interface Notice {
  key: string;
  event: StoreEvent;
  email?: EmailJob;
}

export function orderSummary(o: OrderSnapshot): OrderSummary {
  const { subtotal, shipping, tax, total, currency } = o.totals;
  return {
    id: o.id,
    status: o.status,
    email: o.owner.email,
    ownerSub: o.owner.sub,
    lines: o.lines.map((l) => ({ ...l })),
    totals: { subtotal, shipping, tax, total, currency },
    shipTo: { name: o.shippingAddress.name, city: o.shippingAddress.city, country: o.shippingAddress.country },
    createdAt: o.createdAt,
  };
}

/** Every notice the order calls for in its current state (sent or not). */
export function noticesOf(o: OrderSnapshot): Notice[] {
  if (!isAccepted(o.status)) return [];
  const order = orderSummary(o);
  const when = (to: string) => o.history.find((h) => h.to === to)?.at;
  const event = (key: string, type: WebhookEventType, at: number, data: Record<string, unknown>): StoreEvent => ({
    id: `evt_${key}`,
    type,
    createdAt: new Date(at).toISOString(),
    data: { order, ...data },
  });
  const out: Notice[] = [];
  const accepted = o.history.find((h) => h.to === 'pending_payment' || h.to === 'paid')?.at ?? o.createdAt;
  out.push({ key: `${o.id}:created`, event: event(`${o.id}:created`, 'order.created', accepted, {}) });
  const paid = when('paid');
  if (paid !== undefined) {
    const key = `${o.id}:paid`;
    out.push({
      key,
      event: event(key, 'order.paid', paid, {}),
      email: { type: 'email', key, kind: 'order_confirmation', order },
    });
  }
  for (const r of o.refunds ?? []) {
    if (r.status !== 'succeeded') continue;
    const key = `${o.id}:refund:${r.id}`;
    const refund = { id: r.id, amount: r.amount, reason: r.reason ?? null };
    out.push({
      key,
      event: event(key, 'order.refunded', r.updatedAt, { refund }),
      email: { type: 'email', key, kind: 'refund', order, refund },
    });
  }
  for (const r of o.payment.outsideRefunds ?? []) {
    // A refund made in the Stripe dashboard: the shopper is told the amount, as for the store's own.
    const key = `${o.id}:refund:stripe:${r.id}`;
    const refund = { id: r.id, amount: r.amount, reason: null };
    out.push({
      key,
      event: event(key, 'order.refunded', r.at, { refund }),
      email: { type: 'email', key, kind: 'refund', order, refund },
    });
  }
  const refundedAt = when('refunded');
  if (refundedAt !== undefined && !o.refunds?.length && !o.payment.outsideRefunds?.length) {
    // The automatic refund of money that arrived for an order that could not be filled.
    const key = `${o.id}:refund:auto`;
    const refund = { id: 'auto', amount: o.payment.refundedAmount, reason: 'the order could not be filled' };
    out.push({
      key,
      event: event(key, 'order.refunded', refundedAt, { refund }),
      email: { type: 'email', key, kind: 'refund', order, refund },
    });
  }
  if (o.fulfillment) {
    const { carrier, trackingNumber, at } = o.fulfillment;
    const key = `${o.id}:shipped:${carrier}:${trackingNumber}`;
    const fulfillment = { carrier, trackingNumber };
    out.push({
      key,
      event: event(key, 'order.fulfilled', at, { fulfillment }),
      email: { type: 'email', key, kind: 'shipping', order, fulfillment },
    });
  }
  return out;
}

/** The `notice` table and the `notify` task's run. */
export class NoticeLog {
  private readonly sql: SqlStorage;

  constructor(
    storage: DurableObjectStorage,
    private readonly queue: Queue<NotificationMessage>,
    private readonly order: (id: string) => OrderSnapshot | null,
    /**
     * Test faults: FAULT_DUPLICATE_NOTICES_OF (this shopper's notices are sent twice), FAULT_SLOW_NOTICES_OF (their
     * sends first wait SLOW_FAULT_MS, as a slow Queue would).
     */
    private readonly faults: { duplicateFor?: string; slowFor?: string } = {},
  ) {
    this.sql = storage.sql;
  }

  /**
   * Creates `notice`. In an object that had orders before notices existed (the first start after this was
   * deployed), the notices so far of orders last changed more than MIGRATION_GRACE_MS ago count as sent: a later
   * change of an old order must not email its shopper about a payment made long ago. Orders changed within it (paid
   * just before the deploy) keep theirs pending: answered here, so the caller gives each a `notify` task. Runs after
   * OrderBook.migrate (the `orders` table exists).
   */
  migrate(now = Date.now()): string[] {
    const fresh =
      this.sql
        .exec<{ n: number }>("select count(*) as n from sqlite_master where type = 'table' and name = 'notice'")
        .one().n === 0;
    this.sql.exec(`create table if not exists notice (order_id text not null, key text not null,
      sent_at integer not null, primary key (order_id, key))`);
    if (!fresh) return [];
    const recent: string[] = [];
    for (const { snapshot } of this.sql.exec<{ snapshot: string }>('select snapshot from orders')) {
      const o = JSON.parse(snapshot) as OrderSnapshot;
      const notices = noticesOf(o);
      if (notices.length === 0) continue;
      if (now - (o.updatedAt ?? o.createdAt) < MIGRATION_GRACE_MS) {
        recent.push(o.id);
        continue;
      }
      for (const n of notices) this.handled(o.id, n.key, now);
    }
    return recent;
  }

  /**
   * A given-up `notify` task: the order's pending notices count as handled (the order's history says who gave
   * them up), so the next unrelated change of the order does not send them after all.
   */
  giveUp(o: OrderSnapshot) {
    const now = Date.now();
    for (const n of this.pending(o)) this.handled(o.id, n.key, now);
  }

  private handled(orderId: string, key: string, at: number) {
    this.sql.exec('insert or ignore into notice (order_id, key, sent_at) values (?, ?, ?)', orderId, key, at);
  }

  /** The order's notices not yet handed to the Queue. */
  pending(o: OrderSnapshot): Notice[] {
    const all = noticesOf(o);
    if (all.length === 0) return [];
    const sent = new Set(
      this.sql
        .exec<{ key: string }>('select key from notice where order_id = ?', o.id)
        .toArray()
        .map((r) => r.key),
    );
    return all.filter((n) => !sent.has(n.key));
  }

  /** The `notify` task: every pending notice of the order in one batch, then their keys recorded. */
  async run(task: TaskRow): Promise<TaskRun> {
    const o = this.order(task.order_id);
    if (!o) return;
    const due = this.pending(o);
    if (due.length === 0) return;
    const trace = outgoingTrace();
    const once: NotificationMessage[] = due.flatMap((n) => [
      ...(n.email ? [n.email] : []),
      { type: 'event' as const, event: n.event },
    ]);
    const messages = this.faults.duplicateFor && o.owner.email === this.faults.duplicateFor ? [...once, ...once] : once;
    if (this.faults.slowFor && o.owner.email === this.faults.slowFor)
      await new Promise((r) => setTimeout(r, SLOW_FAULT_MS));
    await withTimeout(
      this.queue.sendBatch(
        messages.map((body) => ({ body: trace ? { ...body, trace } : body, contentType: 'json' as const })),
      ),
      QUEUE_TIMEOUT_MS,
      'notifications queue send',
    );
    const now = Date.now();
    for (const n of due) this.handled(o.id, n.key, now);
  }
}
