// One checkout, run inside the shopper's OrdersDO under the order's lock: snapshot the cart, reprice from the
// primary, total, hold the stock (SKU order), create the PaymentIntent (idempotency key from the order id),
// accept. Every step can be run again for the same order id with the same effect, so an interrupted checkout
// retried with the same Idempotency-Key resumes: same holds, same PaymentIntent, one order.
import type { CheckoutOutcome, OrdersDO } from '../../../durable-objects/orders.do';
import { closedOutcome, fail } from '../../../durable-objects/orders.do';
import type { OrderLine, OrderSnapshot } from '../../../lib/checkout/order';
import { computeTotals } from '../../../lib/checkout/pricing';
import { acceptedView } from '../../../lib/checkout/view';
import type { CheckoutPrices } from '../../../lib/contracts/catalog';
import type { CheckoutCall } from '../../../lib/contracts/checkout';
import type { DbEnv } from '../../../lib/db/client';
import { AppError } from '../../../lib/errors';
import { CircuitOpenError, withTimeout } from '../../../lib/resilience';
import type { RpcResult } from '../../../lib/rpc';
import { reserveAll } from './inventory.client';
import { callStripe, Stripe, type StripeEnv } from './stripe';

type Env = CheckoutEnv & DbEnv & StripeEnv;

const holdTtlMs = (env: Env) => (Number(env.HOLD_TTL_SECONDS) > 0 ? Number(env.HOLD_TTL_SECONDS) : 900) * 1000;

/** Carries an AppError's info through a thrown error (RPC keeps only messages). */
function unavailable(err: AppError): Error {
  return Object.assign(new Error(err.message), { appError: err.toInfo() });
}

