// The business figures of the ops API, read from the orders Postgres keeps (the consumer's copy of what the OrdersDOs
// decide): from the replica, the primary when the replica fails. Replica lag is measured on both: the primary's WAL
// position minus the replica's replay position (bytes), and the replica's time since its last replayed commit.
import { z } from 'zod';
import type { BusinessFigures, BusinessQuery } from '../../../lib/contracts/figures';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { readOrder, replicasOf } from '../../../lib/db/replicas';
import { log } from '../../../lib/log';
import { currentTrace } from '../../../lib/trace';

export const BusinessQuerySchema = z
  .object({
    from: z.number().int().nonnegative(),
    to: z.number().int().positive(),
    top: z.number().int().min(1).max(100),
    paidWithinSeconds: z.number().int().min(1).max(86_400),
  })
  .strict()
  .refine((q) => q.from < q.to, 'from must be before to');

type Sql = ReturnType<typeof sqlClient>;
const iso = (v: unknown) => new Date(String(v)).toISOString();
const n = (v: unknown) => Number(v ?? 0);

async function ordersFigures(sql: Sql, q: BusinessQuery) {
  const from = new Date(q.from).toISOString();
  const to = new Date(q.to).toISOString();
  const [perMinute, perHour, hottest, paid] = await Promise.all([
    sql`select date_trunc('minute', created_at) as m, count(*) as c from orders
        where created_at >= ${from} and created_at < ${to} group by 1 order by 1`,
    sql`select date_trunc('hour', created_at) as h, currency, sum(total) as amount, count(*) as c from orders
        where created_at >= ${from} and created_at < ${to} and status in ('paid', 'fulfilled')
        group by 1, 2 order by 1, 2`,
    sql`select l.sku, o.currency, sum(l.quantity) as units, count(*) as c, sum(l.line_total) as amount
        from order_lines l join orders o on o.id = l.order_id
        where o.created_at >= ${from} and o.created_at < ${to} and o.status in ('pending_payment', 'paid', 'fulfilled')
        group by 1, 2 order by units desc, l.sku limit ${q.top}`,
    sql`select count(*) as eligible,
          count(*) filter (where p.at is null and o.status in ('payment_failed', 'canceled', 'expired')) as closed,
          count(p.at) as paid,
          count(*) filter (where p.at <= o.created_at + make_interval(secs => ${q.paidWithinSeconds})) as in_time
        from orders o
        left join lateral (select min(e.at) as at from order_events e where e.order_id = o.id and e.to_status = 'paid')
          p on true
        where o.created_at >= ${from}
          and o.created_at < least(${to}::timestamptz, now()) - make_interval(secs => ${q.paidWithinSeconds})`,
  ]);
  const byCurrency = new Map<string, { currency: string; amount: number; orders: number }>();
  for (const r of perHour) {
    const e = byCurrency.get(String(r.currency)) ?? { currency: String(r.currency), amount: 0, orders: 0 };
    e.amount += n(r.amount);
    e.orders += n(r.c);
    byCurrency.set(e.currency, e);
  }
  const p = paid[0] ?? {};
  return {
    orders: {
      accepted: perMinute.reduce((s, r) => s + n(r.c), 0),
      paid: [...byCurrency.values()].reduce((s, e) => s + e.orders, 0),
      perMinute: perMinute.map((r) => ({ minute: iso(r.m), accepted: n(r.c) })),
    },
    revenue: {
      byCurrency: [...byCurrency.values()],
      perHour: perHour.map((r) => ({
        hour: iso(r.h),
        currency: String(r.currency),
        amount: n(r.amount),
        orders: n(r.c),
      })),
    },
    hottestSkus: hottest.map((r) => ({
      sku: String(r.sku),
      units: n(r.units),
      orders: n(r.c),
      currency: String(r.currency),
      amount: n(r.amount),
    })),
    paidWithin: {
      boundSeconds: q.paidWithinSeconds,
      eligible: n(p.eligible),
      closed: n(p.closed),
      paid: n(p.paid),
      paidInTime: n(p.in_time),
    },
  };
}

async function replicaLag(primary: Sql, replica: Sql | undefined): Promise<BusinessFigures['replica']> {
  if (!replica) return { configured: false, lagBytes: null, lagSeconds: null };
  try {
    const [r] = await replica`select pg_last_wal_replay_lsn()::text as lsn,
      extract(epoch from now() - pg_last_xact_replay_timestamp()) as age`;
    if (!r?.lsn) return { configured: true, lagBytes: null, lagSeconds: null };
    const [d] = await primary`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${r.lsn}::pg_lsn) as bytes`;
    const bytes = Math.max(0, n(d?.bytes));
    // Nothing to replay: no lag, however long ago the last commit was (an idle primary is not a late replica).
    return { configured: true, lagBytes: bytes, lagSeconds: bytes === 0 ? 0 : Math.round(n(r.age) * 1000) / 1000 };
  } catch (err) {
    log.warn('replica lag unmeasured', { error: String(err) });
    return { configured: true, lagBytes: null, lagSeconds: null };
  }
}

/** Orders, revenue, hottest SKUs and the order-paid counts of a window, and the replica's lag. */
export async function businessFigures(env: DbEnv, q: BusinessQuery) {
  const settings = dbSettings(env);
  const primary = sqlClient(settings.DATABASE_URL, settings);
  // The request region's replica (the first listed without a region); its lag is the figure reported.
  const nearest = readOrder(replicasOf(settings), currentTrace()?.region)[0];
  const replica = nearest ? sqlClient(nearest.url, settings) : undefined;
  const lag = replicaLag(primary, replica);
  let source: BusinessFigures['source'] = replica ? 'replica' : 'primary';
  let figures: Awaited<ReturnType<typeof ordersFigures>>;
  try {
    figures = await ordersFigures(replica ?? primary, q);
  } catch (err) {
    if (!replica) throw err;
    log.warn('replica unreachable, reading figures from the primary', { error: String(err) });
    source = 'primary';
    figures = await ordersFigures(primary, q);
  }
  return { source, ...figures, replica: await lag };
}
