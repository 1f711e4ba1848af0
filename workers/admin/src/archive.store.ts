// Archival's Postgres and R2 (archive.ts has the protocol), and the merchants' reads of the archive: an archived
// order found through order_archive and read from its batch's object, and the archived batches with their manifests.
import type {
  AdminOrderRead,
  ArchiveBatchQuery,
  ArchiveManifest,
  ArchiveRun,
} from '../../../lib/admin/archive.schemas';
import type { ShippingAddress } from '../../../lib/checkout/order';
import type { InventoryEventView } from '../../../lib/checkout/schemas';
import { pgBreaker } from '../../../lib/db/breaker';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { isDbUnavailable, mapDbError } from '../../../lib/db/errors';
import { AppError } from '../../../lib/errors';
import { withTimeout } from '../../../lib/resilience';
import {
  type ArchiveBucket,
  type ArchiveDb,
  type BatchRows,
  batchKey,
  gunzip,
  type PendingBatch,
  parseNdjson,
  runArchival,
} from './archive';
import { archiveSettings } from './config';

type Env = AdminEnv & DbEnv;
type Row = Record<string, unknown>;

/** Deadline of one R2 call. */
const STORE_TIMEOUT_MS = 10_000;
/** Deadline of archival's Postgres statements (a batch's read and its commit move up to thousands of rows). */
const ARCHIVE_DB_TIMEOUT_MS = 15_000;

const bounded = <T>(p: Promise<T>, what: string) => withTimeout(p, STORE_TIMEOUT_MS, what);

function primary(env: Env) {
  const settings = dbSettings(env);
  return sqlClient(settings.DATABASE_URL, {
    ...settings,
    DB_TIMEOUT_MS: Math.max(settings.DB_TIMEOUT_MS, ARCHIVE_DB_TIMEOUT_MS),
  });
}

async function query(env: Env, text: string, params: unknown[] = []): Promise<Row[]> {
  try {
    return (await pgBreaker.run(() => primary(env).query(text, params), isDbUnavailable)) as Row[];
  } catch (err) {
    mapDbError(err);
  }
}

const pendingOf = (r: Row): PendingBatch => ({
  id: Number(r.id),
  cutoff: new Date(String(r.cutoff)).toISOString(),
  orders: r.orders as [string, number][],
  stockEvents: r.stock_events as [string, number][],
});

const PENDING_COLUMNS = `id, to_json(cutoff) #>> '{}' as cutoff, orders, stock_events`;

export function archiveDb(env: Env): ArchiveDb {
  return {
    async pending() {
      const [r] = await query(env, `select ${PENDING_COLUMNS} from archive_batches where state = 'pending'`);
      return r ? pendingOf(r) : null;
    },
    async create(policy, limit) {
      try {
        // orderDue (archive.ts) in SQL: settled before the cutoff; closed before the closed cutoff and unchanged since
        // before the cutoff.
        const [r] = await query(
          env,
          `with o as (select id, version, created_at from orders
                      where (status = any($2::text[]) and created_at < $1::timestamptz)
                         or (status = any($4::text[]) and created_at < $5::timestamptz and updated_at < $1::timestamptz)
                      order by created_at, id limit $3),
                e as (select sku, seq, at from inventory_events where at < $1::timestamptz
                      order by at, sku, seq limit $3)
           insert into archive_batches (state, cutoff, orders, stock_events)
           select 'pending', $1::timestamptz,
             coalesce((select jsonb_agg(jsonb_build_array(id, version) order by created_at, id) from o), '[]'),
             coalesce((select jsonb_agg(jsonb_build_array(sku, seq) order by at, sku, seq) from e), '[]')
           where exists (select 1 from o) or exists (select 1 from e)
           returning ${PENDING_COLUMNS}`,
          [policy.cutoff, policy.settled, limit, policy.closed, policy.closedCutoff],
        );
        return r ? pendingOf(r) : null;
      } catch (err) {
        // Another run recorded its pending batch first (archive_batches_one_pending).
        if ((err as { code?: string }).code === '23505') return 'busy';
        throw err;
      }
    },
    async rows(batch) {
      const sql = primary(env);
      const ids = batch.orders.map(([id]) => id);
      const json = (table: string, alias: string, where: string, order: string, params: unknown[]) =>
        sql.query(`select row_to_json(${alias})::text as j from ${table} ${alias} ${where} order by ${order}`, params);
      try {
        const [orders, lines, payments, events, stock] = (await pgBreaker.run(
          () =>
            sql.transaction(
              [
                json(
                  'orders',
                  'o',
                  `join jsonb_array_elements($1::jsonb) x on o.id = x->>0 and o.version = (x->>1)::int`,
                  'o.id',
                  [JSON.stringify(batch.orders)],
                ),
                json('order_lines', 'l', 'where l.order_id = any($1::text[])', 'l.order_id, l.sku', [ids]),
                json('payments', 'p', 'where p.order_id = any($1::text[])', 'p.order_id', [ids]),
                json('order_events', 'e', 'where e.order_id = any($1::text[])', 'e.order_id, e.seq', [ids]),
                json(
                  'inventory_events',
                  'i',
                  `join jsonb_array_elements($1::jsonb) x on i.sku = x->>0 and i.seq = (x->>1)::bigint`,
                  'i.sku, i.seq',
                  [JSON.stringify(batch.stockEvents)],
                ),
              ],
              { isolationLevel: 'RepeatableRead', readOnly: true },
            ),
          isDbUnavailable,
        )) as { j: string }[][];
        const texts = (rs: { j: string }[] | undefined) => (rs ?? []).map((r) => r.j);
        return {
          orders: texts(orders),
          order_lines: texts(lines),
          payments: texts(payments),
          order_events: texts(events),
          inventory_events: texts(stock),
        } satisfies BatchRows;
      } catch (err) {
        mapDbError(err);
      }
    },
    async commit(batchId, expected, manifest) {
      try {
        const [r] = await query(env, 'select archive_batch_commit($1, $2::jsonb, $3::jsonb) as done', [
          batchId,
          JSON.stringify(expected),
          JSON.stringify(manifest),
        ]);
        return r!.done as 'archived' | 'already';
      } catch (err) {
        return commitRefusal(err);
      }
    },
    async drop(batchId) {
      await query(env, `delete from archive_batches where id = $1 and state = 'pending'`, [batchId]);
    },
  };
}

