// What a checkout orders from a cart: its lines with the prices the shopper was shown, its currency and version.
// One mapping for both readers: the cart worker's `checkoutSnapshot` RPC and the checkout worker's OrdersDO, which
// reads the CartDO directly (workers/checkout/wrangler.toml, binding CARTS).
import type { CartSnapshot } from '../../lib/contracts/cart';
import type { CartState } from './types';

export function checkoutSnapshotOf(state: CartState): CartSnapshot {
  return {
    version: state.version,
    currency: state.currency,
    lines: state.lines.map((l) => ({
      sku: l.sku,
      quantity: l.quantity,
      title: l.title,
      unitAmount: l.addedAmount,
      currency: l.currency,
    })),
  };
}
