// Refund accounting without a stack: what a refund request may take from an order, what stays refundable, and when
// the order is refunded in full; a random sequence of requests never refunds more than was paid.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../errors';
import type { OrderSnapshot, OrderStatus, RefundRecord } from './order';
import { assertRefundWindowOpen, committedAmount, planRefund, refundableAmount, settleRefunds } from './refunds';

function order(status: OrderStatus = 'paid', refunds: RefundRecord[] = []): OrderSnapshot {
  return {
    id: 'ord_test0000000',
    version: 3,
    owner: { sub: 'guest:1', role: 'guest', email: 'a@example.com' },
    status,
    lines: [
      { sku: 'A-1', title: 'A', quantity: 2, unitAmount: 1000, lineTotal: 2000 },
      { sku: 'B-1', title: 'B', quantity: 1, unitAmount: 3000, lineTotal: 3000 },
    ],
    totals: { subtotal: 5000, shipping: 0, tax: 500, total: 5500, currency: 'USD', taxRateBps: 1000 },
    shippingAddress: { name: 'A', line1: '1 St', city: 'C', postalCode: '12345', country: 'US' },
    shippingMethod: 'standard',
    payment: { provider: 'stripe', intentId: 'pi_1', status: 'succeeded', amount: 5500, refundedAmount: 0 },
    holdExpiresAt: 0,
    createdAt: 0,
    updatedAt: 0,
    history: [],
    refunds,
  };
}

const record = (amount: number, status: RefundRecord['status'], lines: RefundRecord['lines'] = []): RefundRecord => ({
  id: `re_${amount}_${status}`,
  amount,
  status,
  lines,
  restock: false,
  key: `k${amount}${status}`,
  requestHash: 'h',
  by: { sub: 'm', role: 'merchant' },
  createdAt: 0,
  updatedAt: 0,
});

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as AppError).code;
  }
  return 'none';
};

describe('planRefund', () => {
  it('takes everything left without amount or lines, the value of the lines with lines, else the amount', () => {
    expect(planRefund(order(), {})).toEqual({ amount: 5500, lines: [], restock: false });
    expect(planRefund(order(), { lines: [{ sku: 'A-1', quantity: 1 }] }).amount).toBe(1000);
    expect(planRefund(order(), { amount: 1234, lines: [{ sku: 'B-1', quantity: 1 }], restock: true })).toEqual({
      amount: 1234,
      lines: [{ sku: 'B-1', quantity: 1 }],
      restock: true,
    });
  });

  it('restocks every unit not named by an earlier refund when restock comes without lines', () => {
    const o = order('paid', [record(1000, 'succeeded', [{ sku: 'A-1', quantity: 1 }])]);
    expect(planRefund(o, { restock: true }).lines).toEqual([
      { sku: 'A-1', quantity: 1 },
      { sku: 'B-1', quantity: 1 },
    ]);
  });

  it('counts succeeded, pending and requested refunds against what is left, failed ones not', () => {
    const o = order('paid', [
      record(1000, 'succeeded'),
      record(500, 'pending'),
      record(700, 'requested'),
      record(2000, 'failed'),
    ]);
    expect(committedAmount(o)).toBe(2200);
    expect(refundableAmount(o)).toBe(3300);
    expect(code(() => planRefund(o, { amount: 3301 }))).toBe('REFUND_EXCEEDS_PAID');
    expect(planRefund(o, { amount: 3300 }).amount).toBe(3300);
  });

  it('counts what Stripe reported refunded (e.g. from its dashboard) when it is more than ours', () => {
    const o = order('paid', [record(1000, 'succeeded')]);
    o.payment.reportedRefunded = 4000;
    expect(refundableAmount(o)).toBe(1500);
  });

  it('refuses orders that are not paid, lines not in the order, and more units than are left', () => {
    for (const s of ['pending_payment', 'canceled', 'expired', 'refunded', 'payment_failed'] as const)
      expect(
        code(() => planRefund(order(s), {})),
        s,
      ).toBe('ORDER_STATE_CONFLICT');
    expect(code(() => planRefund(order('fulfilled'), {}))).toBe('none');
    expect(code(() => planRefund(order(), { lines: [{ sku: 'C-1', quantity: 1 }] }))).toBe('VALIDATION_FAILED');
    const twice = [
      { sku: 'A-1', quantity: 1 },
      { sku: 'A-1', quantity: 1 },
    ];
    expect(code(() => planRefund(order(), { lines: twice }))).toBe('VALIDATION_FAILED');
    const o = order('paid', [record(1000, 'succeeded', [{ sku: 'A-1', quantity: 2 }])]);
    expect(code(() => planRefund(o, { lines: [{ sku: 'A-1', quantity: 1 }] }))).toBe('REFUND_EXCEEDS_PAID');
  });
});

describe('settleRefunds', () => {
  it('keeps a partly refunded order as it is and says when the refunds add up to the payment', () => {
    const o = order('paid', [record(2000, 'succeeded'), record(3500, 'pending')]);
    expect(settleRefunds(o)).toBe(false);
    expect(o.payment.refundedAmount).toBe(2000);
    o.refunds![1]!.status = 'succeeded';
    expect(settleRefunds(o)).toBe(true);
    expect(o.payment.refundedAmount).toBe(5500);
  });

  it('never lets a sequence of accepted refunds add up to more than was paid', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ amount: fc.integer({ min: 1, max: 6000 }), outcome: fc.constantFrom('ok', 'fail') }), {
          maxLength: 20,
        }),
        (requests) => {
          const o = order();
          for (const req of requests) {
            try {
              const plan = planRefund(o, { amount: req.amount });
              o.refunds!.push(record(plan.amount, req.outcome === 'ok' ? 'succeeded' : 'failed'));
            } catch (err) {
              expect((err as AppError).code).toBe('REFUND_EXCEEDS_PAID');
            }
            expect(committedAmount(o)).toBeLessThanOrEqual(o.payment.amount);
          }
        },
      ),
    );
  });
});

describe('the refund window', () => {
  const DAY = 86_400_000;
  it('allows a refund until the window has passed, then refuses it with a 409 naming the window', () => {
    const o = order('fulfilled');
    expect(() => assertRefundWindowOpen(o, 179 * DAY, 180, 'a refund')).not.toThrow();
    let err: AppError | undefined;
    try {
      assertRefundWindowOpen(o, 180 * DAY, 180, 'a refund');
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.code).toBe('ORDER_STATE_CONFLICT');
    expect(err?.message).toMatch(/180-day refund window has passed.*a refund is no longer possible/);
  });
});
