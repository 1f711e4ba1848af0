// The checkout saga, run inside the shopper's OrdersDO under the order's lock: snapshot the cart, admit it from the
// published stock state, price it from the edge catalog, refuse a price the shopper did not see, total, hold the
// stock (SKU order), create and confirm the PaymentIntent (one per order), accept.
// Every step can be run again for the same order id with the same effect, so an interrupted checkout retried
// with the same Idempotency-Key resumes: same holds, same PaymentIntent, one order. The outside is reached only
// through the ports (ports.ts); the object's own storage through the order book and the task outbox.
import type { OrderLine, OrderSnapshot } from '../../lib/checkout/order';
import { priceChange } from '../../lib/checkout/price-check';
import { computeTotals } from '../../lib/checkout/pricing';
import { acceptedView } from '../../lib/checkout/view';
import type { CartSnapshot } from '../../lib/contracts/cart';
import type { CheckoutCall, CheckoutResult } from '../../lib/contracts/checkout';
import { AppError, type ErrorCode } from '../../lib/errors';
import { log } from '../../lib/log';
import { failure } from '../../lib/rpc';
import type { OrderBook } from './order-book';
import type { OrderPorts } from './ports';
import type { TaskOutbox } from './tasks';

/** The answer of a key whose checkout was interrupted and then closed (its order never accepted). */
export const closedAnswer = (): CheckoutResult =>
  failure(
    new AppError(
      'CHECKOUT_CLOSED',
      'This checkout did not complete and is closed; start a new one with a new Idempotency-Key.',
    ),
  );

/** What the saga works with: the object's storage, the ports, and two of the object's own operations. */
export interface SagaContext {
  book: OrderBook;
  tasks: TaskOutbox;
  ports: OrderPorts;
  /** Releases an order's holds now, or leaves a task to do it. */
  releaseHolds(o: OrderSnapshot, reason: string): Promise<void>;
  /** Runs the order's due tasks now (the common path does not wait for the alarm). */
  runTasksNow(orderId: string): Promise<void>;
  holdTtlMs: number;
  /** How long stock is held while the payment waits for the shopper (requires_action). */
  actionHoldTtlMs: number;
}

/**
 * One checkout under its key, for the order id the key was given. An outage or a bug half way leaves the key
 * retryable: it keeps its order id so a retry resumes the same order (same holds, same PaymentIntent), and the
 * holds this attempt took are released until then.
 */
export async function runCheckout(
  ctx: SagaContext,
  call: CheckoutCall,
  orderId: string,
  screened?: CartSnapshot,
): Promise<CheckoutResult> {
  try {
    return await placeOrder(ctx, call, orderId, screened);
  } catch (err) {
    ctx.book.markRetryable(call.key);
    log.error('checkout failed', { orderId, error: String(err), stack: err instanceof Error ? err.stack : undefined });
    const o = ctx.book.order(orderId);
    // Once the provider was called, a timeout says nothing about the card: it may be charged yet. The holds then
    // stay until the order's expiry, so that a payment landing meanwhile (or the retry) finds its stock.
    if (o?.status === 'created' && o.payment.status !== 'creating') await ctx.releaseHolds(o, 'checkout interrupted');
    if (err instanceof AppError) return failure(err);
    return failure(
      new AppError(
        'SERVICE_UNAVAILABLE',
        'The checkout could not be completed right now; retry with the same Idempotency-Key.',
        { retryAfter: 2, cause: err },
      ),
    );
  }
}

