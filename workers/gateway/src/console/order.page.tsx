/** @jsxImportSource hono/jsx */
// One order (/admin/orders/:id, merchant role), read from its OrdersDO through GET /v1/admin/orders/{id}: lines,
// payment, refunds, fulfilment, history; and its actions as plain forms: cancel (unpaid), refund all or part (minor
// units, per-line units, restock), mark fulfilled (carrier, tracking). A refused action re-renders this page with
// the API's message next to its form and the values typed kept. The refund form carries an Idempotency-Key made
// when the form is rendered, so sending it twice makes one refund.
import type { Schemas } from '../../../../lib/client';
import { Notice } from './fields';
import { type Nav, Page } from './layout';
import { money } from './ops.data';
import { Problem, when } from './orders.page';
import { cell, row, Table } from './table';

/** The read answers with the archive mark (AdminOrderRead); a write's answer, without it (AdminOrder). */
type Order = Schemas['AdminOrder'] & Partial<Pick<Schemas['AdminOrderRead'], 'archived' | 'archive'>>;
export type Action = 'cancel' | 'refund' | 'fulfil';

export interface OrderPageProps extends Nav {
  order: Order;
  /** The refund form's Idempotency-Key (new per render, kept when the last send may have been made). */
  refundKey: string;
  error?: { action: Action; message: string };
  /** The values the refused form had. */
  values?: Record<string, string>;
  notice?: string;
}

const m = (x: Schemas['Money']) => money(x.amount, x.currency);
const unpaid = (s: Order['status']) => s === 'pending_payment' || s === 'created';
const paid = (s: Order['status']) => s === 'paid' || s === 'fulfilled';

function Lines({ order }: { order: Order }) {
  const t = order.totals;
  return (
    <Table
      id="order-lines"
      caption="Lines"
      head={['SKU', 'Title', 'Units', 'Unit price', 'Line total']}
      rows={order.lines.map((l) => [<code>{l.sku}</code>, l.title, l.quantity, m(l.unitPrice), m(l.lineTotal)])}
      foot={
        <tr>
          <th scope="row" colspan={4}>
            Subtotal · shipping · tax · total
          </th>
          <td>
            {m(t.subtotal)} · {m(t.shipping)} · {m(t.tax)} · <strong>{m(t.total)}</strong>
          </td>
        </tr>
      }
    />
  );
}

const refundClass = (s: string) => (s === 'failed' ? 'bad' : s === 'succeeded' ? 'good' : undefined);
const restocked = (r: Order['refunds'][number]) =>
  r.restock ? (r.restockedAt ? `yes, ${when(r.restockedAt)}` : 'yes, once it succeeds') : 'no';

function Refunds({ order }: { order: Order }) {
  return (
    <Table
      id="order-refunds"
      caption="Refunds"
      empty="No refund yet."
      head={['Refund', 'Amount', 'Status', 'Units', 'Restock', 'Reason', 'Created (UTC)']}
      rows={order.refunds.map((r) =>
        row(
          [
            <code>{r.id}</code>,
            m(r.amount),
            cell(`${r.status}${r.failure ? ` (${r.failure})` : ''}`, { class: refundClass(r.status) }),
            r.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ') || '–',
            restocked(r),
            r.reason ?? '–',
            when(r.createdAt),
          ],
          { 'data-refund-id': r.id },
        ),
      )}
    />
  );
}

function History({ order }: { order: Order }) {
  return (
    <Table
      id="order-history"
      caption="History, oldest first"
      head={['Time (UTC)', 'From', 'To', 'Why']}
      rows={order.history.map((h) => [when(h.at), h.from, h.to, h.reason])}
    />
  );
}

function ActionForm(props: OrderPageProps & { action: Action; title: string; button: string; children?: unknown }) {
  const error = props.error?.action === props.action ? props.error.message : undefined;
  const errorId = `${props.action}-error`;
  return (
    <section aria-labelledby={`h-${props.action}`} class="action">
      <h2 id={`h-${props.action}`}>{props.title}</h2>
      {error && <Problem id={errorId}>{error}</Problem>}
      <form
        method="post"
        action={`/admin/orders/${props.order.id}/${props.action}`}
        class="stack wide"
        id={`${props.action}-form`}
        aria-describedby={error ? errorId : undefined}
      >
        <input type="hidden" name="csrf" value={props.csrf} />
        {props.children as never}
        <button type="submit">{props.button}</button>
      </form>
    </section>
  );
}

