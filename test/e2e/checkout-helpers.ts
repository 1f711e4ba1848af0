// Helpers for the checkout tests: shoppers with carts, checkout requests, the local Stripe through the real SDK,
// stock through the admin API, and the Postgres copy of orders.
import Stripe from 'stripe';
import { inject } from 'vitest';
import { STRIPE_DEV_SECRET_KEY, STRIPE_DEV_WEBHOOK_SECRET } from '../../dev/stack';
import { type ApiResponse, api, devAccountToken, eventually, insertProduct, postJson, primary } from './helpers';

export const as = (token: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  ...extra,
});

export async function guestToken(): Promise<string> {
  const r = await postJson('/v1/auth/guest', {});
  if (r.status !== 201) throw new Error(`guest token: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.accessToken as string;
}

export async function addToCart(token: string, sku: string, quantity = 1) {
  const r = await postJson('/v1/cart/items', { sku, quantity }, as(token));
  if (r.status !== 200) throw new Error(`add to cart: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
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
  country: 'US',
};
export const checkoutBody = (paymentMethod = 'pm_card_visa', extra: Record<string, unknown> = {}) => ({
  email: 'ada@example.com',
  shippingAddress: address,
  paymentMethod,
  ...extra,
});

export function checkout(
  token: string,
  body: unknown = checkoutBody(),
  key: string | null = crypto.randomUUID(),
): Promise<ApiResponse> {
  return postJson('/v1/checkout', body, as(token, key === null ? {} : { 'idempotency-key': key }));
}

export async function orderOf(token: string, id: string) {
  return api(`/v1/orders/${id}`, { headers: as(token) });
}

export async function inventory(sku: string) {
  const r = await api(`/v1/inventory/${sku}`);
  if (r.status !== 200) throw new Error(`inventory: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as {
    sku: string;
    onHand: number;
    held: number;
    sold: number;
    available: number;
    maxPerCustomer: number | null;
  };
}

export const adminToken = () => devAccountToken('admin');

export async function setStock(sku: string, onHand: number, extra: Record<string, unknown> = {}, token?: string) {
  return api(`/v1/admin/inventory/${sku}`, {
    method: 'PUT',
    headers: as(token ?? (await adminToken()), { 'content-type': 'application/json' }),
    body: JSON.stringify({ onHand, ...extra }),
  });
}

/** A fresh product with one SKU and `onHand` units: a test's own stock that no other test touches. */
export async function freshSku(onHand: number, price = 2500): Promise<string> {
  const slug = await insertProduct({ title: 'Checkout test item', price });
  const [row] = await primary<{ sku: string }>(
    'select v.sku from product_variants v join products p on p.id = v.product_id where p.slug = $1',
    [slug],
  );
  const r = await setStock(row!.sku, onHand);
  if (r.status !== 200) throw new Error(`set stock: ${r.status} ${JSON.stringify(r.body)}`);
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

export async function intentsOfOrder(orderId: string): Promise<Stripe.PaymentIntent[]> {
  const all = await stripe().paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  return all.filter((pi) => pi.metadata?.orderId === orderId);
}

/** A webhook delivery signed exactly as Stripe signs it (the SDK's own test header). */
export function signedWebhook(event: object, secret = STRIPE_DEV_WEBHOOK_SECRET) {
  const payload = JSON.stringify(event);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
  return api('/v1/webhooks/stripe', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    body: payload,
  });
}

export async function waitForStatus(token: string, orderId: string, status: string, timeoutMs = 10_000) {
  return eventually(
    `order ${orderId} ${status}`,
    async () => {
      const r = await orderOf(token, orderId);
      return r.status === 200 && r.body.status === status ? r.body : false;
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
