// The narrow interfaces through which the checkout saga and the order lifecycle reach the outside: the cart,
// the catalog, stock (the InventoryDOs) and payments (Stripe). The saga sees these and nothing else of the
// services behind them; `portsFrom` builds them from the hosting worker's env (service bindings, the INVENTORY
// namespace, the Stripe SDK). Every call has a deadline.

import { cardKey } from '../../lib/auth/address';
import type { Identity } from '../../lib/auth/tokens';
import type { CartSnapshot, OrderedLine, ShownPrice } from '../../lib/contracts/cart';
import type { CheckoutPrices } from '../../lib/contracts/catalog';
import type { DbEnv } from '../../lib/db/client';
import { AppError } from '../../lib/errors';
import {
  callStripe,
  callStripeWithin,
  isStripeOutage,
  lookupStripe,
  Stripe,
  type StripeEnv,
} from '../../lib/payments/stripe';
import { CircuitOpenError, withTimeout } from '../../lib/resilience';
import { type RpcResult, unwrap } from '../../lib/rpc';
import { traced } from '../../lib/trace';
import { checkoutSnapshotOf } from '../cart/snapshot';
import { inventoryConfig } from '../inventory/config';
import {
  commitAll,
  type ReserveAllResult,
  type ReserveLine,
  releaseAll,
  reserveAll,
  restockAll,
} from '../inventory/inventory.client';
import { refusedByPublishedState, type ShortItem } from '../inventory/stock-state';

export interface CartPort {
  /** The cart's lines as they are now. */
  snapshot(who: Identity): Promise<CartSnapshot>;
  /** An order was accepted for these lines: they leave the cart (once per order). */
  checkedOut(who: Identity, orderId: string, lines: OrderedLine[]): Promise<void>;
  /** The shopper has been shown these prices (PRICE_CHANGED): the cart keeps them; answers its new version. */
  confirmPrices(who: Identity, prices: ShownPrice[]): Promise<number>;
}

export interface CatalogPort {
  /** Prices at the current catalog generation (edge catalog, primary as fallback); a failure is the catalog's. */
  priceForCheckout(skus: string[]): Promise<RpcResult<CheckoutPrices>>;
}

export interface StockPort {
  /** The lines the SKUs' published stock state refuses (stock-state.ts): no object is asked to hold anything. */
  admit(lines: ReserveLine[]): Promise<ShortItem[]>;
  /**
   * Holds every line for the order (SKU order); short of one, gives back what it took and names every short SKU.
   * `cardPending`: a capped SKU answers NEEDS_CARD rather than holding without the card's key.
   */
  reserveAll(
    holdId: string,
    lines: ReserveLine[],
    owner: string,
    expiresAt: number,
    keys?: string[],
    cardPending?: boolean,
  ): Promise<ReserveAllResult>;
  /** Gives the order's holds back (idempotent; a hold already sold stays sold). */
  releaseAll(holdId: string, skus: string[], reason: string): Promise<void>;
  /** Turns the order's holds into sales; names the SKUs whose stock was gone. */
  commitAll(holdId: string, skus: string[]): Promise<{ short: string[] }>;
  /** Puts refunded units of the order's sales back on hand, once per `restockId` and SKU. */
  restockAll(restockId: string, holdId: string, lines: { sku: string; quantity: number }[]): Promise<void>;
}

export interface PaymentRequest {
  orderId: string;
  owner: string;
  email: string;
  /** Minor units. */
  amount: number;
  currency: string;
  paymentMethod: string;
  /** When the checkout's Stripe budget began (its card lookup): lookup and payment share one deadline. */
  since?: number;
}

/**
 * The card a payment method names, as a stock-cap key: `pm:<hash of its fingerprint>`, or null when it has no
 * fingerprint (not a card). UNAVAILABLE: Stripe did not answer within the lookup's deadline (or its breaker is
 * open); the caller decides to go on without the key.
 */
export type CardLookup =
  | { ok: true; key: string | null }
  | { ok: false; reason: 'INVALID_PAYMENT_METHOD'; message: string }
  | { ok: false; reason: 'UNAVAILABLE'; error: string };

