/** @jsxImportSource hono/jsx */
// Customers (/admin/customers, merchant role): GET /v1/admin/customers searched by part of the email or name,
// newest accounts first, keyset pages; one customer (/admin/customers/:id) with their newest orders. Guests have no
// account: the orders page finds theirs by email.
import type { Schemas } from '../../../../lib/client';
import { type Nav, Page } from './layout';
import type { Part } from './ops.data';
import { OrderTable, Problem, when } from './orders.page';
import { Next, row, Table } from './table';

export const CUSTOMER_PARAMS = ['q', 'cursor'];

function Customers({ list }: { list: Schemas['Customer'][] }) {
  return (
    <Table
      id="customers"
      caption="Customers, newest accounts first"
      empty="No customer matches."
      head={['Email', 'Name', 'Role', 'Orders', 'Since (UTC)']}
      rows={list.map((c) =>
        row([<a href={`/admin/customers/${c.id}`}>{c.email}</a>, c.name ?? '–', c.role, c.orders, when(c.createdAt)], {
          'data-customer-id': c.id,
        }),
      )}
    />
  );
}

export function CustomersPage(props: Nav & { query: Record<string, string>; result: Part<Schemas['CustomerList']> }) {
  const { query, result } = props;
  let next: string | undefined;
  if (result.ok && result.data.nextCursor) {
    const keep: Record<string, string> = query.q ? { q: query.q } : {};
    next = `/admin/customers?${new URLSearchParams({ ...keep, cursor: result.data.nextCursor })}`;
  }
  return (
    <Page title="Customers" {...props} current="/admin/customers">
      <h1>Customers</h1>
      <form method="get" action="/admin/customers" class="inline wrap">
        <label for="customer-q">Email or name contains</label>
        <input id="customer-q" name="q" type="search" value={query.q ?? ''} />
        <button type="submit">Search</button> <a href="/admin/customers">Clear</a>
      </form>
      {!result.ok && (
        <Problem id="customers-error">
          {result.status === 400 ? 'Check the search: ' : `Could not read the customers (${result.status}): `}
          {result.message}
        </Problem>
      )}
      {result.ok && <Customers list={result.data.customers} />}
      <Next href={next} label="More customers" />
    </Page>
  );
}

export function CustomerPage(props: Nav & { detail: Schemas['CustomerDetail'] }) {
  const { customer, orders } = props.detail;
  return (
    <Page title={`Customer ${customer.email}`} {...props} current="/admin/customers">
      <p>
        <a href="/admin/customers">All customers</a>
      </p>
      <h1>{customer.email}</h1>
      <dl class="facts">
        <dt>Name</dt>
        <dd>{customer.name ?? '–'}</dd>
        <dt>Role</dt>
        <dd>{customer.role}</dd>
        <dt>Account since (UTC)</dt>
        <dd>{when(customer.createdAt)}</dd>
        <dt>Orders</dt>
        <dd>{customer.orders}</dd>
      </dl>
      <h2>Newest orders</h2>
      <OrderTable orders={orders} caption={`The newest ${orders.length} orders`} />
    </Page>
  );
}