/** Seconds an archive run behind an order's copy is told to wait (the copy's commit is a moment away). */
export const ARCHIVE_BUSY_RETRY_AFTER = 10;

/**
 * What archive_batch_commit's refusals mean: AR409, the hot rows changed (the batch is dropped); 55P03, it waited
 * its lock_timeout (migration 0020) behind a copy of one of its orders or SKUs and deleted nothing: the batch stays
 * pending for the next run, and the caller is told to retry (503 with Retry-After, not a 500 nor a database outage:
 * the Postgres breaker does not count it).
 */
export function commitRefusal(err: unknown): 'changed' {
  const code = (err as { code?: string }).code;
  if (code === 'AR409') return 'changed';
  if (code === '55P03')
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      'An order or stock copy holds a lock this archive batch needs; nothing was deleted and the batch stays pending. Try again shortly.',
      { retryAfter: ARCHIVE_BUSY_RETRY_AFTER, cause: err },
    );
  throw err;
}

export function archiveBucket(env: Env): ArchiveBucket {
  return {
    async put(key, body, meta) {
      await bounded(
        env.ARCHIVE.put(key, body, {
          httpMetadata: { contentType: key.endsWith('.json') ? 'application/json' : 'application/gzip' },
          customMetadata: meta,
        }),
        'R2 put archive',
      );
    },
    async get(key) {
      const obj = await bounded(env.ARCHIVE.get(key), 'R2 get archive');
      return obj ? new Uint8Array(await bounded(obj.arrayBuffer(), 'R2 read archive')) : null;
    },
    async delete(keys) {
      await bounded(env.ARCHIVE.delete(keys), 'R2 delete archive');
    },
  };
}

/** POST /v1/admin/archive/runs and the Cron Trigger: one bounded run. */
export function archiveRun(env: Env): Promise<ArchiveRun> {
  return runArchival(archiveDb(env), archiveBucket(env), archiveSettings(env));
}

