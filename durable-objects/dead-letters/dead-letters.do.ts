// DeadLetterDO: the one place where messages that exhausted their retries on the `orders` Queue are kept (the
// `orders-dlq` consumer writes them here), so ops can see them and replay them once the cause is fixed. A
// replay sends the message back to `orders`; the consumer's writes are idempotent, so replaying twice is safe.
import { DurableObject } from 'cloudflare:workers';
import { isoTime } from '../../lib/checkout/view';
import type { DeadLetter, DeadLetterList, OrdersQueueMessage } from '../../lib/contracts/queue';
import { acceptTraces } from '../../lib/trace';

type Row = {
  id: string;
  type: string;
  subject: string;
  body: string;
  attempts: number;
  first_seen_at: number;
  last_seen_at: number;
  replayed_at: number | null;
  replays: number;
};

const toLetter = (r: Row): DeadLetter => ({
  id: r.id,
  type: r.type,
  subject: r.subject,
  body: JSON.parse(r.body) as OrdersQueueMessage,
  attempts: r.attempts,
  firstSeenAt: isoTime(r.first_seen_at),
  lastSeenAt: isoTime(r.last_seen_at),
  replayedAt: r.replayed_at === null ? null : isoTime(r.replayed_at),
  replays: r.replays,
});

/** The name of the one DeadLetterDO that keeps the `orders` queue's dead letters. */
export const DEAD_LETTERS_OBJECT = 'orders-dlq';

export class DeadLetterDO extends DurableObject<CheckoutEnv> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: CheckoutEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`create table if not exists letter (
      id text primary key, type text not null, subject text not null, body text not null, attempts integer not null,
      first_seen_at integer not null, last_seen_at integer not null, replayed_at integer,
      replays integer not null default 0)`);
  }

  /** Keeps dead messages (a message seen again after a replay failed again is updated, not duplicated). */
  async keep(messages: { id: string; body: OrdersQueueMessage; attempts: number }[]): Promise<void> {
    const now = Date.now();
    // Replayed letters are kept for a month, for the record.
    this.sql.exec('delete from letter where replayed_at is not null and replayed_at < ?', now - 30 * 86_400_000);
    for (const m of messages) {
      const subject = m.body.type === 'order.snapshot' ? m.body.order.id : m.body.levels.sku;
      // A snapshot dies under its own key per order and version; a newer one replaces nothing older.
      const id =
        m.body.type === 'order.snapshot' ? `${subject}@${m.body.order.version}` : `${subject}@${m.body.levels.version}`;
      this.sql.exec(
        `insert into letter (id, type, subject, body, attempts, first_seen_at, last_seen_at)
         values (?, ?, ?, ?, ?, ?, ?)
         on conflict (id) do update set attempts = letter.attempts + excluded.attempts,
           last_seen_at = excluded.last_seen_at, replayed_at = null`,
        id,
        m.body.type,
        subject,
        JSON.stringify(m.body),
        m.attempts,
        now,
        now,
      );
    }
  }

  /** Dead letters, newest first; replayed ones only when asked for. */
  async list(opts: { includeReplayed: boolean; limit: number }): Promise<DeadLetterList> {
    const rows = this.sql
      .exec<Row>(
        `select * from letter ${opts.includeReplayed ? '' : 'where replayed_at is null'}
         order by last_seen_at desc limit ?`,
        opts.limit,
      )
      .toArray();
    const waiting = Number(
      this.sql.exec<{ n: number }>('select count(*) as n from letter where replayed_at is null').one().n,
    );
    return { letters: rows.map(toLetter), waiting };
  }

  /** Sends the letters back to `orders` (all waiting ones, or the named ones). */
  async replay(ids?: string[]): Promise<{ replayed: string[] }> {
    const rows = ids
      ? ids.flatMap((id) => this.sql.exec<Row>('select * from letter where id = ?', id).toArray())
      : this.sql.exec<Row>('select * from letter where replayed_at is null order by first_seen_at').toArray();
    if (rows.length === 0) return { replayed: [] };
    for (let i = 0; i < rows.length; i += 100) {
      await this.env.ORDERS_QUEUE.sendBatch(
        rows
          .slice(i, i + 100)
          .map((r) => ({ body: JSON.parse(r.body) as OrdersQueueMessage, contentType: 'json' as const })),
      );
    }
    const now = Date.now();
    for (const r of rows)
      this.sql.exec('update letter set replayed_at = ?, replays = replays + 1 where id = ?', now, r.id);
    return { replayed: rows.map((r) => r.id) };
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
acceptTraces(DeadLetterDO);
