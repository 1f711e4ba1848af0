/** @jsxImportSource hono/jsx */
// The cart page's content (/cart): one row per line with its image, product, variant, unit price (a price changed
// since the line was added is flagged with the old one), a form to change the quantity and one to remove it, then
// the totals and the way to checkout. Every form is a plain POST carrying the cart version it was rendered from
// (If-Match), so a change made meanwhile in another tab is refused (412) and the page says what changed. The
// routes (buy.routes.tsx) wrap it in the shop's layout.
import type { Schemas } from '../../../../lib/client';
import { money } from '../web/format';
import { seenOf } from './buy.forms';
import { Problem, STATUS_TEXT, splitTitle } from './buy.kit';
import { productPath } from './paths';

type Cart = Schemas['Cart'];

export interface CartContentProps {
  cart: Cart;
  csrf: string;
  /** A refusal of the last form, shown next to the line it was about (or above the cart). */
  error?: { sku?: string; message: string };
  /** What a stale cart's page says changed (412). */
  changes?: string[];
  notice?: string;
  /**
   * The shopper's latest order, placed within RECENT_ORDER_HOURS, shown while the cart is empty: a checkout whose
   * answer never reached the page (the order was taken, the lines left the cart) is one link away.
   */
  recentOrder?: Pick<Schemas['Order'], 'id' | 'status' | 'createdAt' | 'totals'>;
}

/** How long an order counts as recent on an empty cart's page. */
export const RECENT_ORDER_HOURS = 24;

const m = (x: Schemas['Money']) => money(x.amount, x.currency);

function Hidden({ cart, csrf }: { cart: Cart; csrf: string }) {
  return (
    <>
      <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="version" value={String(cart.version)} />
      <input type="hidden" name="seen" value={seenOf(cart)} />
    </>
  );
}

function Line({ line, i, ...props }: CartContentProps & { line: Cart['lines'][number]; i: number }) {
  const { product, variant } = splitTitle(line.title);
  const error = props.error?.sku === line.sku ? props.error.message : undefined;
  const errorId = `line-${i}-error`;
  const action = `/cart/items/${encodeURIComponent(line.sku)}`;
  return (
    <li class="cart-line" data-sku={line.sku}>
      {line.image ? (
        <img src={line.image} alt="" width={96} height={96} loading="lazy" decoding="async" />
      ) : (
        <span class="no-image" aria-hidden="true" />
      )}
      <div class="cart-line-body">
        <h2 class="cart-line-title">
          <a href={productPath(line.productSlug)}>{product}</a>
        </h2>
        {variant && <p class="variant">{variant}</p>}
        <p class="muted sku">SKU {line.sku}</p>
        <p class="price">
          {m(line.unitPrice)} each
          {line.priceChanged && line.previousUnitPrice && (
            <strong class="changed"> Price changed: was {m(line.previousUnitPrice)}</strong>
          )}
        </p>
        {!line.available && (
          <Problem id={`line-${i}-gone`}>No longer sold: not in the total. Remove it to checkout.</Problem>
        )}
        {error && <Problem id={errorId}>{error}</Problem>}
        <form method="post" action={action} class="inline qty-form" aria-describedby={error ? errorId : undefined}>
          <Hidden cart={props.cart} csrf={props.csrf} />
          <label for={`qty-${i}`}>
            Quantity<span class="visually-hidden"> of {line.title}</span>
          </label>
          <input
            id={`qty-${i}`}
            name="quantity"
            type="number"
            inputmode="numeric"
            min={0}
            max={99}
            size={3}
            value={String(line.quantity)}
            required
          />
          <button type="submit">
            Update<span class="visually-hidden"> the quantity of {line.title}</span>
          </button>
        </form>
        <form method="post" action={`${action}/remove`} class="inline">
          <Hidden cart={props.cart} csrf={props.csrf} />
          <button type="submit" class="link">
            Remove<span class="visually-hidden"> {line.title}</span>
          </button>
        </form>
      </div>
      <p class="line-total">{line.available ? m(line.lineTotal) : '–'}</p>
    </li>
  );
}

function RecentOrder({ order }: { order: NonNullable<CartContentProps['recentOrder']> }) {
  return (
    <section class="notice" aria-labelledby="recent-order-title" id="recent-order">
      <h2 id="recent-order-title">Your recent order</h2>
      <p>
        <a href={`/orders/${encodeURIComponent(order.id)}`}>Order {order.id}</a>, {m(order.totals.total)}, placed{' '}
        {order.createdAt.replace('T', ' ').slice(0, 16)} UTC: <strong>{STATUS_TEXT[order.status]}</strong>.
      </p>
    </section>
  );
}

export function CartContent(props: CartContentProps) {
  const { cart } = props;
  const changed = cart.lines.some((l) => l.priceChanged);
  const generalError = props.error && !props.error.sku ? props.error.message : undefined;
  return (
    <section aria-labelledby="cart-title" id="cart">
      <h1 id="cart-title">Your cart</h1>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      {props.changes && (
        <div class="notice" role="alert" id="cart-changed">
          <p>Your cart changed since that page was shown (in another tab or device), so nothing was done. It is now:</p>
          {props.changes.length > 0 && (
            <ul>
              {props.changes.map((c) => (
                <li>{c}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {generalError && <Problem id="cart-error">{generalError}</Problem>}
      {cart.lines.length === 0 ? (
        <>
          <p>
            Your cart is empty. <a href="/">Continue shopping</a>.
          </p>
          {props.recentOrder && <RecentOrder order={props.recentOrder} />}
        </>
      ) : (
        <>
          {changed && (
            <p class="notice" role="status" id="price-changes">
              Some prices changed since you added the items: the new prices are shown and are what you will pay.
            </p>
          )}
          <ul class="cart-lines">
            {cart.lines.map((line, i) => (
              <Line {...props} line={line} i={i} />
            ))}
          </ul>
          <dl class="totals" id="cart-totals">
            <dt>Items</dt>
            <dd>{cart.itemCount}</dd>
            <dt>Subtotal</dt>
            <dd id="cart-subtotal">{cart.subtotal ? m(cart.subtotal) : '–'}</dd>
          </dl>
          <p class="muted">Shipping and tax are added at checkout, for the address you give.</p>
          <p>
            <a class="button primary" href="/checkout">
              Checkout
            </a>
          </p>
        </>
      )}
    </section>
  );
}
