// The order page as rendered: the forms its state allows, the refund form's Idempotency-Key, and a refusal shown
// next to the form it refused with the values typed kept (and in no other form).
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../../../lib/client';
import { OrderPage } from './order.page';

const usd = (amount: number) => ({ amount, currency: 'USD' });
const order = (status: Schemas['AdminOrder']['status']): Schemas['AdminOrder'] => ({
  id: 'ord_0123456789abcdef',
  status,
  email: 'ada@example.com',
  customerId: null,
  lines: [{ sku: 'MUG-1', title: 'Mug', quantity: 2, unitPrice: usd(1000), lineTotal: usd(2000) }],
  totals: { subtotal: usd(2000), shipping: usd(500), tax: usd(0), total: usd(2500), taxRateBps: 0 },
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' },
  shippingMethod: 'standard',
  payment: { provider: 'stripe', paymentIntentId: 'pi_1', status: 'succeeded', amount: usd(2500), refunded: usd(0) },
  holdExpiresAt: '2026-11-30T10:00:00.000Z',
  createdAt: '2026-11-30T09:00:00.000Z',
  updatedAt: '2026-11-30T09:00:01.000Z',
  history: [],
  refunds: [],
  refundable: usd(2500),
  fulfillment: null,
});

const render = async (props: Parameters<typeof OrderPage>[0]) => (await OrderPage(props)?.toString()) as string;

describe('order page', () => {
  it('offers refund and fulfil on a paid order, cancel on an unpaid one', async () => {
    const paid = await render({ order: order('paid'), refundKey: 'k'.repeat(36), csrf: 'c' });
    expect(paid).toContain('action="/admin/orders/ord_0123456789abcdef/refund"');
    expect(paid).toContain('action="/admin/orders/ord_0123456789abcdef/fulfil"');
    expect(paid).not.toContain('/cancel"');
    expect(paid).toContain(`name="key" value="${'k'.repeat(36)}"`);
    expect(paid).toContain('name="line:MUG-1"');
    const unpaid = await render({ order: order('pending_payment'), refundKey: 'k', csrf: 'c' });
    expect(unpaid).toContain('/cancel"');
    expect(unpaid).not.toContain('/refund"');
  });

  it('says when the order is read from the archive, and offers no form', async () => {
    const archived = { ...order('refunded'), archived: true, archive: { batchId: 7, key: 'archive/batches/7' } };
    const html = await render({ order: archived, refundKey: 'k', csrf: 'c' });
    expect(html).toMatch(/id="order-archived"[^>]*> · archived \(batch 7\)/);
    expect(html).not.toContain('<form method="post"');
    expect(await render({ order: order('refunded'), refundKey: 'k', csrf: 'c' })).not.toContain('order-archived');
  });

  it('shows a refusal next to its form, the values typed kept there only', async () => {
    const html = await render({
      order: order('paid'),
      refundKey: 'k',
      csrf: 'c',
      error: { action: 'refund', message: 'The refund refused (409): REFUND_EXCEEDS_PAID: too much' },
      values: { amount: '999999', reason: 'typed <b>', restock: 'on' },
    });
    expect(html).toMatch(/id="refund-error"[^>]*>The refund refused \(409\): REFUND_EXCEEDS_PAID/);
    expect(html).toContain('aria-describedby="refund-error"');
    expect(html).toContain('value="999999"');
    expect(html).toContain('value="typed &lt;b&gt;"');
    expect(html).toMatch(/id="refund-restock"[^>]*checked/);
    // The fulfil form is not given the refund's values, nor its error.
    expect(html).toMatch(/id="fulfil-carrier"[^>]*value=""/);
    expect(html).not.toContain('fulfil-error');
  });

  it('shows a refusal whose form the order no longer offers at the top', async () => {
    const html = await render({
      order: order('refunded'),
      refundKey: 'k',
      error: { action: 'refund', message: 'The refund refused (409): ORDER_STATE_CONFLICT' },
    });
    expect(html).toContain('id="order-error"');
    expect(html).toContain('ORDER_STATE_CONFLICT');
  });
});