export type PaymentAttempt =
  | {
      ok: true;
      intentId: string;
      status: string;
      clientSecret: string | null;
      /** What the shopper must still do (e.g. 3-D Secure at `url`), or null. */
      nextAction: { type: string; url: string | null } | null;
    }
  | {
      ok: false;
      reason: 'DECLINED';
      message: string;
      declineCode: string | null;
      intentId: string | null;
      intentStatus: string;
    }
  | { ok: false; reason: 'INVALID_PAYMENT_METHOD'; message: string };

export interface PaymentsPort {
  /** The card behind a payment method, as a key of the shopper (the raw fingerprint never leaves the port). */
  cardKey(paymentMethod: string): Promise<CardLookup>;
  /**
   * Creates and confirms the order's one PaymentIntent (the same one whatever happens to this request). An
   * outage throws PAYMENT_PROVIDER_UNAVAILABLE.
   */
  createAndConfirm(req: PaymentRequest): Promise<PaymentAttempt>;
  /** Cancels an unpaid intent; refused (e.g. it succeeded meanwhile) with the provider's reason. */
  cancel(intentId: string, orderId: string): Promise<{ ok: true } | { ok: false; message: string }>;
  /** The intent's status now, what it received (minor units) and its currency (upper case). */
  retrieve(intentId: string): Promise<{ status: string; amountReceived: number; currency: string }>;
  /**
   * Refunds `amount` (default: all that is left) of the payment once per `idempotencyKey`. Stripe's refusal of
   * this refund (e.g. the charge was disputed) is REFUSED with its message; an outage throws.
   */
  refund(
    intentId: string,
    idempotencyKey: string,
    metadata?: Record<string, string>,
    amount?: number,
  ): Promise<
    | { ok: true; amount: number; id: string; status: string }
    | { ok: false; reason: 'ALREADY_REFUNDED' }
    | { ok: false; reason: 'REFUSED'; message: string; code: string | null }
  >;
}

export interface OrderPorts {
  cart: CartPort;
  catalog: CatalogPort;
  stock: StockPort;
  payments: PaymentsPort;
}

/** The env of the worker hosting OrdersDO (its bindings and vars; secrets are typed by StripeEnv and DbEnv). */
export type OrdersEnv = CheckoutEnv & DbEnv & StripeEnv;

/** Deadlines of the RPC calls (a stuck service must not hold a checkout; the stock calls have their own). */
const CART_TIMEOUT_MS = 5000;
const CATALOG_TIMEOUT_MS = 8000;

export function portsFrom(env: OrdersEnv): OrderPorts {
  const stockStateTtlMs = inventoryConfig(env).STOCK_STATE_TTL_MS;
  return {
    cart: {
      // Straight from the CartDO (a read; the cart worker would only pass it on): one hop less per checkout.
      async snapshot(who) {
        const cart = traced(env.CARTS.get(env.CARTS.idFromName(who.sub)));
        return checkoutSnapshotOf(await withTimeout(cart.cart(), CART_TIMEOUT_MS, 'cart snapshot'));
      },
      async checkedOut(who, orderId, lines) {
        unwrap(
          await withTimeout(traced(env.CART).checkedOut(who, orderId, lines), CART_TIMEOUT_MS, 'cart checked out'),
        );
      },
      async confirmPrices(who, prices) {
        return unwrap(await withTimeout(traced(env.CART).confirmPrices(who, prices), CART_TIMEOUT_MS, 'cart prices'))
          .version;
      },
    },
    catalog: {
      priceForCheckout: async (skus) =>
        (await withTimeout(
          traced(env.CATALOG).priceForCheckout(skus),
          CATALOG_TIMEOUT_MS,
          'catalog prices',
        )) as RpcResult<CheckoutPrices>,
    },
    stock: {
      admit: (lines) => refusedByPublishedState(env, lines, stockStateTtlMs),
      reserveAll: (holdId, lines, owner, expiresAt, keys, cardPending) =>
        reserveAll(env, holdId, lines, owner, expiresAt, keys, cardPending),
      releaseAll: (holdId, skus, reason) => releaseAll(env, holdId, skus, reason),
      commitAll: (holdId, skus) => commitAll(env, holdId, skus),
      restockAll: (restockId, holdId, lines) => restockAll(env, restockId, holdId, lines),
    },
    payments: stripePayments(env),
  };
}

