// Refunds whose send the local Stripe never answers (its brownout switch parks every request, so this file runs in
// the serial e2e group): a give-up is refused while the send may have refunded, and a retry settles it.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { adminOrder, adminToken, paidOrder, refund, stripeRefunded } from './admin-orders-helpers';
import { client, eventually } from './helpers';
import { expectError } from './identity-helpers';

/** The local Stripe's brownout switch: while hung, requests are parked unanswered; on resume they all run. */
async function stripeControl(action: 'hang' | 'resume') {
  const res = await fetch(`${inject('stripeUrl')}/_local/${action}`, {
    method: 'POST',
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`local Stripe ${action}: ${res.status}`);
}

describe('stuck tasks while Stripe does not answer', () => {
  afterEach(() => stripeControl('resume'));
  const tasks = async () => (await client(await adminToken()).GET('/v1/admin/tasks', {})).data!.tasks;
  const stuckOf = (orderId: string) =>
    eventually(`a stuck task of ${orderId}`, async () => (await tasks()).find((t) => t.orderId === orderId), 10_000);

  it('refuses to give up a refund whose send Stripe never answered (it may have refunded); a retry settles it', async () => {
    const { orderId, total, intentId } = await paidOrder(1);
    await stripeControl('hang');
    const sent = await refund(orderId, { amount: 400 });
    expect([202, 503], JSON.stringify(sent.error)).toContain(sent.response.status);
    const task = await stuckOf(orderId);
    const admin = client(await adminToken());
    const gaveUp = await admin.POST('/v1/admin/tasks/{id}/give-up', { params: { path: { id: task.id } } });
    expectError(gaveUp, 409, 'ORDER_STATE_CONFLICT');
    expect(JSON.stringify(gaveUp.error)).toMatch(/never answered/);
    // The parked send runs on resume: Stripe made the refund; failing it locally would let it be refunded again.
    await stripeControl('resume');
    expect((await adminOrder(orderId)).data!.refundable.amount).toBe(total - 400);
    await eventually('the refund settled', async () => {
      await admin.POST('/v1/admin/tasks/{id}/retry', { params: { path: { id: task.id } } });
      return (await adminOrder(orderId)).data!.refunds[0]!.status === 'succeeded';
    });
    expect(await stripeRefunded(intentId)).toBe(400);
  });

  it('refuses to fulfil an order whose whole payment is being refunded', async () => {
    const { orderId } = await paidOrder(1);
    await stripeControl('hang');
    const sent = await refund(orderId, {});
    expect([202, 503], JSON.stringify(sent.error)).toContain(sent.response.status);
    const admin = client(await adminToken());
    const fulfil = await admin.POST('/v1/admin/orders/{id}/fulfillment', {
      params: { path: { id: orderId } },
      body: { carrier: 'UPS', trackingNumber: '1Z999' },
    });
    expectError(fulfil, 409, 'ORDER_STATE_CONFLICT');
    await stripeControl('resume');
  });
});
