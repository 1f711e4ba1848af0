// The OrdersDO rebuild's pure part (rebuild.ts): an order snapshot made from its Postgres rows, and the plan that
// restores what the object lacks or keeps older, and never overwrites an order the object has at the copy's
// version or newer.
import { describe, expect, it } from 'vitest';
import { planRefund, refundableAmount, refundedAmount } from '../../lib/checkout/refunds';
import { planOrdersRebuild, snapshotFromCopy } from './rebuild';

const t = 1_800_000_000_000;
const rows = (over: Record<string, unknown> = {}) => ({
  order: {
    id: 'ord_1',
    version: 4,
    owner_sub: 'guest:1',
    owner_role: 'guest',
    email: 'a@b.test',
    status: 'paid',
    currency: 'USD',
    subtotal: 2000,
    shipping: 500,
    tax: 145,
    total: 2645,
    tax_rate_bps: 725,
    shipping_method: 'standard',
    shipping_address: { name: 'A', line1: '1 St', city: 'X', postalCode: '1', country: 'US' },
    hold_expires_at: t + 900_000,
    created_at: t,
    updated_at: t + 5000,
    ...over,
  },
  lines: [{ order_id: 'ord_1', sku: 'SKU-1', title: 'Shirt', quantity: 2, unit_amount: 1000, line_total: 2000 }],
  payment: {
    order_id: 'ord_1',
    provider: 'stripe',
    intent_id: 'pi_1',
    status: 'succeeded',
    amount: 2645,
    refunded_amount: 0,
  },
  events: [
    {
      seq: 2,
      from_status: 'pending_payment',
      to_status: 'paid',
      reason: 'paid',
      stripe_event_id: 'evt_1',
      at: t + 5000,
    },
    { seq: 1, from_status: 'created', to_status: 'pending_payment', reason: 'accepted', stripe_event_id: null, at: t },
  ],
});

describe('snapshotFromCopy', () => {
  it("makes the order the object had from Postgres' rows, history in order", () => {
    const o = snapshotFromCopy(rows());
    expect(o).toMatchObject({
      id: 'ord_1',
      version: 4,
      owner: { sub: 'guest:1', role: 'guest', email: 'a@b.test' },
      status: 'paid',
      lines: [{ sku: 'SKU-1', title: 'Shirt', quantity: 2, unitAmount: 1000, lineTotal: 2000 }],
      totals: { subtotal: 2000, shipping: 500, tax: 145, total: 2645, currency: 'USD', taxRateBps: 725 },
      payment: { provider: 'stripe', intentId: 'pi_1', status: 'succeeded', amount: 2645, refundedAmount: 0 },
      holdExpiresAt: t + 900_000,
      createdAt: t,
      updatedAt: t + 5000,
    });
    expect(o.history.map((h) => [h.from, h.to])).toEqual([
      ['created', 'pending_payment'],
      ['pending_payment', 'paid'],
    ]);
    expect(o.history[1]!.stripeEventId).toBe('evt_1');
    expect('stripeEventId' in o.history[0]!).toBe(false);
    expect(o.refunds).toBeUndefined();
  });

  it('keeps a refunded total as one restored refund: later refunds add to it, no unit is refunded twice', () => {
    const base = rows({ status: 'fulfilled' });
    const o = snapshotFromCopy({ ...base, payment: { ...base.payment, refunded_amount: 500 } });
    expect(o.payment).toMatchObject({ refundedAmount: 500, reportedRefunded: 500 });
    expect(o.refunds).toEqual([
      expect.objectContaining({
        amount: 500,
        status: 'succeeded',
        restock: false,
        lines: [{ sku: 'SKU-1', quantity: 2 }],
      }),
    ]);
    expect(refundedAmount(o)).toBe(500);
    expect(refundableAmount(o)).toBe(2645 - 500);
    // No line is left to refund (Postgres does not say which were), so no unit is restocked twice.
    expect(() => planRefund(o, { lines: [{ sku: 'SKU-1', quantity: 1 }], restock: true })).toThrow(/Only 0 unit/);
    expect(planRefund(o, { amount: 300 })).toMatchObject({ amount: 300, lines: [] });
  });

  it('refuses a status the state machine does not know', () => {
    expect(() => snapshotFromCopy(rows({ status: 'lost' }))).toThrow(/unknown order status/);
  });
});

describe('planOrdersRebuild', () => {
  const copy = (id: string, version: number) => ({ ...snapshotFromCopy(rows({ id })), version });

  it('restores what the object lacks or has older, keeps what it has at that version or newer', () => {
    const plan = planOrdersRebuild(
      new Map([
        ['older', 2],
        ['same', 4],
        ['newer', 9],
      ]),
      [copy('missing', 3), copy('older', 4), copy('same', 4), copy('newer', 5)],
    );
    expect(plan.restore).toEqual([
      { id: 'missing', status: 'paid', version: 3, objectVersion: null },
      { id: 'older', status: 'paid', version: 4, objectVersion: 2 },
    ]);
    expect(plan.keep).toEqual([
      { id: 'same', version: 4, copyVersion: 4 },
      { id: 'newer', version: 9, copyVersion: 5 },
    ]);
  });

  it('plans nothing once applied (the versions the object then has)', () => {
    const copies = [copy('a', 3), copy('b', 1)];
    const applied = new Map(copies.map((c) => [c.id, c.version]));
    expect(planOrdersRebuild(applied, copies).restore).toEqual([]);
  });
});
