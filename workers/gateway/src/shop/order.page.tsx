/** @jsxImportSource hono/jsx */
// The shopper's order page (/orders/:id): its status, lines, totals, address and payment. While the payment is
// pending the status region is followed live: order.js (a static script) fetches the region alone
// (/orders/:id?part=status) every few seconds and swaps it in until the status settles; without JavaScript a
// meta refresh (in <noscript>) and a "check again" link do the same. A payment that waits for 3-D Secure shows the
// step: locally a link to the local Stripe's authentication page; with Stripe.js, PaymentStep (the checkout's
// answer) runs it.
import type { Schemas } from '../../../../lib/client';
import { money } from '../web/format';
import { pendingStatus, STATUS_TEXT, splitTitle } from './buy.kit';

type Order = Schemas['Order'];

const m = (x: Schemas['Money']) => money(x.amount, x.currency);
const when = (iso: string) => `${iso.replace('T', ' ').slice(0, 16)} UTC`;

/** Seconds between two checks of a pending order, by the script and the no-JS refresh. */
export const POLL_SECONDS = 2;

/** The live part: the status and what the shopper may do about it. Also answered alone (?part=status). */
export function OrderStatus({ order }: { order: Order }) {
  const pending = pendingStatus(order.status);
  return (
    <div
      id="order-status-region"
      class={`status-region status-${order.status}`}
      aria-live="polite"
      data-poll={pending ? `/orders/${encodeURIComponent(order.id)}?part=status` : undefined}
      data-poll-seconds={String(POLL_SECONDS)}
    >
      <p>
        Status:{' '}
        <strong id="order-status" data-status={order.status}>
          {STATUS_TEXT[order.status]}
        </strong>
      </p>
      {pending && (
        <p class="muted">
          This page follows the payment and updates by itself.{' '}
          <a href={`/orders/${encodeURIComponent(order.id)}`}>Check again</a>
        </p>
      )}
      {order.status === 'pending_payment' && (
        <p class="muted">Unpaid by {when(order.holdExpiresAt)}, the order expires and the items go back on sale.</p>
      )}
      {order.status === 'paid' && <p>Thank you: your payment was received. We will email you when it ships.</p>}
      {order.status === 'payment_failed' && (
        <p>
          The payment did not go through, and nothing was charged. Your cart still has the items:{' '}
          <a href="/checkout">try again</a>.
        </p>
      )}
    </div>
  );
}

export function OrderContent({ order, nextActionUrl }: { order: Order; nextActionUrl?: string }) {
  const a = order.shippingAddress;
  return (
    <section aria-labelledby="order-title" id="order">
      <h1 id="order-title">
        Order <code>{order.id}</code>
      </h1>
      {nextActionUrl && order.status === 'pending_payment' && (
        <p class="notice" role="status" id="next-action">
          Your bank asks you to confirm this payment:{' '}
          <a href={nextActionUrl} target="_blank" rel="noopener noreferrer">
            confirm it (3-D Secure test page)
          </a>
          ; this page then shows it paid.
        </p>
      )}
      <OrderStatus order={order} />
      <table id="order-lines">
        <caption>Items</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Quantity</th>
            <th scope="col">Price</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((l) => {
            const { product, variant } = splitTitle(l.title);
            return (
              <tr>
                <th scope="row">
                  {product}
                  {variant && <span class="muted"> ({variant})</span>}
                </th>
                <td>{l.quantity}</td>
                <td>{m(l.unitPrice)}</td>
                <td>{m(l.lineTotal)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <dl class="totals" id="order-totals">
        <dt>Subtotal</dt>
        <dd>{m(order.totals.subtotal)}</dd>
        <dt>Shipping ({order.shippingMethod})</dt>
        <dd>{m(order.totals.shipping)}</dd>
        <dt>Tax</dt>
        <dd>{m(order.totals.tax)}</dd>
        <dt>Total</dt>
        <dd>
          <strong>{m(order.totals.total)}</strong>
        </dd>
      </dl>
      <h2>Shipping to</h2>
      <address>
        {a.name}
        <br />
        {a.line1}
        {a.line2 && (
          <>
            <br />
            {a.line2}
          </>
        )}
        <br />
        {a.postalCode} {a.city}
        {a.region && ` ${a.region}`}, {a.country}
      </address>
      <p class="muted">
        Placed {when(order.createdAt)}; confirmation to {order.email}.
      </p>
    </section>
  );
}

/**
 * The checkout's answer when the payment waits for the shopper and Stripe.js runs the step (production): the
 * PaymentIntent's client secret is on the page for checkout.js to hand to stripe.handleNextAction, the one token a
 * page script reads, by Stripe's design (it can confirm this one payment, nothing else). Then the order page.
 */
export function PaymentStep(props: { orderId: string; clientSecret: string; publishableKey: string }) {
  const href = `/orders/${encodeURIComponent(props.orderId)}`;
  return (
    <section aria-labelledby="step-title">
      <h1 id="step-title">Confirm your payment</h1>
      <div
        id="payment-step"
        data-publishable-key={props.publishableKey}
        data-client-secret={props.clientSecret}
        data-return={href}
      >
        <p>Your bank asks you to confirm this payment. A window from your bank opens here.</p>
      </div>
      <p>
        <a href={href}>See the order</a>
      </p>
    </section>
  );
}
