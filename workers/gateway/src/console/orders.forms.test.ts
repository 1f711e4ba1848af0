// The console's order and webhook forms as the API's bodies: refund amounts in minor units and per-line units,
// the restock checkbox, fulfilment fields, webhook events ticked, and the order filters' days.
import { describe, expect, it } from 'vitest';
import {
  cancelBodyOf,
  formKey,
  fulfilBodyOf,
  minorUnits,
  orderQueryOf,
  refundBodyOf,
  webhookCreateOf,
} from './orders.forms';

const form = (pairs: [string, string][]) => new URLSearchParams(pairs);

describe('refund form', () => {
  it('an empty form refunds everything left (no amount, no lines, no restock)', () => {
    expect(
      refundBodyOf(
        form([
          ['amount', ''],
          ['reason', '  '],
        ]),
      ),
    ).toEqual({ ok: true, value: {} });
  });

  it('takes an amount in minor units, the lines with units, the restock box and the reason', () => {
    const parsed = refundBodyOf(
      form([
        ['csrf', 'x'],
        ['amount', ' 1250 '],
        ['line:SKU-A', '2'],
        ['line:SKU-B', ''],
        ['line:SKU-C', '0'],
        ['restock', 'on'],
        ['reason', ' dented '],
      ]),
    );
    expect(parsed).toEqual({
      ok: true,
      value: { amount: 1250, lines: [{ sku: 'SKU-A', quantity: 2 }], restock: true, reason: 'dented' },
    });
  });

  it('refuses an amount that is not a whole number of minor units, naming the field', () => {
    for (const bad of ['12.50', '-5', '1e3', 'ten', '12,50', '99999999999']) {
      const parsed = refundBodyOf(form([['amount', bad]]));
      expect(parsed.ok, bad).toBe(false);
      expect(!parsed.ok && parsed.problem).toMatch(/^amount: a whole number of minor units/);
    }
    const units = refundBodyOf(form([['line:SKU-A', '1.5']]));
    expect(units).toEqual({ ok: false, problem: 'units of SKU-A: a whole number' });
  });

  it('leaves the API to judge a zero amount (its 400 names the range)', () => {
    expect(minorUnits('amount', '0')).toEqual({ ok: true, value: 0 });
    expect(refundBodyOf(form([['amount', '0']]))).toEqual({ ok: true, value: { amount: 0 } });
  });
});

describe('fulfil and cancel forms', () => {
  it('sends the carrier and tracking number as typed, missing ones empty (the API names them)', () => {
    expect(
      fulfilBodyOf(
        form([
          ['carrier', 'UPS'],
          ['trackingNumber', '1Z999AA10123456784'],
        ]),
      ),
    ).toEqual({
      carrier: 'UPS',
      trackingNumber: '1Z999AA10123456784',
    });
    expect(fulfilBodyOf(form([]))).toEqual({ carrier: '', trackingNumber: '' });
  });

  it('a cancel reason is optional', () => {
    expect(cancelBodyOf(form([['reason', '']]))).toEqual({});
    expect(cancelBodyOf(form([['reason', ' asked ']]))).toEqual({ reason: 'asked' });
  });
});

describe('webhook form', () => {
  it('takes every event ticked, the URL trimmed and the description when given', () => {
    expect(
      webhookCreateOf(
        form([
          ['url', ' http://127.0.0.1:9/hook '],
          ['events', 'order.paid'],
          ['events', 'order.refunded'],
          ['description', ''],
        ]),
      ),
    ).toEqual({ url: 'http://127.0.0.1:9/hook', events: ['order.paid', 'order.refunded'] });
    expect(
      webhookCreateOf(
        form([
          ['url', 'x'],
          ['description', 'ERP'],
        ]),
      ),
    ).toEqual({
      url: 'x',
      events: [],
      description: 'ERP',
    });
  });
});

describe('order filters', () => {
  it('drops empty fields and turns days into UTC bounds, the "to" day included', () => {
    expect(
      orderQueryOf({ status: 'paid', email: ' ', from: '2026-11-01', to: '2026-11-30', minTotal: '100', done: 'x' }),
    ).toEqual({
      status: 'paid',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      minTotal: '100',
    });
    // Full times pass as typed; the API judges them.
    expect(orderQueryOf({ from: '2026-11-01T10:00:00Z', to: 'yesterday' })).toEqual({
      from: '2026-11-01T10:00:00Z',
      to: 'yesterday',
    });
  });

  it('knows the keys it made for a form and nothing else', () => {
    const key = crypto.randomUUID();
    expect(formKey(form([['key', key]]))).toBe(key);
    expect(formKey(form([['key', 'x'.repeat(36)]]))).toBeUndefined();
    expect(formKey(form([]))).toBeUndefined();
  });
});
