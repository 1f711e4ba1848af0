// One checkout as the shopper's OrdersDO takes it (CheckoutCall): the guest's email required, the body's
// fingerprint for its Idempotency-Key, the shopper's other keys, If-Match and the current span. Built by the gateway,
// which calls the OrdersDO directly, and by the checkout worker's older RPC method kept for rolling deploys.
import type { Identity } from '../auth/tokens';
import type { CheckoutCall } from '../contracts/checkout';
import { validationError } from '../errors';
import { traceField } from '../trace';
import { canonical, sha256 } from './fingerprint';
import type { CheckoutBody } from './schemas';

export async function checkoutCall(
  identity: Identity,
  key: string,
  body: CheckoutBody,
  context: { cartVersion?: number; shopperKeys?: string[] } = {},
): Promise<CheckoutCall> {
  if (identity.role === 'guest' && !body.email)
    throw validationError('body', [{ path: ['email'], message: 'required for guests', code: 'custom' }]);
  return {
    identity,
    key,
    requestHash: await sha256(canonical(body)),
    body,
    shopperKeys: context.shopperKeys ?? [],
    ...(context.cartVersion !== undefined ? { cartVersion: context.cartVersion } : {}),
    ...traceField(),
  };
}