function stripePayments(env: StripeEnv): PaymentsPort {
  return {
    async cardKey(paymentMethod) {
      try {
        const method = await lookupStripe(env, (s, opts) => s.paymentMethods.retrieve(paymentMethod, {}, opts));
        const fingerprint = method.card?.fingerprint;
        return { ok: true, key: fingerprint ? await cardKey(fingerprint) : null };
      } catch (err) {
        // Stripe's answer about this id (no such payment method, a malformed id): the shopper's mistake.
        if (err instanceof Stripe.errors.StripeInvalidRequestError)
          return { ok: false, reason: 'INVALID_PAYMENT_METHOD', message: err.message };
        return { ok: false, reason: 'UNAVAILABLE', error: String(err) };
      }
    },

    async createAndConfirm(req) {
      let intent: Stripe.PaymentIntent;
      try {
        intent = await callStripeWithin(
          env,
          (s, opts) =>
            s.paymentIntents.create(
              {
                amount: req.amount,
                currency: req.currency.toLowerCase(),
                payment_method: req.paymentMethod,
                // Confirmed here, server-side: a card that needs the shopper (3-D Secure) answers requires_action.
                automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
                confirm: true,
                description: `Order ${req.orderId}`,
                metadata: { orderId: req.orderId, owner: req.owner },
                ...(req.email ? { receipt_email: req.email } : {}),
              },
              { idempotencyKey: `order_${req.orderId}`, ...opts },
            ),
          req.since,
        );
      } catch (err) {
        if (err instanceof Stripe.errors.StripeCardError) {
          return {
            ok: false,
            reason: 'DECLINED',
            message: err.message || 'The card was declined.',
            declineCode: err.decline_code ?? err.code ?? null,
            intentId: err.payment_intent?.id ?? null,
            intentStatus: err.payment_intent?.status ?? 'requires_payment_method',
          };
        }
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.param === 'payment_method')
          return { ok: false, reason: 'INVALID_PAYMENT_METHOD', message: err.message };
        const retryAfter = err instanceof CircuitOpenError ? Math.ceil(err.retryAfterMs / 1000) : 2;
        throw new AppError(
          'PAYMENT_PROVIDER_UNAVAILABLE',
          'The payment provider is not answering; retry with the same Idempotency-Key.',
          { retryAfter, cause: err },
        );
      }
      const next = intent.next_action;
      return {
        ok: true,
        intentId: intent.id,
        status: intent.status,
        clientSecret: intent.client_secret,
        nextAction: next
          ? {
              type: next.type,
              url:
                next.redirect_to_url?.url ??
                (next.use_stripe_sdk as { stripe_js?: string } | undefined)?.stripe_js ??
                null,
            }
          : null,
      };
    },

    async cancel(intentId, orderId) {
      try {
        await callStripe(env, (s) =>
          s.paymentIntents.cancel(
            intentId,
            { cancellation_reason: 'abandoned' },
            { idempotencyKey: `cancel_${orderId}` },
          ),
        );
        return { ok: true };
      } catch (err) {
        if (isStripeOutage(err)) throw err;
        return { ok: false, message: String(err) };
      }
    },

    async retrieve(intentId) {
      const intent = await callStripe(env, (s) => s.paymentIntents.retrieve(intentId));
      return { status: intent.status, amountReceived: intent.amount_received, currency: intent.currency.toUpperCase() };
    },

    async refund(intentId, idempotencyKey, metadata, amount) {
      try {
        const refund = await callStripe(env, (s) =>
          s.refunds.create(
            {
              payment_intent: intentId,
              ...(amount === undefined ? {} : { amount }),
              ...(metadata ? { metadata } : {}),
            },
            { idempotencyKey },
          ),
        );
        return { ok: true, amount: refund.amount, id: refund.id, status: refund.status ?? 'pending' };
      } catch (err) {
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'charge_already_refunded')
          return { ok: false, reason: 'ALREADY_REFUNDED' };
        if (err instanceof Stripe.errors.StripeInvalidRequestError)
          return { ok: false, reason: 'REFUSED', message: err.message, code: err.code ?? null };
        throw err;
      }
    },
  };
}
