// Checkout, stock and orders through the running stack (gateway -> checkout worker -> OrdersDO / InventoryDO,
// the local Stripe server, its signed webhooks, the `orders` Queue and Postgres), with real concurrency. The
// 200-shopper race, which takes both cores, is in checkout-race.test.ts (run serially).
import { describe, expect, it } from 'vitest';
import {
  address,
  addToCart,
  adjustStock,
  adminToken,
  as,
  checkout,
  checkoutBody,
  freshSku,
  guestToken,
  intentsOfOrder,
  invariantHolds,
  inventory,
  orderOf,
  orders,
  pgOrderRows,
  setStock,
  shopperWith,
  signedWebhook,
  stripe,
  stripeEvent,
  waitForStatus,
} from './checkout-helpers';
import { api, client, eventually, ok, postJson, primary } from './helpers';

const cartOf = (token: string) => ok('cart', client(token).GET('/v1/cart'));
const usd = (amount: number) => ({ amount, currency: 'USD' });

describe('checkout', () => {
  it('accepts a paid checkout: 202, the order visible at once, paid through the webhook, stock sold, cart emptied, one row in Postgres', async () => {
    const sku = await freshSku(5, 4000);
    const token = await shopperWith(sku, 2);
    const r = await checkout(token);
    expect(r.response.status).toBe(202);
    expect(r.data).toMatchObject({ status: 'pending_payment', payment: { provider: 'stripe', status: 'succeeded' } });
    // 2 x 40.00, domestic standard shipping 5.00 (under the free threshold), US tax 7.25 % of 85.00 = 6.16
    expect(r.data!.totals).toEqual({
      subtotal: usd(8000),
      shipping: usd(500),
      tax: usd(616),
      total: usd(9116),
      taxRateBps: 725,
    });
    expect(r.data!.holdExpiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(r.response.headers.get('location')).toBe(`/v1/orders/${r.data!.orderId}`);
    const orderId = r.data!.orderId;

    // Visible to its owner at once, whatever the consumer and the replica have done.
    const now = await orderOf(token, orderId);
    expect(now.response.status).toBe(200);
    expect(['pending_payment', 'paid']).toContain(now.data!.status);

    const paid = await waitForStatus(token, orderId, 'paid', 5000);
    expect(paid.history.map((h) => h.to)).toEqual(['pending_payment', 'paid']);
    expect(paid.payment).toMatchObject({ status: 'succeeded', amount: usd(9116), refunded: usd(0) });
    expect(paid.lines).toEqual([
      { sku, title: expect.any(String), quantity: 2, unitPrice: usd(4000), lineTotal: usd(8000) },
    ]);
    expect(await inventory(sku)).toMatchObject({ onHand: 5, held: 0, sold: 2, available: 3 });
    expect((await cartOf(token)).itemCount).toBe(0);

    const listed = await ok('orders', orders(token));
    expect(listed.orders.map((o) => o.id)).toEqual([orderId]);

    const rows = await eventually(
      'paid order in Postgres',
      async () => {
        const found = await pgOrderRows([orderId]);
        return found.length === 1 && found[0]!.status === 'paid' ? found : false;
      },
      10_000,
    );
    expect(rows).toHaveLength(1);
    const lines = await primary('select sku, quantity, unit_amount from order_lines where order_id = $1', [orderId]);
    expect(lines).toEqual([{ sku, quantity: 2, unit_amount: 4000 }]);
    const [payment] = await primary('select intent_id, status, amount from payments where order_id = $1', [orderId]);
    expect(payment).toEqual({ intent_id: paid.payment.paymentIntentId, status: 'succeeded', amount: 9116 });
    await eventually(
      'stock levels copied to Postgres',
      async () => {
        const [l] = await primary('select on_hand, held, sold, available from inventory_levels where sku = $1', [sku]);
        return l && l.sold === 2 && l.available === 3 && l.on_hand === 5;
      },
      10_000,
    );

    // Another shopper cannot see it.
    const other = await guestToken();
    expect((await orderOf(other, orderId)).response.status).toBe(404);
    expect((await ok('orders', orders(other))).orders).toEqual([]);
  });

  it('refuses bad requests with a 4xx and changes nothing', async () => {
    const sku = await freshSku(3);
    const token = await shopperWith(sku, 1);
    expect((await checkout(token, checkoutBody(), null)).error?.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    const shortKey = await checkout(token, checkoutBody(), 'short');
    expect(shortKey.response.status).toBe(400);
    expect(shortKey.error?.error.message).toBe('Invalid headers: idempotency-key: 8 to 255 visible ASCII characters');
    // Bodies the typed client would not build: sent raw, as a hostile or broken client would.
    const bad: [unknown, RegExp][] = [
      [
        { ...checkoutBody(), shippingAddress: { ...address, country: 'XX' } },
        /^Invalid body: shippingAddress\.country: /,
      ],
      [
        { ...checkoutBody(), shippingAddress: { ...address, postalCode: '!' } },
        /^Invalid body: shippingAddress\.postalCode: a postal code \(3 to 12 letters/,
      ],
      [{ ...checkoutBody(), paymentMethod: 'card_4242' }, /^Invalid body: paymentMethod: a Stripe PaymentMethod id/],
      [{ ...checkoutBody(), email: 'not-an-email' }, /^Invalid body: email: Invalid email address$/],
      [{ ...checkoutBody(), extra: true }, /^Invalid body: Unrecognized key: "extra"$/],
      [{ ...checkoutBody(), email: undefined }, /email/], // guests must give an email
    ];
    for (const [body, message] of bad) {
      const r = await postJson('/v1/checkout', body, as(token, { 'idempotency-key': crypto.randomUUID() }));
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect(r.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    const twoBad = await postJson(
      '/v1/checkout',
      { ...checkoutBody(), email: 'nope', shippingAddress: { ...address, postalCode: '!' } },
      as(token, { 'idempotency-key': crypto.randomUUID() }),
    );
    expect(twoBad.body.error.message).toBe(
      'Invalid body: email: Invalid email address; ' +
        'shippingAddress.postalCode: a postal code (3 to 12 letters, digits, spaces or dashes)',
    );
    expect(twoBad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'email',
      'shippingAddress.postalCode',
    ]);
    const anonymous = await client().POST('/v1/checkout', {
      params: { header: { 'idempotency-key': crypto.randomUUID() } },
      body: checkoutBody(),
    });
    expect(anonymous.response.status).toBe(401);
    const unknownPm = await checkout(token, checkoutBody('pm_card_doesNotExist'));
    expect(unknownPm.response.status).toBe(422);
    expect(unknownPm.error?.error.code).toBe('INVALID_PAYMENT_METHOD');
    expect(await inventory(sku)).toMatchObject({ onHand: 3, held: 0, sold: 0, available: 3 });
    expect((await cartOf(token)).itemCount).toBe(1);
    expect((await ok('orders', orders(token))).orders).toEqual([]);

    const empty = await checkout(await guestToken());
    expect(empty.response.status).toBe(422);
    expect(empty.error?.error.code).toBe('CART_EMPTY');
  });

  it('answers a declined card with 402, releases the stock and keeps the cart', async () => {
    const sku = await freshSku(4);
    const token = await shopperWith(sku, 3);
    const r = await checkout(token, checkoutBody('pm_card_chargeDeclined'));
    expect(r.response.status).toBe(402);
    expect(r.error?.error).toMatchObject({ code: 'PAYMENT_DECLINED', details: { declineCode: 'generic_decline' } });
    expect(await inventory(sku)).toMatchObject({ onHand: 4, held: 0, sold: 0, available: 4 });
    expect((await cartOf(token)).itemCount).toBe(3);
    const order = await orderOf(token, (r.error!.error.details as { orderId: string }).orderId);
    expect(order.data?.status).toBe('payment_failed');
  });

  it('replays a key: 20 identical checkouts at once make 1 order and 1 PaymentIntent; another body under the key is refused', async () => {
    const sku = await freshSku(10);
    const token = await shopperWith(sku, 2);
    const key = crypto.randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => checkout(token, checkoutBody(), key)));
    expect(answers.map((a) => a.response.status)).toEqual(Array(20).fill(202));
    const ids = new Set(answers.map((a) => a.data!.orderId));
    expect(ids.size).toBe(1);
    const orderId = [...ids][0]!;
    expect(new Set(answers.map((a) => a.data!.payment.paymentIntentId)).size).toBe(1);
    expect(await intentsOfOrder(orderId)).toHaveLength(1);
    await waitForStatus(token, orderId, 'paid');
    expect(await inventory(sku)).toMatchObject({ held: 0, sold: 2, available: 8 });
    expect((await ok('orders', orders(token))).orders).toHaveLength(1);

    // Later replays: the same answer, still one order.
    const later = await checkout(token, checkoutBody(), key);
    expect(later.response.status).toBe(202);
    expect(later.data!.orderId).toBe(orderId);
    const reused = await checkout(token, checkoutBody('pm_card_visa', { shippingMethod: 'express' }), key);
    expect(reused.response.status).toBe(422);
    expect(reused.error?.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await eventually('one row in Postgres', async () => (await pgOrderRows([orderId])).length === 1, 10_000);
  });

  it('buys one cart once: 6 checkouts of it at once under different keys make 1 order, the rest find it empty', async () => {
    // Each new key is screened (the cart read) before the checkouts of the shopper run one after another: a cart read
    // before another checkout took its lines must not be bought again.
    const sku = await freshSku(20);
    const token = await shopperWith(sku, 2);
    const answers = await Promise.all(Array.from({ length: 6 }, () => checkout(token, checkoutBody())));
    const tally: Record<string, number> = {};
    for (const a of answers) {
      const label = `${a.response.status} ${a.error?.error.code ?? ''}`.trim();
      tally[label] = (tally[label] ?? 0) + 1;
    }
    expect(tally).toEqual({ '202': 1, '422 CART_EMPTY': 5 });
    const orderId = answers.find((a) => a.response.status === 202)!.data!.orderId;
    await waitForStatus(token, orderId, 'paid');
    expect(await inventory(sku)).toMatchObject({ held: 0, sold: 2, available: 18 });
  });

  it('enforces a per-customer cap', async () => {
    const sku = await freshSku(50);
    expect((await setStock(sku, 50, { maxPerCustomer: 2 })).data?.maxPerCustomer).toBe(2);
    const token = await shopperWith(sku, 3);
    const r = await checkout(token);
    expect(r.response.status).toBe(409);
    expect(r.error?.error.code).toBe('CUSTOMER_LIMIT_EXCEEDED');
    expect(await inventory(sku)).toMatchObject({ held: 0, available: 50 });
  });

  it('releases a hold that is never paid: the order expires, the PaymentIntent is canceled, the stock comes back', async () => {
    const sku = await freshSku(3);
    const token = await shopperWith(sku, 2);
    const r = await checkout(token, checkoutBody('pm_card_authenticationRequired'));
    expect(r.response.status).toBe(202);
    expect(r.data!.payment.status).toBe('requires_action');
    expect(r.data!.payment.nextAction?.url).toMatch(/^http/);
    expect(await inventory(sku)).toMatchObject({ held: 2, available: 1 });
    const expired = await waitForStatus(token, r.data!.orderId, 'expired', 30_000);
    expect(expired.history.at(-1)!.reason).toMatch(/hold expired/);
    expect(await inventory(sku)).toMatchObject({ onHand: 3, held: 0, sold: 0, available: 3 });
    const pi = await stripe().paymentIntents.retrieve(r.data!.payment.paymentIntentId!);
    expect(pi.status).toBe('canceled');
  }, 60_000);

  it('completes a payment that needed the shopper (3-D Secure): paid through the webhook once it is done', async () => {
    const sku = await freshSku(3);
    const token = await shopperWith(sku, 1);
    const r = await checkout(token, checkoutBody('pm_card_authenticationRequired'));
    expect(r.response.status).toBe(202);
    expect(r.data!.payment).toMatchObject({ status: 'requires_action', nextAction: { type: 'redirect_to_url' } });
    const done = await fetch(r.data!.payment.nextAction!.url!, { method: 'POST', signal: AbortSignal.timeout(5000) });
    expect(done.status).toBe(200);
    await waitForStatus(token, r.data!.orderId, 'paid');
    expect(await inventory(sku)).toMatchObject({ held: 0, sold: 1, available: 2 });
  });

  it('closes the order and releases the stock when the payment is canceled', async () => {
    const sku = await freshSku(3);
    const token = await shopperWith(sku, 2);
    const r = await checkout(token, checkoutBody('pm_card_authenticationRequired'));
    expect(r.response.status).toBe(202);
    await stripe().paymentIntents.cancel(r.data!.payment.paymentIntentId!);
    const canceled = await waitForStatus(token, r.data!.orderId, 'canceled');
    expect(canceled.payment.status).toBe('canceled');
    expect(await inventory(sku)).toMatchObject({ onHand: 3, held: 0, sold: 0, available: 3 });
  });

  it('applies webhook events once, whatever their order: duplicates and stale events change nothing', async () => {
    const sku = await freshSku(5);
    const token = await shopperWith(sku, 2);
    const r = await checkout(token, checkoutBody('pm_card_authenticationRequired'));
    expect(r.response.status).toBe(202);
    const pi = await stripe().paymentIntents.retrieve(r.data!.payment.paymentIntentId!);
    const event = (type: string, status: string) =>
      // A succeeded intent has received its amount (the webhook refuses any other amount).
      stripeEvent(type, { ...pi, status, ...(status === 'succeeded' ? { amount_received: pi.amount } : {}) });
    const succeeded = event('payment_intent.succeeded', 'succeeded');
    const failed = event('payment_intent.payment_failed', 'requires_payment_method');
    // The success, five times at once, then a stale failure and the success again.
    const first = await Promise.all(Array.from({ length: 5 }, () => signedWebhook(succeeded)));
    expect(first.map((a) => a.response.status)).toEqual(Array(5).fill(200));
    expect(first.filter((a) => a.data?.outcome === 'applied')).toHaveLength(1);
    expect((await signedWebhook(failed)).data?.outcome).toBe('ignored');
    expect((await signedWebhook(succeeded)).data?.outcome).toBe('duplicate');
    const order = await ok('order', orderOf(token, r.data!.orderId));
    expect(order.status).toBe('paid');
    expect(order.history.map((h) => h.to)).toEqual(['pending_payment', 'paid']);
    expect(await inventory(sku)).toMatchObject({ onHand: 5, held: 0, sold: 2, available: 3 });

    // Money for an order nobody knows (e.g. an abandoned attempt that Stripe charged after all) goes back.
    const stray = await stripe().paymentIntents.create({
      amount: 1234,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { orderId: 'ord_000000000000unknown', owner: 'guest:00000000-0000-4000-8000-000000000000' },
    });
    const strayEvent = {
      ...event('payment_intent.succeeded', 'succeeded'),
      data: { object: stray as unknown as Record<string, unknown> },
    };
    expect((await signedWebhook(strayEvent)).data?.outcome).toBe('refunded_unknown');
    expect((await stripe().charges.retrieve(stray.latest_charge as string)).amount_refunded).toBe(1234);

    // Forged or damaged deliveries are refused.
    const forged = await signedWebhook(event('payment_intent.succeeded', 'succeeded'), 'whsec_not_the_secret');
    expect(forged.response.status).toBe(400);
    expect(forged.error?.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const unsigned = await api('/v1/webhooks/stripe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(succeeded),
    });
    expect(unsigned.status).toBe(400);
  });
});

describe('stock administration', () => {
  it('sets and adjusts on hand, never below what is held or sold, for merchants only', async () => {
    const sku = await freshSku(5);
    const token = await shopperWith(sku, 3);
    expect((await checkout(token, checkoutBody('pm_card_authenticationRequired'))).response.status).toBe(202); // 3 held
    const below = await setStock(sku, 2);
    expect(below.response.status).toBe(409);
    expect(below.error?.error).toMatchObject({
      code: 'STOCK_BELOW_COMMITTED',
      details: { held: 3, sold: 0, minimum: 3 },
    });
    expect((await setStock(sku, 3)).data).toMatchObject({ onHand: 3, held: 3, available: 0 });
    expect((await adjustStock(sku, 7)).data).toMatchObject({ onHand: 10, available: 7 });
    expect((await adjustStock(sku, -8)).response.status).toBe(409);
    const zero = await adjustStock(sku, 0);
    expect(zero.response.status).toBe(400);
    expect(zero.error?.error.message).toBe('Invalid body: delta: must not be 0');
    expect((await setStock(sku, -1)).response.status).toBe(400);
    expect((await setStock(sku, 1.5)).response.status).toBe(400);
    expect((await setStock(sku, 5, {}, await guestToken())).response.status).toBe(403);
    expect(await inventory(sku)).toMatchObject({ onHand: 10, held: 3, sold: 0, available: 7 });
    expect((await api('/v1/inventory/not a sku')).status).toBe(400);
  });

  it('keeps the invariant under a concurrent mix of checkouts and merchant changes', async () => {
    const sku = await freshSku(30);
    const shoppers = await Promise.all(Array.from({ length: 30 }, () => shopperWith(sku, 2)));
    const admin = await adminToken();
    const merchantOps = Array.from({ length: 20 }, (_, i) => adjustStock(sku, i % 2 === 0 ? 3 : -2, admin));
    const answers = await Promise.all([...shoppers.map((t) => checkout(t)), ...merchantOps]);
    expect(answers.every((a) => [200, 202, 409].includes(a.response.status))).toBe(true);
    const levels = await inventory(sku);
    expect(invariantHolds(levels)).toBe(true);
    const accepted = answers.slice(0, 30).filter((a) => a.response.status === 202).length;
    expect(levels.held + levels.sold).toBe(accepted * 2);
  }, 60_000);
});

describe('orders', () => {
  it('pages the caller’s orders newest first', async () => {
    const sku = await freshSku(20);
    const token = await guestToken();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await addToCart(token, sku, 1);
      const r = await checkout(token);
      expect(r.response.status).toBe(202);
      ids.push(r.data!.orderId);
    }
    const page1 = await ok('page 1', orders(token, { limit: 2 }));
    expect(page1.orders.map((o) => o.id)).toEqual([ids[2], ids[1]]);
    const page2 = await ok('page 2', orders(token, { limit: 2, cursor: page1.nextCursor! }));
    expect(page2.orders.map((o) => o.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();
    expect((await api('/v1/orders?limit=0', { headers: as(token) })).status).toBe(400);
    expect((await api('/v1/orders/not-an-order', { headers: as(token) })).status).toBe(400);
    expect((await api('/v1/orders')).status).toBe(401);
  });
});