async function placeOrder(
  ctx: SagaContext,
  call: CheckoutCall,
  orderId: string,
  screened?: CartSnapshot,
): Promise<CheckoutResult> {
  const { book, ports } = ctx;
  let order = book.order(orderId);
  if (order && order.status !== 'created') return answerFor(book, order, call.key);
  // A retry of an interrupted attempt: that attempt may still hold stock this one does not take.
  const resumed = order !== null;

  if (!order) {
    const created = await newOrder(ctx, call, orderId, screened);
    if ('answer' in created) return created.answer;
    order = created.order;
  }

  // Stock: one hold per SKU, in SKU order.
  let keys = call.shopperKeys ?? [];
  let held = await ports.stock.reserveAll(orderId, order.lines, order.owner.sub, order.holdExpiresAt, keys, true);
  let stripeSince: number | undefined;
  if (!held.ok && held.reason === 'NEEDS_CARD') {
    // A SKU with a per-customer cap would be granted: the card paying is one more key of the shopper, so a fresh
    // guest paying with it from a fresh address is the same customer to the cap. Looked up only now, so that
    // neither uncapped SKUs nor a flash sale's losers (refused above, or by stock) wait for Stripe.
    stripeSince = Date.now();
    const card = await ports.payments.cardKey(call.body.paymentMethod);
    if (!card.ok && card.reason === 'INVALID_PAYMENT_METHOD') {
      // The first pass kept what it held (the uncapped SKUs): give it back, with an earlier attempt's.
      await ctx.releaseHolds(order, 'invalid payment method');
      return close(ctx, call.key, orderId, refused('INVALID_PAYMENT_METHOD', card.message));
    }
    // Stripe slow or down: the hold goes on without the card key (the subject and the network still count),
    // within the same budget; the payment call that follows decides whether Stripe is there at all.
    if (!card.ok) log.warn('card lookup failed; capped without it', { orderId, error: card.error });
    if (card.ok && card.key) keys = [...keys, card.key];
    held = await ports.stock.reserveAll(orderId, order.lines, order.owner.sub, order.holdExpiresAt, keys);
  }
  if (!held.ok) {
    // reserveAll gave back what this attempt took; a resumed order also gives back what the earlier one held.
    if (resumed) await ctx.releaseHolds(order, 'checkout failed');
    if (held.reason === 'CUSTOMER_LIMIT') {
      const i = held.items[0]!;
      const message =
        i.scope === 'unpaid_per_address'
          ? `At most ${i.limit} of ${i.sku} may wait for payment from one network at once (${i.alreadyHas} do); ` +
            'complete or let go of a pending checkout first.'
          : `At most ${i.limit} of ${i.sku} per customer (you have ${i.alreadyHas}).`;
      return close(ctx, call.key, orderId, refused('CUSTOMER_LIMIT_EXCEEDED', message, { items: held.items }));
    }
    if (held.reason === 'NEEDS_CARD') throw new Error('reserve answered NEEDS_CARD with the card looked up');
    return close(ctx, call.key, orderId, outOfStock(held.items));
  }
  // The holds are this order's now: a release left over from an interrupted attempt must not free them.
  ctx.tasks.remove(orderId, 'release');

  // From here the provider may charge the card: the order is never simply forgotten again.
  if (order.payment.status === 'none') {
    order.payment.status = 'creating';
    book.persist(order);
  }

  // Payment: one PaymentIntent per order, whatever happens to this request.
  const payment = await ports.payments.createAndConfirm({
    orderId,
    owner: order.owner.sub,
    email: order.owner.email,
    amount: order.totals.total,
    currency: order.totals.currency,
    paymentMethod: call.body.paymentMethod,
    since: stripeSince,
  });
  if (!payment.ok && payment.reason === 'DECLINED') {
    // A decline is an answer about this order: the key keeps it, the order stays as `payment_failed`.
    order.payment.intentId = payment.intentId;
    order.payment.status = payment.intentStatus;
    book.transition(order, 'payment_failed', `card declined: ${payment.declineCode ?? 'declined'}`);
    book.saveOrder(order);
    await ctx.releaseHolds(order, 'payment declined');
    const answer = refused('PAYMENT_DECLINED', payment.message, { orderId, declineCode: payment.declineCode });
    book.recordAnswer(call.key, answer);
    await ctx.runTasksNow(orderId);
    return answer;
  }
  if (!payment.ok) {
    // Refused before any charge: nothing to remember, the key may be used again.
    await ctx.releaseHolds(order, 'invalid payment method');
    order.payment.status = 'none';
    book.persist(order);
    return close(ctx, call.key, orderId, refused('INVALID_PAYMENT_METHOD', payment.message));
  }

  // Accepted: the order exists for the shopper, the cart lets go of its lines, Postgres gets a copy.
  order.payment.intentId = payment.intentId;
  order.payment.status = payment.status;
  if (payment.status === 'requires_action') {
    // Waiting for the shopper (3-D Secure): the stock is held only briefly; progress (processing, succeeded)
    // is what moves the order on, not time. The expire task is due the earlier of the two.
    order.holdExpiresAt = Math.min(order.holdExpiresAt, Date.now() + ctx.actionHoldTtlMs);
    ctx.tasks.add(orderId, 'expire', {}, order.holdExpiresAt);
  }
  book.transition(order, 'pending_payment', 'checkout accepted');
  book.saveOrder(order);
  ctx.tasks.add(orderId, 'cart', {}, Date.now());
  const answer: CheckoutResult = { ok: true, accepted: acceptedView(order, payment.clientSecret, payment.nextAction) };
  book.recordAnswer(call.key, answer);
  await ctx.runTasksNow(orderId);
  return answer;
}

