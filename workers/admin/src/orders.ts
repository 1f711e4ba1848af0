// The merchant's reads of orders and customers, from the Postgres copy on the read replica of the request's region
// (another replica, then the primary, when it lags or cannot be reached): the order list and its search (status, dates, email, SKU, total), customers and their
// orders. Pages are keyset cursors over (created_at, id), newest first, bound to the filters they were made for. An
// order reaches the copy about a second after each change (the `orders` Queue; an accepted order still unpaid waits
// ORDER_PUBLISH_DELAY_MS more, for its payment to join the copy), plus the replica's lag.
import type { AdminOrderQuery, CustomerQuery } from '../../../lib/checkout/admin-schemas';
import { type DbEnv, routed, sqlClient } from '../../../lib/db/client';
import { mapDbError } from '../../../lib/db/errors';
import { isoFromPostgres } from '../../../lib/db/timestamps';
import { AppError } from '../../../lib/errors';

type Sql = ReturnType<typeof sqlClient>;
type Row = Record<string, unknown>;

/**
 * Runs `read` on the replica of the request's region, else another replica, else the primary (lib/db/replicas.ts:
 * lagging and unreachable replicas are passed over); an outage of all of them is a 503.
 */
async function fromReplica<T>(env: DbEnv, read: (sql: Sql) => Promise<T>): Promise<T> {
  try {
    // Each client's deadline runs from its creation: made only when its turn comes.
    return (await routed(env, (url, settings) => read(sqlClient(url, settings)))).value;
  } catch (err) {
    mapDbError(err);
  }
}

// ---- cursors: base64url JSON of [created_at as Postgres text, id, the filters' fingerprint] --------------------

const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

export function encodeCursor(createdAt: string, id: string, filter: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify([createdAt, id, filter]));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

export function decodeCursor(cursor: string, filter: string, id: RegExp): [string, string] {
  const bad = (why: string) => new AppError('BAD_CURSOR', `The cursor is not valid for this query: ${why}.`);
  let parsed: unknown;
  try {
    const bytes = Uint8Array.from(atob(cursor.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw bad('it does not decode');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw bad('wrong shape');
  const [at, key, f] = parsed as unknown[];
  if (f !== filter) throw bad('it belongs to other filters');
  if (typeof at !== 'string' || !TIMESTAMP.test(at) || typeof key !== 'string' || !id.test(key)) throw bad('wrong key');
  return [at, key];
}

/** ILIKE '%part%' with the pattern characters of `part` taken literally. */
export const contains = (part: string) => `%${part.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// ---- orders --------------------------------------------------------------------------------------------------

const ORDER_ID = /^ord_[0-9a-z]{10,40}$/;

const SUMMARY_COLUMNS = `o.id, o.status, o.email, o.owner_sub, o.owner_role, o.currency, o.total,
  coalesce(p.refunded_amount, 0) as refunded, o.created_at::text as created_at, o.updated_at::text as updated_at,
  (select count(*) from order_lines l where l.order_id = o.id) as lines`;

function orderSummary(r: Row) {
  const currency = String(r.currency).trim();
  return {
    id: String(r.id),
    status: r.status as never,
    email: String(r.email),
    customerId: r.owner_role === 'guest' ? null : String(r.owner_sub),
    total: { amount: Number(r.total), currency },
    refunded: { amount: Number(r.refunded), currency },
    lines: Number(r.lines),
    createdAt: isoFromPostgres(String(r.created_at)),
    updatedAt: isoFromPostgres(String(r.updated_at)),
  };
}

/** GET /v1/admin/orders: every filter applied together, newest first. */
export async function listOrders(env: DbEnv, q: AdminOrderQuery) {
  const { limit: _limit, cursor, ...filters } = q;
  const filter = JSON.stringify(Object.entries(filters).sort());
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (q.status) where.push(`o.status = ${param(q.status)}`);
  if (q.from) where.push(`o.created_at >= ${param(q.from)}::timestamptz`);
  if (q.to) where.push(`o.created_at < ${param(q.to)}::timestamptz`);
  if (q.email) where.push(`o.email ilike ${param(contains(q.email))}`);
  if (q.sku) where.push(`exists (select 1 from order_lines l where l.order_id = o.id and l.sku = ${param(q.sku)})`);
  if (q.minTotal !== undefined) where.push(`o.total >= ${param(q.minTotal)}`);
  if (q.maxTotal !== undefined) where.push(`o.total <= ${param(q.maxTotal)}`);
  if (cursor) {
    const [at, id] = decodeCursor(cursor, filter, ORDER_ID);
    where.push(`(o.created_at, o.id) < (${param(at)}::timestamptz, ${param(id)})`);
  }
  const text = `select ${SUMMARY_COLUMNS} from orders o left join payments p on p.order_id = o.id
    ${where.length ? `where ${where.join(' and ')}` : ''}
    order by o.created_at desc, o.id desc limit ${param(q.limit + 1)}`;
  const rows = (await fromReplica(env, (sql) => sql.query(text, params))) as Row[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    orders: page.map(orderSummary),
    nextCursor: rows.length > q.limit && last ? encodeCursor(String(last.created_at), String(last.id), filter) : null,
  };
}

// ---- customers -----------------------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const CUSTOMER_COLUMNS = `c.id::text as id, c.email, c.name, c.role, c.created_at::text as created_at,
  (select count(*) from orders o where o.owner_sub = c.id::text) as orders`;

function customerView(r: Row) {
  return {
    id: String(r.id),
    email: String(r.email),
    name: r.name === null ? null : String(r.name),
    role: String(r.role),
    createdAt: isoFromPostgres(String(r.created_at)),
    orders: Number(r.orders),
  };
}

/** GET /v1/admin/customers: accounts, newest first; `q` matches part of the email or the name. */
export async function listCustomers(env: DbEnv, q: CustomerQuery) {
  const filter = JSON.stringify([q.q ?? '']);
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (q.q) {
    const p = param(contains(q.q));
    where.push(`(c.email ilike ${p} or c.name ilike ${p})`);
  }
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor, filter, UUID);
    where.push(`(c.created_at, c.id) < (${param(at)}::timestamptz, ${param(id)}::uuid)`);
  }
  const text = `select ${CUSTOMER_COLUMNS} from customers c ${where.length ? `where ${where.join(' and ')}` : ''}
    order by c.created_at desc, c.id desc limit ${param(q.limit + 1)}`;
  const rows = (await fromReplica(env, (sql) => sql.query(text, params))) as Row[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    customers: page.map(customerView),
    nextCursor: rows.length > q.limit && last ? encodeCursor(String(last.created_at), String(last.id), filter) : null,
  };
}

/** GET /v1/admin/customers/:id: the account and its newest 50 orders. */
export async function customerWithOrders(env: DbEnv, id: string) {
  return fromReplica(env, async (sql) => {
    const [customer] = (await sql.query(`select ${CUSTOMER_COLUMNS} from customers c where c.id = $1::uuid`, [
      id,
    ])) as Row[];
    if (!customer) throw new AppError('NOT_FOUND', 'No such customer.');
    const orders = (await sql.query(
      `select ${SUMMARY_COLUMNS} from orders o left join payments p on p.order_id = o.id
       where o.owner_sub = $1 order by o.created_at desc, o.id desc limit 50`,
      [id],
    )) as Row[];
    return { customer: customerView(customer), orders: orders.map(orderSummary) };
  });
}
