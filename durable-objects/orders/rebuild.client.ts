// The callers' side of an OrdersDO rebuild (CheckoutOps, for POST /v1/admin/shoppers/:subject/orders/rebuild): reads
// the shopper's order copies from the Postgres primary (the copies' writer), makes a snapshot of each (rebuild.ts),
// and has the shopper's OrdersDO plan (dry run) or apply them. docs/runbook.md#rebuilding-an-ordersdo-from-postgres.
import type { OrderSnapshot } from '../../lib/checkout/order';
import { pgBreaker } from '../../lib/db/breaker';
import { type DbEnv, dbSettings, sqlClient } from '../../lib/db/client';
import { isDbUnavailable, mapDbError } from '../../lib/db/errors';
import { AppError } from '../../lib/errors';
import { withTimeout } from '../../lib/resilience';
import { type RpcResult, unwrap } from '../../lib/rpc';
import { traced } from '../../lib/trace';
import type { OrdersDO } from './orders.do';
import { type OrdersRebuildPlan, snapshotFromCopy } from './rebuild';

const DO_TIMEOUT_MS = 5000;
/** More orders than this for one shopper is not a rebuild one request may do. */
export const ORDERS_REBUILD_MAX = 1000;

const ms = (column: string) => `round(extract(epoch from ${column}) * 1000)::float8`;

type Env = DbEnv & { ORDERS: DurableObjectNamespace<OrdersDO> };

/** The shopper's order copies in Postgres (hot tables: an archived order is settled and stays archived). */
export async function orderCopies(env: DbEnv, subject: string): Promise<OrderSnapshot[]> {
  const settings = dbSettings(env);
  let rows: Record<string, unknown>[];
  try {
    rows = (await pgBreaker.run(
      () =>
        withTimeout(
          sqlClient(settings.DATABASE_URL, settings).query(
            `select row_to_json(o) as o,
               (select coalesce(json_agg(l), '[]') from order_lines l where l.order_id = o.id) as lines,
               (select row_to_json(p) from payments p where p.order_id = o.id) as payment,
               (select coalesce(json_agg(json_build_object('seq', e.seq, 'from_status', e.from_status,
                  'to_status', e.to_status, 'reason', e.reason, 'stripe_event_id', e.stripe_event_id,
                  'at', ${ms('e.at')})), '[]') from order_events e where e.order_id = o.id) as events
             from (select id, version, owner_sub, owner_role, email, status, currency, subtotal, shipping, tax, total,
                     tax_rate_bps, shipping_method, shipping_address, ${ms('hold_expires_at')} as hold_expires_at,
                     ${ms('created_at')} as created_at, ${ms('updated_at')} as updated_at
                   from orders where owner_sub = $1 order by created_at, id limit ${ORDERS_REBUILD_MAX + 1}) o`,
            [subject],
          ) as Promise<Record<string, unknown>[]>,
          settings.DB_TIMEOUT_MS + 1000,
          'order copies',
        ),
      isDbUnavailable,
    )) as Record<string, unknown>[];
  } catch (err) {
    mapDbError(err);
  }
  if (rows.length > ORDERS_REBUILD_MAX)
    throw new AppError(
      'VALIDATION_FAILED',
      `More than ${ORDERS_REBUILD_MAX} orders of this shopper in Postgres: rebuild it offline.`,
    );
  return rows.map((r) =>
    snapshotFromCopy({
      order: r.o as Record<string, unknown>,
      lines: r.lines as Record<string, unknown>[],
      payment: (r.payment as Record<string, unknown> | null) ?? null,
      events: r.events as Record<string, unknown>[],
    }),
  );
}

export interface OrdersRebuildAnswer extends OrdersRebuildPlan {
  subject: string;
  dryRun: boolean;
  /** Orders Postgres has of the shopper. */
  copies: number;
}

/** A dry run (the default) answers the plan; otherwise the object applies it and answers what it did. */
export async function rebuildOrders(env: Env, subject: string, dryRun: boolean): Promise<OrdersRebuildAnswer> {
  const copies = await orderCopies(env, subject);
  if (!copies.length) throw new AppError('NOT_FOUND', 'Postgres has no order of this shopper.');
  const stub = traced(env.ORDERS.get(env.ORDERS.idFromName(subject)));
  const plan = unwrap(
    (await withTimeout(
      Promise.resolve(stub.restoreOrders(copies, dryRun)),
      DO_TIMEOUT_MS,
      'restoreOrders',
    )) as RpcResult<OrdersRebuildPlan>,
  );
  return { subject, dryRun, copies: copies.length, ...plan };
}