/**
 * The refusals that need nothing held, charged or stored, from the cart as it is now: a cart changed since the
 * shopper read it (If-Match: 412), an empty cart, and admission from the published stock state (a sold-out SKU is
 * refused without Postgres, Stripe or the hot InventoryDO). Or the cart, which may go on to become an order.
 * OrdersDO runs this before it stores a new key, so a flash sale's losers cost no writes (issue 10).
 */
export async function screenCart(
  ports: OrderPorts,
  call: CheckoutCall,
): Promise<{ cart: CartSnapshot } | { answer: CheckoutResult }> {
  const cart = await ports.cart.snapshot(call.identity);
  if (call.cartVersion !== undefined && call.cartVersion !== cart.version) {
    const message = 'The cart changed since you read it; read it again and check out with its new ETag.';
    return { answer: refused('PRECONDITION_FAILED', message, { currentVersion: cart.version }) };
  }
  if (cart.lines.length === 0)
    return { answer: refused('CART_EMPTY', 'The cart is empty; add items before checking out.') };
  const short = await ports.stock.admit(cart.lines);
  if (short.length) return { answer: outOfStock(short) };
  return { cart };
}

/**
 * The order for the cart as it is now (or as `screened` just read it), or the answer that refuses it before
 * anything is held or charged: the screening above, prices from the edge catalog at one generation, and the price
 * check (nothing is charged that the shopper did not see).
 */
