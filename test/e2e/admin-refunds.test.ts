// Merchant refunds through the running stack and the local Stripe: partial then full, restocked lines, the
// Idempotency-Key (one refund per key), over-refunds refused, concurrent refunds never past what was paid, Stripe's
// refund events reflected on the order, and a refund Stripe keeps refusing seen, retried and given up as a stuck task.
// The stuck tasks that hang the local Stripe for everyone are in admin-refunds-hang.test.ts (run serially).
import { describe, expect, it } from 'vitest';
import {
  adminOrder,
  adminToken,
  dispute,
  inventory,
  merchantToken,
  paidOrder,
  refund,
  stripeRefunded,
  unpaidOrder,
} from './admin-orders-helpers';
import { signedWebhook, stripeEvent } from './checkout-helpers';
import { client, eventually, primary } from './helpers';
import { expectError } from './identity-helpers';

describe('merchant refunds', () => {
  it('refunds part (restocking a line), then the rest: the order ends refunded, Stripe refunded exactly once each', async () => {
    const { orderId, sku, total, intentId } = await paidOrder(2, { onHand: 10, price: 2500 });
    expect(await inventory(sku)).toMatchObject({ onHand: 10, sold: 2, available: 8 });
    const key = crypto.randomUUID();
    const part = await refund(orderId, { lines: [{ sku, quantity: 1 }], restock: true, reason: 'damaged' }, key);
    expect(part.response.status, JSON.stringify(part.error)).toBe(201);
    expect(part.data!.refund).toMatchObject({
      amount: { amount: 2500, currency: 'USD' },
      status: 'succeeded',
      lines: [{ sku, quantity: 1 }],
      restock: true,
      reason: 'damaged',
      stripeRefundId: expect.stringMatching(/^re_/),
    });
    expect(part.data!.refund.restockedAt).not.toBeNull();
    expect(part.data!.order).toMatchObject({
      status: 'paid',
      payment: { refunded: { amount: 2500 } },
      refundable: { amount: total - 2500 },
    });
    expect(await inventory(sku)).toMatchObject({ onHand: 10, sold: 1, available: 9 });

    // The same key and body: the same refund, never a second one.
    const replay = await refund(orderId, { lines: [{ sku, quantity: 1 }], restock: true, reason: 'damaged' }, key);
    expect(replay.response.status).toBe(200);
    expect(replay.data!.refund.id).toBe(part.data!.refund.id);
    expectError(await refund(orderId, { amount: 100 }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await stripeRefunded(intentId)).toBe(2500);
    expect(await inventory(sku)).toMatchObject({ sold: 1, available: 9 });

    const rest = await refund(orderId, {});
    expect(rest.response.status, JSON.stringify(rest.error)).toBe(201);
    expect(rest.data!.refund).toMatchObject({ amount: { amount: total - 2500 }, status: 'succeeded', lines: [] });
    expect(rest.data!.order).toMatchObject({
      status: 'refunded',
      payment: { refunded: { amount: total } },
      refundable: { amount: 0 },
    });
    expect(await stripeRefunded(intentId)).toBe(total);
    expect(await inventory(sku)).toMatchObject({ sold: 1 }); // the second refund did not restock
    expectError(await refund(orderId, { amount: 1 }), 409, 'ORDER_STATE_CONFLICT');

    // Stripe's events come back through the webhook and are applied once each (nothing more refunded).
    // Stripe's charge.refunded events come back through the webhook and are noted on the order, once each.
    const reflected = await eventually('charge.refunded reflected on the order', async () => {
      const { data } = await adminOrder(orderId);
      const notes = data!.history.filter((h) => /^Stripe reports \d+ refunded \(evt_/.test(h.reason));
      return notes.some((h) => h.reason.startsWith(`Stripe reports ${total} `)) ? notes : false;
    });
    expect(reflected.map((h) => h.reason.split(' ')[2])).toEqual(['2500', String(total)]);
    expect((await adminOrder(orderId)).data!.payment.refunded.amount).toBe(total);

    // Every refund request is audited: who, the order before and after; refused ones as failed.
    const audit = await client(await merchantToken()).GET('/v1/admin/audit', {
      params: { query: { targetType: 'order', targetId: orderId } },
    });
    const rows = audit.data!.items;
    expect(rows.every((r) => r.action === 'order.refund' && r.actor.role === 'merchant')).toBe(true);
    expect(rows.filter((r) => r.outcome === 'succeeded')).toHaveLength(3); // part, its replay, the rest
    expect(rows.filter((r) => r.outcome === 'failed')).toHaveLength(2); // the reused key, the refund of a refunded order
    const first = rows.at(-1)!;
    expect(first.before).toMatchObject({ status: 'paid', refundable: { amount: total } });
    expect(first.after).toMatchObject({ replayed: false, order: { refundable: { amount: total - 2500 } } });
  });

  it('refuses an over-refund, bad input and a missing key, and refunds nothing', async () => {
    const { orderId, sku, total, intentId } = await paidOrder(1);
    expectError(await refund(orderId, { amount: total + 1 }), 409, 'REFUND_EXCEEDS_PAID');
    expectError(await refund(orderId, { lines: [{ sku, quantity: 2 }] }), 409, 'REFUND_EXCEEDS_PAID');
    expectError(await refund(orderId, { lines: [{ sku: 'NOT-IN-ORDER', quantity: 1 }] }), 400);
    expectError(await refund(orderId, { amount: 0 }), 400, 'VALIDATION_FAILED');
    expectError(await refund(orderId, { amount: 1.5 }), 400, 'VALIDATION_FAILED');
    expectError(await refund(orderId, { amount: 100, tip: 1 } as never), 400, 'VALIDATION_FAILED');
    expectError(await refund(orderId, { amount: 100 }, null), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    expectError(await refund(orderId, { amount: 100 }, 'short'), 400, 'VALIDATION_FAILED');
    expectError(await refund('ord_0000000000zzzz', { amount: 100 }), 404, 'NOT_FOUND');
    const unpaid = await unpaidOrder(1);
    expectError(await refund(unpaid.orderId, { amount: 100 }), 409, 'ORDER_STATE_CONFLICT');
    expect(await stripeRefunded(intentId)).toBe(0);
    expect((await adminOrder(orderId)).data).toMatchObject({ refunds: [], refundable: { amount: total } });
  });

  it('never refunds more than was paid under concurrent refunds, and one key refunds once however often sent', async () => {
    const { orderId, total, intentId } = await paidOrder(2, { price: 3000 });
    const third = Math.floor(total / 3);
    const answers = await Promise.all(Array.from({ length: 8 }, () => refund(orderId, { amount: third })));
    const statuses = answers.map((a) => a.response.status).sort();
    // Taken: 201 (Stripe took it) or 202 (recorded, sent by the outbox). On a loaded machine an answer may also be
    // 503 (the audit entry could not be written, so nothing was done); the money invariant holds either way.
    const taken = statuses.filter((s) => s === 201 || s === 202).length;
    expect(
      statuses.every((s) => [201, 202, 409, 503].includes(s)),
      JSON.stringify(statuses),
    ).toBe(true);
    expect(taken).toBe(Math.min(3, 8 - statuses.filter((s) => s === 503).length));
    for (const a of answers.filter((x) => x.response.status === 409))
      expect(a.error!.error.code).toBe('REFUND_EXCEEDS_PAID');
    await eventually('refunds sent', async () => (await stripeRefunded(intentId)) === taken * third, 20_000);

    const key = crypto.randomUUID();
    const rest = total - taken * third;
    const same = await Promise.all(Array.from({ length: 6 }, () => refund(orderId, { amount: rest }, key)));
    const ids = new Set(same.map((a) => a.data?.refund.id));
    expect(ids.size, JSON.stringify(same.map((a) => a.error))).toBe(1);
    expect(same.filter((a) => a.response.status === 201 || a.response.status === 202)).toHaveLength(1);
    await eventually('the rest refunded', async () => (await stripeRefunded(intentId)) === total, 20_000);
    const order = (await adminOrder(orderId)).data!;
    expect(order).toMatchObject({ status: 'refunded', refundable: { amount: 0 } });
    expect(order.refunds.reduce((n, r) => n + r.amount.amount, 0)).toBe(total);
  });

  it('reflects a refund that Stripe later reports failed (webhook): the money is refundable again', async () => {
    const { orderId } = await paidOrder(1);
    const made = await refund(orderId, { amount: 500 });
    expect(made.response.status).toBe(201);
    const r = made.data!.refund;
    // Stripe's own charge.refunded for it first, so the failure below is the last word.
    await eventually('charge.refunded reflected', async () =>
      (await adminOrder(orderId)).data!.history.some((h) => h.reason.startsWith('Stripe reports 500 refunded')),
    );
    const event = stripeEvent('refund.updated', {
      id: r.stripeRefundId!,
      object: 'refund',
      amount: 500,
      status: 'failed',
      failure_reason: 'expired_or_canceled_card',
      payment_intent: made.data!.order.payment.paymentIntentId,
      metadata: { orderId, owner: 'someone-else', refundId: r.id },
    });
    // The owner in the metadata names the OrdersDO: a wrong one finds no such order there.
    const wrongOwner = await signedWebhook(event as never);
    expect(wrongOwner.data).toMatchObject({ outcome: 'unknown_order' });
    const order0 = (await adminOrder(orderId)).data!;
    const owner = await ownerOf(orderId);
    const real = stripeEvent('refund.updated', { ...event.data.object, metadata: { orderId, owner, refundId: r.id } });
    expect((await signedWebhook(real as never)).data).toMatchObject({ outcome: 'applied' });
    expect((await signedWebhook(real as never)).data).toMatchObject({ outcome: 'duplicate' });
    const after = (await adminOrder(orderId)).data!;
    expect(after.refunds[0]).toMatchObject({ status: 'failed', failure: 'expired_or_canceled_card' });
    expect(after.refundable.amount).toBe(order0.refundable.amount + 500);
    expect(after.payment.refunded.amount).toBe(0);
    // Stripe does not deliver in order: a charge.refunded made before the failure (it still counts the 500)
    // arriving now is out of date and must not mark the money refunded again.
    const late = stripeEvent('charge.refunded', {
      id: `ch_late_${orderId.slice(-8)}`,
      object: 'charge',
      amount_refunded: 500,
      payment_intent: made.data!.order.payment.paymentIntentId,
      metadata: { orderId, owner },
    });
    const beforeFailure = { ...late, created: real.created - 5 };
    expect((await signedWebhook(beforeFailure as never)).data).toMatchObject({ outcome: 'stale' });
    const stillFailed = (await adminOrder(orderId)).data!;
    expect(stillFailed.payment.refunded.amount).toBe(0);
    expect(stillFailed.refundable.amount).toBe(after.refundable.amount);
    // One made after the failure is applied as Stripe's word on the charge (here: a refund made in the dashboard).
    const newer = {
      ...late,
      id: `${late.id}b`,
      created: real.created + 5,
      data: { object: { ...late.data.object, amount_refunded: 300 } },
    };
    expect((await signedWebhook(newer as never)).data).toMatchObject({ outcome: 'applied' });
    expect((await adminOrder(orderId)).data!.payment.refunded.amount).toBe(300);
  });
});

async function ownerOf(orderId: string): Promise<string> {
  const [row] = await primary<{ owner_sub: string }>('select owner_sub from orders where id = $1', [orderId]);
  return row!.owner_sub;
}

describe('stuck tasks', () => {
  const tasks = async () => (await client(await adminToken()).GET('/v1/admin/tasks', {})).data!.tasks;
  const stuckOf = (orderId: string) =>
    eventually(`a stuck task of ${orderId}`, async () => (await tasks()).find((t) => t.orderId === orderId), 10_000);

  it('shows a refund Stripe keeps refusing; a retry after the cause is fixed refunds it once', async () => {
    const { orderId, total, intentId } = await paidOrder(1);
    await dispute(intentId, 'needs_response');
    const r = await refund(orderId, { amount: 700 });
    expect(r.response.status, JSON.stringify(r.error)).toBe(202);
    expect(r.data!.refund).toMatchObject({ status: 'requested', failure: expect.stringMatching(/charged back/) });
    expect(r.data!.order.refundable.amount).toBe(total - 700);

    const task = await stuckOf(orderId);
    expect(task).toMatchObject({ kind: 'refunds', lastError: expect.stringMatching(/charge_disputed/) });
    const retry = (id: string, token?: Promise<string>) =>
      token!.then((t) => client(t).POST('/v1/admin/tasks/{id}/retry', { params: { path: { id } } }));
    expectError(await retry(task.id, merchantToken()), 403, 'FORBIDDEN');
    const still = await retry(task.id, adminToken());
    expect(still.data!.task).toMatchObject({ id: task.id, lastError: expect.stringMatching(/charge_disputed/) });
    expect(still.data!.task!.attempts).toBeGreaterThan(task.attempts);

    await dispute(intentId, 'won');
    const done = await retry(task.id, adminToken());
    expect(done.data!.task).toBeNull();
    expect((await adminOrder(orderId)).data!.refunds[0]).toMatchObject({
      status: 'succeeded',
      amount: { amount: 700 },
    });
    expect(await stripeRefunded(intentId)).toBe(700);
    expectError(await retry(task.id, adminToken()), 404, 'NOT_FOUND');
  });

  it('gives up a refund Stripe keeps refusing: it fails, the amount is refundable again, nothing was refunded', async () => {
    const { orderId, total, intentId } = await paidOrder(1);
    await dispute(intentId, 'needs_response');
    expect((await refund(orderId, { amount: 300 })).response.status).toBe(202);
    const task = await stuckOf(orderId);
    const admin = client(await adminToken());
    expectError(await admin.POST('/v1/admin/tasks/{id}/give-up', { params: { path: { id: 'nope' } } }), 400);
    const bogus = `${'0'.repeat(64)}.1`;
    expectError(await admin.POST('/v1/admin/tasks/{id}/give-up', { params: { path: { id: bogus } } }), 404);
    const gaveUp = await admin.POST('/v1/admin/tasks/{id}/give-up', { params: { path: { id: task.id } } });
    expect(gaveUp.response.status, JSON.stringify(gaveUp.error)).toBe(200);
    const order = (await adminOrder(orderId)).data!;
    expect(order.refunds[0]).toMatchObject({ status: 'failed', failure: expect.stringMatching(/given up by admin/) });
    expect(order.refundable.amount).toBe(total);
    expect(await stripeRefunded(intentId)).toBe(0);
    await eventually('the task gone from the view', async () => !(await tasks()).some((t) => t.orderId === orderId));
  });
});