export async function placeOrder(
  store: OrdersDO,
  env: Env,
  call: CheckoutCall,
  orderId: string,
): Promise<CheckoutOutcome> {
  let order = store.order(orderId);
  if (order && order.status !== 'created') return answerFor(order, store, call.key);
  // A retry of an interrupted attempt: that attempt may still hold stock this one does not take.
  const resumed = order !== null;

  if (!order) {
    const cart = await withTimeout(env.CART.checkoutSnapshot(call.identity), 5000, 'cart snapshot');
    if (cart.lines.length === 0)
      return store.closeCheckout(
        call.key,
        orderId,
        fail('CART_EMPTY', 'The cart is empty; add items before checking out.', 422),
      );
    const skus = cart.lines.map((l) => l.sku);
    const priced = (await withTimeout(
      env.CATALOG.priceForCheckout(skus),
      8000,
      'catalog prices',
    )) as RpcResult<CheckoutPrices>;
    if (!priced.ok)
      return store.closeCheckout(call.key, orderId, {
        status: AppError.fromInfo(priced.error).status,
        error: priced.error,
      });
    const prices = new Map(priced.variants.map((v) => [v.sku, v]));
    const missing = skus.filter((s) => !prices.has(s));
    if (missing.length) {
      return store.closeCheckout(
        call.key,
        orderId,
        fail('ITEM_UNAVAILABLE', `No longer sold: ${missing.join(', ')}. Remove it from the cart to check out.`, 422, {
          skus: missing,
        }),
      );
    }
    const currencies = new Set(priced.variants.map((v) => v.price.currency));
    if (currencies.size !== 1)
      return store.closeCheckout(
        call.key,
        orderId,
        fail('CURRENCY_MISMATCH', 'The items in the cart are priced in different currencies.', 409),
      );
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
    const now = Date.now();
    order = {
      id: orderId,
      version: 1,
      owner: { sub: call.identity.sub, role: call.identity.role, email: call.body.email ?? '' },
      status: 'created',
      lines,
      totals,
      shippingAddress,
      shippingMethod,
      payment: { provider: 'stripe', intentId: null, status: 'none', amount: totals.total, refundedAmount: 0 },
      holdExpiresAt: now + holdTtlMs(env),
      createdAt: now,
      updatedAt: now,
      history: [],
    };
    store.insertOrder(order);
    // Cleans up if this checkout never completes (and expires the order if it is accepted and never paid).
    store.addTask(orderId, 'expire', {}, order.holdExpiresAt);
  }

  // Stock: one hold per SKU, in SKU order.
  const held = await reserveAll(env, orderId, order.lines, order.owner.sub, order.holdExpiresAt);
  if (!held.ok) {
    // reserveAll gave back what this attempt took; a resumed order also gives back what the earlier one held.
    if (resumed) await store.releaseHolds(order, 'checkout failed');
    if (held.reason === 'CUSTOMER_LIMIT') {
      const i = held.items[0]!;
      return store.closeCheckout(
        call.key,
        orderId,
        fail(
          'CUSTOMER_LIMIT_EXCEEDED',
          `At most ${i.limit} of ${i.sku} per customer (you have ${i.alreadyHas}).`,
          409,
          { items: held.items },
        ),
      );
    }
    return store.closeCheckout(
      call.key,
      orderId,
      fail(
        'OUT_OF_STOCK',
        `Not enough stock: ${held.items.map((i) => `${i.sku} (${i.available} available)`).join(', ')}.`,
        409,
        { items: held.items },
      ),
    );
  }
  // The holds are this order's now: a release left over from an interrupted attempt must not free them.
  store.removeTask(orderId, 'release');

  // From here Stripe may charge the card: the order is never simply forgotten again.
  if (order.payment.status === 'none') {
    order.payment.status = 'creating';
    store.persist(order);
  }

  // Payment: one PaymentIntent per order, whatever happens to this request.
  let intent: Stripe.PaymentIntent;
  try {
    intent = await callStripe(env, (s) =>
      s.paymentIntents.create(
        {
          amount: order.totals.total,
          currency: order.totals.currency.toLowerCase(),
          payment_method: call.body.paymentMethod,
          // Confirmed here, server-side: a card that needs the shopper (3-D Secure) answers requires_action.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          confirm: true,
          description: `Order ${orderId}`,
          metadata: { orderId, owner: order.owner.sub },
          ...(order.owner.email ? { receipt_email: order.owner.email } : {}),
        },
        { idempotencyKey: `order_${orderId}` },
      ),
    );
  } catch (err) {
    if (err instanceof Stripe.errors.StripeCardError) {
      const pi = err.payment_intent;
      order.payment.intentId = pi?.id ?? null;
      order.payment.status = pi?.status ?? 'requires_payment_method';
      store.transition(order, 'payment_failed', `card declined: ${err.decline_code ?? err.code ?? 'declined'}`);
      store.saveOrder(order);
      await store.releaseHolds(order, 'payment declined');
      const outcome = fail('PAYMENT_DECLINED', err.message || 'The card was declined.', 402, {
        orderId,
        declineCode: err.decline_code ?? err.code ?? null,
      });
      store.recordCheckout(call.key, outcome);
      await store.runTasksNow(orderId);
      return outcome;
    }
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.param === 'payment_method') {
      // Refused before any charge: nothing to remember, the key may be used again.
      await store.releaseHolds(order, 'invalid payment method');
      order.payment.status = 'none';
      store.persist(order);
      return store.closeCheckout(call.key, orderId, fail('INVALID_PAYMENT_METHOD', err.message, 422));
    }
    const retryAfter = err instanceof CircuitOpenError ? Math.ceil(err.retryAfterMs / 1000) : 2;
    throw unavailable(
      new AppError(
        'PAYMENT_PROVIDER_UNAVAILABLE',
        'The payment provider is not answering; retry with the same Idempotency-Key.',
        { retryAfter },
      ),
    );
  }

  // Accepted: the order exists for the shopper, the cart lets go of its lines, Postgres gets a copy.
  order.payment.intentId = intent.id;
  order.payment.status = intent.status;
  store.transition(order, 'pending_payment', 'checkout accepted');
  store.saveOrder(order);
  store.addTask(orderId, 'cart', {}, Date.now());
  const next = intent.next_action;
  const nextAction = next
    ? {
        type: next.type,
        url:
          next.redirect_to_url?.url ?? (next.use_stripe_sdk as { stripe_js?: string } | undefined)?.stripe_js ?? null,
      }
    : null;
  const outcome = {
    status: 202,
    body: acceptedView(order, intent.client_secret, nextAction),
  } satisfies CheckoutOutcome;
  store.recordCheckout(call.key, outcome);
  await store.runTasksNow(orderId);
  return outcome;
}

/** A retried checkout whose order was already decided (the first answer was lost): answer from the order. */
function answerFor(o: OrderSnapshot, store: OrdersDO, key: string): CheckoutOutcome {
  const wasAccepted = o.history.some((h) => h.to === 'pending_payment');
  const outcome =
    o.status === 'payment_failed' && !wasAccepted
      ? fail('PAYMENT_DECLINED', 'The card was declined.', 402, { orderId: o.id })
      : wasAccepted
        ? ({ status: 202, body: acceptedView(o, null, null) } satisfies CheckoutOutcome)
        : closedOutcome();
  store.recordCheckout(key, outcome);
  return outcome;
}
