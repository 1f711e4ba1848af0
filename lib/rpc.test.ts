import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, errorBody } from './errors';
import { failure, type RpcResult, rpc, unwrap } from './rpc';

describe('the RPC error transport', () => {
  it('carries an AppError across as data and back as the same AppError', async () => {
    const thrown = new AppError('PAYMENT_PROVIDER_UNAVAILABLE', 'Try again.', { retryAfter: 3, details: { a: 1 } });
    const result = await rpc<{ value: number }>(async () => {
      throw thrown;
    });
    expect(result).toEqual(failure(thrown));
    expect(() => unwrap(result)).toThrow(AppError);
    try {
      unwrap(result);
    } catch (err) {
      const back = err as AppError;
      expect([back.code, back.status, back.message, back.retryAfter, back.details]).toEqual([
        'PAYMENT_PROVIDER_UNAVAILABLE',
        503,
        'Try again.',
        3,
        { a: 1 },
      ]);
    }
  });

  it('turns a schema failure into VALIDATION_FAILED and rethrows anything else', async () => {
    const invalid = await rpc(async () => z.object({ n: z.number() }).parse({ n: 'x' }));
    expect(invalid.ok).toBe(false);
    expect(!invalid.ok && invalid.error.code).toBe('VALIDATION_FAILED');
    await expect(rpc(async () => Promise.reject(new TypeError('a bug')))).rejects.toThrow('a bug');
  });

  it('answers the same body after a JSON round trip (an Idempotency-Key replay)', async () => {
    const first = failure(
      new AppError('OUT_OF_STOCK', 'Not enough stock: A (0 available).', { details: { items: [{ sku: 'A' }] } }),
    ) as RpcResult<{ accepted: { orderId: string } }>;
    const replayed = JSON.parse(JSON.stringify(first)) as typeof first;
    const bodyOf = (r: typeof first) => (r.ok ? r.accepted : errorBody(AppError.fromInfo(r.error).toInfo(), 'req'));
    expect(bodyOf(replayed)).toEqual(bodyOf(first));
    expect(!replayed.ok && AppError.fromInfo(replayed.error).status).toBe(409);
    const accepted = { ok: true as const, accepted: { orderId: 'ord_1' } };
    expect(JSON.parse(JSON.stringify(accepted))).toEqual(accepted);
  });
});
