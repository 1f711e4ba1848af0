// The checkout call both the gateway and the checkout worker's older RPC method build (lib/checkout/call.ts).
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { checkoutCall } from './call';
import type { CheckoutBody } from './schemas';

const body = {
  email: 'ada@example.com',
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' },
  paymentMethod: 'pm_card_visa',
} as unknown as CheckoutBody;

describe('checkoutCall', () => {
  it('needs a guest email, fingerprints the body whatever its key order, and carries If-Match and the keys', async () => {
    const guest = { sub: 'g1', role: 'guest' as const };
    await expect(checkoutCall(guest, 'k-12345678', { ...body, email: undefined } as never)).rejects.toBeInstanceOf(
      AppError,
    );
    const a = await checkoutCall(guest, 'k-12345678', body, { cartVersion: 3, shopperKeys: ['addr:x'] });
    const reordered = Object.fromEntries(Object.entries(body).reverse()) as unknown as CheckoutBody;
    const b = await checkoutCall({ sub: 'c1', role: 'customer' }, 'k-12345678', reordered);
    expect(a.requestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.requestHash).toBe(a.requestHash);
    expect(a).toMatchObject({ key: 'k-12345678', cartVersion: 3, shopperKeys: ['addr:x'], identity: guest });
    expect(b.shopperKeys).toEqual([]);
    expect('cartVersion' in b).toBe(false);
  });
});