export function OrderPage(props: OrderPageProps) {
  const { order } = props;
  // The values typed are kept in the form that was refused only.
  const typed = (action: Action) => (name: string) =>
    props.error?.action === action ? (props.values?.[name] ?? '') : '';
  const refundable = order.refundable;
  const shown: Record<Action, boolean> = {
    refund: paid(order.status) && refundable.amount > 0,
    fulfil: paid(order.status),
    cancel: unpaid(order.status),
  };
  // A refusal for a form this state no longer offers (the order changed meanwhile) is shown at the top.
  const orphan = props.error && !shown[props.error.action] ? props.error.message : undefined;
  return (
    <Page title={`Order ${order.id}`} {...props} current="/admin/orders">
      <p>
        <a href="/admin/orders">All orders</a>
      </p>
      <h1>
        Order <code>{order.id}</code>
      </h1>
      <Notice text={props.notice} />
      {orphan && <Problem id="order-error">{orphan}</Problem>}
      <dl class="facts" id="order-facts">
        <dt>Status</dt>
        <dd>
          <span class={`status status-${order.status}`} id="order-status">
            {order.status}
          </span>
          {order.archived && order.archive ? (
            <span id="order-archived">
              {' '}
              · archived (batch {order.archive.batchId}): read from R2, settled, no refund records kept
            </span>
          ) : null}
        </dd>
        <dt>Email</dt>
        <dd>{order.email}</dd>
        <dt>Customer</dt>
        <dd>{order.customerId ? <a href={`/admin/customers/${order.customerId}`}>account</a> : 'guest'}</dd>
        <dt>Created · updated (UTC)</dt>
        <dd>
          {when(order.createdAt)} · {when(order.updatedAt)}
        </dd>
        <dt>Payment</dt>
        <dd>
          {order.payment.provider} <code>{order.payment.paymentIntentId ?? '–'}</code> {order.payment.status},{' '}
          {m(order.payment.amount)}
        </dd>
        <dt>Refunded · still refundable</dt>
        <dd id="order-refunded">
          {m(order.payment.refunded)} · {m(refundable)}
        </dd>
        <dt>Ship to</dt>
        <dd>
          {order.shippingAddress.name}, {order.shippingAddress.city} {order.shippingAddress.country} (
          {order.shippingMethod})
        </dd>
        <dt>Fulfilment</dt>
        <dd id="order-fulfillment">
          {order.fulfillment
            ? `${order.fulfillment.carrier} ${order.fulfillment.trackingNumber}, ${when(order.fulfillment.fulfilledAt)}`
            : 'not fulfilled'}
        </dd>
      </dl>
      <Lines order={order} />
      <h2>Refunds</h2>
      <Refunds order={order} />
      <h2>History</h2>
      <History order={order} />

      {shown.refund && (
        <ActionForm {...props} action="refund" title="Refund" button="Refund">
          <input type="hidden" name="key" value={props.refundKey} />
          <p class="muted">
            Leave every field empty to refund everything left ({m(refundable)}). Amounts are in minor units of{' '}
            {refundable.currency} (1250 is {money(1250, refundable.currency)}).
          </p>
          <label for="refund-amount">Amount (minor units, optional)</label>
          <input id="refund-amount" name="amount" inputmode="numeric" value={typed('refund')('amount')} />
          <fieldset>
            <legend>Units refunded per line (optional)</legend>
            {order.lines.map((l, i) => (
              <div class="inline">
                <label for={`refund-line-${i}`}>
                  {l.sku} (of {l.quantity})
                </label>
                <input
                  id={`refund-line-${i}`}
                  name={`line:${l.sku}`}
                  inputmode="numeric"
                  size={4}
                  value={typed('refund')(`line:${l.sku}`)}
                />
              </div>
            ))}
          </fieldset>
          <div class="inline">
            <input id="refund-restock" name="restock" type="checkbox" checked={typed('refund')('restock') === 'on'} />
            <label for="refund-restock">Put the refunded units back on hand</label>
          </div>
          <label for="refund-reason">Reason (optional, sent to the shopper)</label>
          <input id="refund-reason" name="reason" maxlength={500} value={typed('refund')('reason')} />
        </ActionForm>
      )}
      {shown.fulfil && (
        <ActionForm {...props} action="fulfil" title="Fulfilment" button="Mark fulfilled">
          <label for="fulfil-carrier">Carrier</label>
          <input
            id="fulfil-carrier"
            name="carrier"
            required
            maxlength={100}
            value={typed('fulfil')('carrier') || order.fulfillment?.carrier || ''}
          />
          <label for="fulfil-tracking">Tracking number</label>
          <input
            id="fulfil-tracking"
            name="trackingNumber"
            required
            maxlength={64}
            value={typed('fulfil')('trackingNumber') || order.fulfillment?.trackingNumber || ''}
          />
        </ActionForm>
      )}
      {shown.cancel && (
        <ActionForm {...props} action="cancel" title="Cancel" button="Cancel the order">
          <p class="muted">Only an order still waiting for its payment: its payment is canceled, its stock released.</p>
          <label for="cancel-reason">Reason (optional)</label>
          <input id="cancel-reason" name="reason" maxlength={500} value={typed('cancel')('reason')} />
        </ActionForm>
      )}
    </Page>
  );
}
