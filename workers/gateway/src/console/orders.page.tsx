/** @jsxImportSource hono/jsx */
// The orders list (/admin/orders, merchant role): GET /v1/admin/orders with the filters of the page's form (the
// API validates them: a bad one shows its message, the values kept), newest first, keyset pages. Also the pieces
// the order, customer and webhook pages share: a table of order summaries and a refusal.
import type { Child } from 'hono/jsx';
import { ORDER_STATUSES } from '../../../../lib/checkout/order';
import type { Schemas } from '../../../../lib/client';
import { Notice } from './fields';
import { type Nav, Page } from './layout';
import { money, type Part } from './ops.data';
import { Next, row, Table } from './table';

/** A refusal next to its form: the API's status and message (code and each bad field). */
export function Problem({ id, children }: { id: string; children?: Child }) {
  return (
    <p class="error" role="alert" id={id}>
      {children}
    </p>
  );
}

/** A refusal named for the reader: what was refused, the API's status, code and message. */
export const refusal = (what: string, p: Part<unknown>) =>
  p.ok ? '' : `${what} refused (${p.status || 'no answer'}): ${p.message}`;

export const when = (iso: string) => iso.replace('T', ' ').slice(0, 19);

export function OrderTable({ orders, caption }: { orders: Schemas['AdminOrderSummary'][]; caption: string }) {
  return (
    <Table
      id="orders"
      caption={caption}
      empty="No order matches."
      head={['Order', 'Created (UTC)', 'Status', 'Email', 'Total', 'Refunded', 'Lines']}
      rows={orders.map((o) =>
        row(
          [
            <a href={`/admin/orders/${o.id}`}>{o.id}</a>,
            when(o.createdAt),
            <span class={`status status-${o.status}`}>{o.status}</span>,
            o.email,
            money(o.total.amount, o.total.currency),
            o.refunded.amount ? money(o.refunded.amount, o.refunded.currency) : '–',
            o.lines,
          ],
          { 'data-order-id': o.id },
        ),
      )}
    />
  );
}

const FIELDS = [
  { name: 'email', label: 'Email contains', type: 'text', hint: 'ada@' },
  { name: 'sku', label: 'SKU', type: 'text', hint: '' },
  { name: 'from', label: 'Created from (day)', type: 'date', hint: '' },
  { name: 'to', label: 'Created to (day, included)', type: 'date', hint: '' },
  { name: 'minTotal', label: 'Total at least (minor units)', type: 'text', hint: '1000 is 10.00' },
  { name: 'maxTotal', label: 'Total at most (minor units)', type: 'text', hint: '' },
] as const;

export function OrdersPage(
  props: Nav & { query: Record<string, string>; result: Part<Schemas['AdminOrderList']>; notice?: string },
) {
  const { query, result } = props;
  let next: string | undefined;
  if (result.ok && result.data.nextCursor) {
    const keep = Object.fromEntries(Object.entries(query).filter(([k, v]) => k !== 'done' && v !== ''));
    next = `/admin/orders?${new URLSearchParams({ ...keep, cursor: result.data.nextCursor })}`;
  }
  return (
    <Page title="Orders" {...props} current="/admin/orders">
      <h1>Orders</h1>
      <Notice text={props.notice} />
      <p>Newest first, from the read replica (an order shows about a second after each change). Filters combine.</p>
      <form
        method="get"
        action="/admin/orders"
        class="filters"
        aria-describedby={!result.ok ? 'orders-error' : undefined}
      >
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            <option value="">any</option>
            {ORDER_STATUSES.map((s) => (
              <option value={s} selected={query.status === s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        {FIELDS.map((f) => (
          <div>
            <label for={`f-${f.name}`}>{f.label}</label>
            <input id={`f-${f.name}`} name={f.name} type={f.type} value={query[f.name] ?? ''} placeholder={f.hint} />
          </div>
        ))}
        <div>
          <button type="submit">Filter</button> <a href="/admin/orders">Clear</a>
        </div>
      </form>
      {!result.ok && (
        <Problem id="orders-error">
          {result.status === 400 ? 'Check the filters: ' : `Could not read the orders (${result.status}): `}
          {result.message}
        </Problem>
      )}
      {result.ok && <OrderTable orders={result.data.orders} caption="Orders, newest first" />}
      <Next href={next} label="Older orders" />
    </Page>
  );
}
