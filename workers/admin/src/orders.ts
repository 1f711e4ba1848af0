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
    archived: r.archived === true,
  };
}

/**
 * The order list's columns and filters over the hot tables (`o`: orders, `p`: payments) and over the archived
 * orders' summaries (`a`: order_archive, migration 0018), so `include=archived` applies the same filters to both.
 */
const HOT = {
  from: 'orders o left join payments p on p.order_id = o.id',
  columns: `o.id, o.status, o.email, o.owner_sub, o.owner_role, o.currency, o.total,
    coalesce(p.refunded_amount, 0) as refunded, o.created_at, o.updated_at,
    (select count(*) from order_lines l where l.order_id = o.id) as lines, false as archived`,
  status: 'o.status',
  createdAt: 'o.created_at',
  email: 'o.email',
  total: 'o.total',
  id: 'o.id',
  sku: (p: string) => `exists (select 1 from order_lines l where l.order_id = o.id and l.sku = ${p})`,
};
const ARCHIVED: typeof HOT = {
  from: 'order_archive a',
  columns: `a.order_id as id, a.summary->>'status' as status, a.summary->>'email' as email,
    a.summary->>'owner_sub' as owner_sub, a.summary->>'owner_role' as owner_role, a.summary->>'currency' as currency,
    (a.summary->>'total')::int as total, (a.summary->>'refunded')::int as refunded, a.created_at,
    (a.summary->>'updated_at')::timestamptz as updated_at, (a.summary->>'lines')::int as lines, true as archived`,
  status: "a.summary->>'status'",
  createdAt: 'a.created_at',
  email: "a.summary->>'email'",
  total: "(a.summary->>'total')::int",
  id: 'a.order_id',
  sku: (p: string) => `a.summary->'skus' ? ${p}`,
};

/**
 * GET /v1/admin/orders: every filter applied together, newest first; with `include=archived`, the archived orders'
 * summaries too, merged into the same keyset pages (a cursor belongs to its filters, `include` among them).
 */
export async function listOrders(env: DbEnv, q: AdminOrderQuery) {
  const { limit: _limit, cursor, ...filters } = q;
  const filter = JSON.stringify(Object.entries(filters).sort());
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const after = cursor ? decodeCursor(cursor, filter, ORDER_ID) : null;
  const at = after && param(after[0]);
  const afterId = after && param(after[1]);
  const status = q.status && param(q.status);
  const from = q.from && param(q.from);
  const to = q.to && param(q.to);
  const email = q.email && param(contains(q.email));
  const sku = q.sku && param(q.sku);
  const minTotal = q.minTotal !== undefined && param(q.minTotal);
  const maxTotal = q.maxTotal !== undefined && param(q.maxTotal);
  const branch = (t: typeof HOT, extra: string[] = []) => {
    const where = [...extra];
    if (status) where.push(`${t.status} = ${status}`);
    if (from) where.push(`${t.createdAt} >= ${from}::timestamptz`);
    if (to) where.push(`${t.createdAt} < ${to}::timestamptz`);
    if (email) where.push(`${t.email} ilike ${email}`);
    if (sku) where.push(t.sku(sku));
    if (minTotal) where.push(`${t.total} >= ${minTotal}`);
    if (maxTotal) where.push(`${t.total} <= ${maxTotal}`);
    if (at) where.push(`(${t.createdAt}, ${t.id}) < (${at}::timestamptz, ${afterId})`);
    return `select ${t.columns} from ${t.from} ${where.length ? `where ${where.join(' and ')}` : ''}`;
  };
  const limit = param(q.limit + 1);
  const union =
    q.include === 'archived' ? `${branch(HOT)} union all ${branch(ARCHIVED, ['a.summary is not null'])}` : branch(HOT);
  const text = `select x.id, x.status, x.email, x.owner_sub, x.owner_role, x.currency, x.total, x.refunded, x.lines,
      x.archived, x.created_at::text as created_at, x.updated_at::text as updated_at
    from (${union}) x order by x.created_at desc, x.id desc limit ${limit}`;
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
