/** @jsxImportSource hono/jsx */
// Customers (/admin/customers, merchant role): GET /v1/admin/customers searched by part of the email or name,
// newest accounts first, keyset pages; one customer (/admin/customers/:id) with their newest orders. Guests have no
// account: the orders page finds theirs by email.
import type { Schemas } from '../../../../lib/client';
import { type Nav, Page } from './layout';
import type { Part } from './ops.data';
import { OrderTable, Problem, when } from './orders.page';

export const CUSTOMER_PARAMS = ['q', 'cursor'];

function Customers({ list }: { list: Schemas['Customer'][] }) {
  if (list.length === 0) return <p class="muted">No customer matches.</p>;
  return (
    <div class="scroll">
      <table id="customers">
        <caption>Customers, newest accounts first</caption>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Orders</th>
            <th scope="col">Since (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {list.map((c) => (
            <tr data-customer-id={c.id}>
              <th scope="row">
                <a href={`/admin/customers/${c.id}`}>{c.email}</a>
              </th>
              <td>{c.name ?? '–'}</td>
              <td>{c.role}</td>
              <td>{c.orders}</td>
              <td>{when(c.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
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
      {next && (
        <p>
          <a href={next} rel="next">
            More customers
          </a>
        </p>
      )}
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
