// Helpers for the checkout tests: shoppers with carts, checkout requests, the local Stripe through the real SDK,
// stock through the admin API, and the Postgres copy of orders. API calls go through the typed client.
import Stripe from 'stripe';
import { inject } from 'vitest';
import { STRIPE_DEV_SECRET_KEY, STRIPE_DEV_WEBHOOK_SECRET } from '../../dev/stack';
import type { Schemas } from '../../lib/client';
import { client, devAccountToken, eventually, insertProduct, ok, primary } from './helpers';

export const as = (token: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  ...extra,
});

export async function guestToken(): Promise<string> {
  return (await ok('guest session', client().POST('/v1/auth/guest'))).accessToken;
}

export function addToCart(token: string, sku: string, quantity = 1) {
  return ok('add to cart', client(token).POST('/v1/cart/items', { body: { sku, quantity } }));
}

/** A guest with `sku` x quantity in the cart. */
export async function shopperWith(sku: string, quantity = 1): Promise<string> {
  const token = await guestToken();
  await addToCart(token, sku, quantity);
  return token;
}

export const address = {
  name: 'Ada Shopper',
  line1: '1 Main Street',
  city: 'Springfield',
  postalCode: '62701',
  country: 'US' as const,
};
export const checkoutBody = (
  paymentMethod = 'pm_card_visa',
  extra: Partial<Schemas['CheckoutRequest']> = {},
): Schemas['CheckoutRequest'] => ({
  email: 'ada@example.com',
  shippingAddress: address,
  paymentMethod,
  ...extra,
});

/** POST /v1/checkout as `token` (key null: without an Idempotency-Key). */
export function checkout(token: string, body = checkoutBody(), key: string | null = crypto.randomUUID()) {
  return client(token).POST('/v1/checkout', {
    params: { header: key === null ? {} : { 'idempotency-key': key } },
    body,
  });
}

export function orderOf(token: string, id: string) {
  return client(token).GET('/v1/orders/{id}', { params: { path: { id } } });
}

export function orders(token: string, query: { limit?: number; cursor?: string } = {}) {
  return client(token).GET('/v1/orders', { params: { query } });
}

export function inventory(sku: string) {
  return ok('inventory', client().GET('/v1/inventory/{sku}', { params: { path: { sku } } }));
}

export const adminToken = () => devAccountToken('admin');

export async function setStock(sku: string, onHand: number, extra: { maxPerCustomer?: number } = {}, token?: string) {
  return client(token ?? (await adminToken())).PUT('/v1/admin/inventory/{sku}', {
    params: { path: { sku } },
    body: { onHand, ...extra },
  });
}

export async function adjustStock(sku: string, delta: number, token?: string) {
  return client(token ?? (await adminToken())).POST('/v1/admin/inventory/{sku}/adjustments', {
    params: { path: { sku } },
    body: { delta },
  });
}

/** A fresh product with one SKU and `onHand` units: a test's own stock that no other test touches. */
export async function freshSku(onHand: number, price = 2500): Promise<string> {
  const slug = await insertProduct({ title: 'Checkout test item', price });
  const [row] = await primary<{ sku: string }>(
    'select v.sku from product_variants v join products p on p.id = v.product_id where p.slug = $1',
    [slug],
  );
  await ok('set stock', setStock(row!.sku, onHand));
  return row!.sku;
}

export const invariantHolds = (l: { onHand: number; held: number; sold: number; available: number }) =>
  l.available + l.held + l.sold === l.onHand && l.available >= 0 && l.held >= 0 && l.sold >= 0;

export function stripe(): Stripe {
  const url = new URL(inject('stripeUrl'));
  return new Stripe(STRIPE_DEV_SECRET_KEY, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    maxNetworkRetries: 2,
    timeout: 10_000,
  });
}

/** The local Stripe's hang switch: hung, it takes requests in and leaves them unanswered; resumed, it runs them. */
export async function stripeControl(action: 'hang' | 'resume') {
  const res = await fetch(`${inject('stripeUrl')}/_local/${action}`, {
    method: 'POST',
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`local Stripe ${action}: ${res.status}`);
}

export async function intentsOfOrder(orderId: string): Promise<Stripe.PaymentIntent[]> {
  const all = await stripe().paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  return all.filter((pi) => pi.metadata?.orderId === orderId);
}

/** A Stripe event around `object`, shaped as Stripe sends it (a fresh id, created now). */
export const stripeEvent = <T>(type: string, object: T) => ({
  id: `evt_test_${crypto.randomUUID().replaceAll('-', '')}`,
  object: 'event' as const,
  api_version: '2025-01-01',
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  type,
  data: { object },
});

/** A webhook delivery signed exactly as Stripe signs it (the SDK's own test header), over the bytes sent. */
export function signedWebhook(event: Schemas['StripeEvent'], secret = STRIPE_DEV_WEBHOOK_SECRET) {
  const payload = JSON.stringify(event);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
  return client().POST('/v1/webhooks/stripe', {
    params: { header: { 'stripe-signature': header } },
    body: event,
    bodySerializer: () => payload,
  });
}

export async function waitForStatus(token: string, orderId: string, status: string, timeoutMs = 10_000) {
  return eventually(
    `order ${orderId} ${status}`,
    async () => {
      const { data } = await orderOf(token, orderId);
      return data?.status === status ? data : false;
    },
    timeoutMs,
    100,
  );
}

export const pgOrderRows = (ids: string[]) =>
  primary<{ id: string; status: string; version: number }>(
    'select id, status, version from orders where id = any($1)',
    [ids],
  );