async function newOrder(
  ctx: SagaContext,
  call: CheckoutCall,
  orderId: string,
  screened?: CartSnapshot,
): Promise<{ order: OrderSnapshot } | { answer: CheckoutResult }> {
  const { book, ports } = ctx;
  const refuse = (answer: CheckoutResult) => ({ answer: close(ctx, call.key, orderId, answer) });
  let cart = screened;
  if (!cart) {
    const screening = await screenCart(ports, call);
    if ('answer' in screening) return refuse(screening.answer);
    cart = screening.cart;
  }

  const skus = cart.lines.map((l) => l.sku);
  const priced = await ports.catalog.priceForCheckout(skus);
  if (!priced.ok) return refuse(priced); // the catalog's own answer (e.g. DB_UNAVAILABLE)
  const prices = new Map(priced.variants.map((v) => [v.sku, v]));
  const missing = skus.filter((s) => !prices.has(s));
  if (missing.length) {
    const message = `No longer sold: ${missing.join(', ')}. Remove it from the cart to check out.`;
    return refuse(refused('ITEM_UNAVAILABLE', message, { skus: missing }));
  }
  const currencies = new Set(priced.variants.map((v) => v.price.currency));
  if (currencies.size !== 1)
    return refuse(refused('CURRENCY_MISMATCH', 'The items in the cart are priced in different currencies.'));
  const lines: OrderLine[] = cart.lines
    .map((l) => {
      const v = prices.get(l.sku)!;
      return {
        sku: l.sku,
        title: `${v.productTitle} — ${v.title}`,
        quantity: l.quantity,
        unitAmount: v.price.amount,
        lineTotal: v.price.amount * l.quantity,
      };
    })
    .sort((a, b) => (a.sku < b.sku ? -1 : 1));
  const currency = [...currencies][0]!;
  const { shippingAddress, shippingMethod } = call.body;
  const totals = computeTotals(lines, currency, shippingAddress.country, shippingMethod);

  const change = priceChange(cart.lines, lines, totals, call.body.expectedTotal);
  if (change) {
    // The shopper sees the new prices in this answer: the cart keeps them, so the next attempt goes through.
    const cartVersion = await ports.cart.confirmPrices(
      call.identity,
      lines.map((l) => ({ sku: l.sku, unitAmount: l.unitAmount })),
    );
    const message = 'Prices changed since the cart was shown; check the new lines and totals, then check out again.';
    return refuse(refused('PRICE_CHANGED', message, { ...change, cartVersion }));
  }

  // The order, created (not yet seen by the shopper).
  const now = Date.now();
  const order: OrderSnapshot = {
    id: orderId,
    version: 1,
    owner: { sub: call.identity.sub, role: call.identity.role, email: call.body.email ?? '' },
    status: 'created',
    lines,
    totals,
    shippingAddress,
    shippingMethod,
    payment: { provider: 'stripe', intentId: null, status: 'none', amount: totals.total, refundedAmount: 0 },
    holdExpiresAt: now + ctx.holdTtlMs,
    createdAt: now,
    updatedAt: now,
    history: [],
    pricedAt: { generation: priced.generation, source: priced.source },
  };
  book.insertOrder(order);
  // Cleans up if this checkout never completes (and expires the order if it is accepted and never paid).
  ctx.tasks.add(orderId, 'expire', {}, order.holdExpiresAt);
  return { order };
}

const outOfStock = (items: { sku: string; available: number }[]) =>
  refused('OUT_OF_STOCK', `Not enough stock: ${items.map((i) => `${i.sku} (${i.available} available)`).join(', ')}.`, {
    items,
  });

const refused = (code: ErrorCode, message: string, details?: unknown) =>
  failure(new AppError(code, message, { details }));

/**
 * A checkout that was not accepted. If the payment provider was never called, nothing needs remembering: the
 * order goes and the key may be used again. If it was (an earlier attempt may have charged the card), the order
 * stays as `abandoned` so a late payment is found and refunded, and the key keeps this answer.
 */
function close(ctx: SagaContext, key: string, orderId: string, answer: CheckoutResult): CheckoutResult {
  const o = ctx.book.order(orderId);
  if (!o || o.payment.status === 'none') {
    ctx.book.forgetKey(key);
    ctx.book.deleteOrder(orderId);
    return answer;
  }
  if (ctx.book.transition(o, 'abandoned', `not accepted: ${answer.ok ? 'closed' : answer.error.code}`))
    ctx.book.saveOrder(o);
  ctx.book.recordAnswer(key, answer);
  return answer;
}

/** A retried checkout whose order was already decided (the first answer was lost): answer from the order. */
function answerFor(book: OrderBook, o: OrderSnapshot, key: string): CheckoutResult {
  const wasAccepted = o.history.some((h) => h.to === 'pending_payment');
  const answer: CheckoutResult =
    o.status === 'payment_failed' && !wasAccepted
      ? refused('PAYMENT_DECLINED', 'The card was declined.', { orderId: o.id })
      : wasAccepted
        ? { ok: true, accepted: acceptedView(o, null, null) }
        : closedAnswer();
  book.recordAnswer(key, answer);
  return answer;
}