/** GET /v1/admin/archive/batches: archived batches, newest first, with their manifests. */
export async function archiveBatches(env: Env, q: ArchiveBatchQuery) {
  const rows = await query(
    env,
    `select id, to_json(archived_at) #>> '{}' as archived_at, manifest from archive_batches
     where state = 'archived' and ($1::bigint is null or id < $1::bigint) order by id desc limit $2`,
    [q.cursor ?? null, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  return {
    batches: page.map((r) => ({
      batchId: Number(r.id),
      archivedAt: new Date(String(r.archived_at)).toISOString(),
      manifest: r.manifest as ArchiveManifest,
    })),
    nextCursor: rows.length > q.limit ? String(page.at(-1)!.id) : null,
  };
}

const iso = (v: unknown) => new Date(String(v)).toISOString();

/** An archived order (GET /v1/admin/orders/{id} when its OrdersDO is no longer reached): null when not archived. */
export async function archivedOrder(env: Env, id: string): Promise<AdminOrderRead | null> {
  const [ref] = await query(env, 'select batch_id from order_archive where order_id = $1', [id]);
  if (!ref) return null;
  const batchId = Number(ref.batch_id);
  const key = batchKey(batchId);
  const stored = await archiveBucket(env).get(key);
  if (!stored) throw new AppError('INTERNAL', `The archive object ${key} of order ${id} is missing.`);
  const rows = parseNdjson(new TextDecoder().decode(await gunzip(stored)));
  const of = (table: string) => rows.filter((r) => r.table === table && (r.row.id ?? r.row.order_id) === id);
  const o = of('orders')[0]?.row;
  if (!o) throw new AppError('INTERNAL', `Order ${id} is filed under archive batch ${batchId} but not in it.`);
  const currency = String(o.currency).trim();
  const money = (amount: unknown) => ({ amount: Number(amount), currency });
  const p = of('payments')[0]?.row;
  return {
    id,
    status: o.status as AdminOrderRead['status'],
    email: String(o.email),
    customerId: o.owner_role === 'guest' ? null : String(o.owner_sub),
    lines: of('order_lines').map(({ row: l }) => ({
      sku: String(l.sku),
      title: String(l.title),
      quantity: Number(l.quantity),
      unitPrice: money(l.unit_amount),
      lineTotal: money(l.line_total),
    })),
    totals: {
      subtotal: money(o.subtotal),
      shipping: money(o.shipping),
      tax: money(o.tax),
      total: money(o.total),
      taxRateBps: Number(o.tax_rate_bps),
    },
    shippingAddress: o.shipping_address as ShippingAddress as AdminOrderRead['shippingAddress'],
    shippingMethod: String(o.shipping_method),
    payment: {
      provider: String(p?.provider ?? 'stripe'),
      paymentIntentId: p?.intent_id ? String(p.intent_id) : null,
      status: String(p?.status ?? 'unknown'),
      amount: money(p?.amount ?? o.total),
      refunded: money(p?.refunded_amount ?? 0),
    },
    holdExpiresAt: iso(o.hold_expires_at),
    createdAt: iso(o.created_at),
    updatedAt: iso(o.updated_at),
    history: of('order_events').map(({ row: e }) => ({
      from: String(e.from_status),
      to: String(e.to_status),
      at: iso(e.at),
      reason: String(e.reason),
    })),
    refunds: [],
    refundable: money(0),
    fulfillment: null,
    archived: true,
    archive: { batchId, key },
  };
}

/**
 * Archive batches one stock-ledger page reads at most (each one R2 object, decompressed and parsed whole: at most
 * ARCHIVE_BATCH_SIZE orders with their rows); the page says where it stopped.
 */
export const LEDGER_BATCHES_PER_PAGE = 3;

/**
 * A SKU's archived stock events below seq `before`, newest first (the stock ledger with `include=archived`, after
 * the hot ledger): the batches holding them (inventory_event_archive, migration 0019) are read from R2, newest first
 * (a SKU's events of two batches never interleave: each batch takes the oldest events left). `more`: there are
 * events below the last one answered, or batches not read yet, from `lowest` down.
 */
export async function archivedStockEvents(
  env: Env,
  sku: string,
  q: { before: number; kinds?: string[]; from?: string; to?: string; limit: number },
): Promise<{ events: InventoryEventView[]; more: boolean; lowest: number }> {
  // Nothing asked for (the hot ledger filled the page): read no batch, only say whether there are any.
  const limit = Math.max(0, q.limit);
  const batches = await query(
    env,
    `select batch_id::int as id, min_seq::float8 as min_seq from inventory_event_archive
     where sku = $1 and min_seq < $2 order by max_seq desc limit $3`,
    [sku, q.before, limit === 0 ? 1 : LEDGER_BATCHES_PER_PAGE + 1],
  );
  if (limit === 0) return { events: [], more: batches.length > 0, lowest: q.before };
  const from = q.from === undefined ? undefined : Date.parse(q.from);
  const to = q.to === undefined ? undefined : Date.parse(q.to);
  const events: InventoryEventView[] = [];
  let read = 0;
  let lowest = q.before;
  for (const b of batches.slice(0, LEDGER_BATCHES_PER_PAGE)) {
    const key = batchKey(Number(b.id));
    const stored = await archiveBucket(env).get(key);
    if (!stored) throw new AppError('INTERNAL', `The archive object ${key} of ${sku}'s stock events is missing.`);
    read++;
    lowest = Math.min(lowest, Number(b.min_seq));
    const rows = parseNdjson(new TextDecoder().decode(await gunzip(stored)))
      .filter((r) => r.table === 'inventory_events' && r.row.sku === sku && Number(r.row.seq) < q.before)
      .map(({ row: e }) => ({
        seq: Number(e.seq),
        kind: e.kind as InventoryEventView['kind'],
        delta: Number(e.delta),
        actor: { type: e.actor_type as InventoryEventView['actor']['type'], id: String(e.actor_id) },
        reason: e.reason == null ? null : String(e.reason),
        levels: {
          onHand: Number(e.on_hand),
          held: Number(e.held),
          sold: Number(e.sold),
          available: Number(e.available),
        },
        at: iso(e.at),
        archived: true,
      }))
      .filter(
        (e) =>
          (!q.kinds || q.kinds.includes(e.kind)) &&
          (from === undefined || Date.parse(e.at) >= from) &&
          (to === undefined || Date.parse(e.at) < to),
      )
      .sort((x, y) => y.seq - x.seq);
    events.push(...rows);
    if (events.length > q.limit) break;
  }
  return {
    events: events.slice(0, q.limit),
    more: events.length > q.limit || read < batches.length,
    lowest,
  };
}
