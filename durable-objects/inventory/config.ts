// InventoryDO's vars (the checkout worker's wrangler.toml), read once per env through configOf.
import { z } from 'zod';
import { configOf, intVar, optionalText } from '../../lib/config';

export const InventoryVars = z.object({
  /** How much longer than the order's expiry the object keeps a hold (a backstop for an expiry that never ran). */
  HOLD_GRACE_SECONDS: intVar(120, { max: 7 * 86_400 }),
  /** How long after a change the levels are copied to Postgres (a burst of changes travels as one message). */
  INVENTORY_SYNC_DELAY_MS: intVar(1000, { max: 60_000 }),
  /**
   * Stock ledger events each object keeps once they are copied to Postgres (the newest ones, served from the
   * object; older pages come from Postgres). Events not yet copied are always kept.
   */
  INVENTORY_EVENTS_KEPT: intVar(1000, { min: 1, max: 100_000 }),
  /**
   * How long a checkout may refuse a SKU from the stock state its object last published, before asking it again
   * (stock-state.ts): the bound on how late a restock reopens sales.
   */
  STOCK_STATE_TTL_MS: intVar(1000, { max: 60_000 }),
  /**
   * Unpaid holds one client address may have on one SKU at once: this share of on hand (percent), but never less
   * than UNPAID_HOLD_MIN_UNITS_PER_ADDRESS (one full cart line), so that fresh guest identities from one address
   * cannot hold a whole SKU without paying.
   */
  UNPAID_HOLD_SHARE_PER_ADDRESS_PERCENT: intVar(40, { min: 1, max: 100 }),
  UNPAID_HOLD_MIN_UNITS_PER_ADDRESS: intVar(10, { min: 1, max: 1000 }),
  /** `inventory.low` fires when a SKU's available stock falls to this or below (once per crossing); 0: never. */
  INVENTORY_LOW_THRESHOLD: intVar(5, { max: 1_000_000 }),
  /**
   * A test fault, empty (off) in production: a merchant adjustment whose reason is exactly this text corrupts the
   * object instead (its `sold` moves by the delta, with no hold, no event and no new version), so a test can prove a
   * rebuild from Postgres (docs/runbook.md#a-corrupted-durable-object).
   */
  FAULT_CORRUPT_STOCK_REASON: optionalText(z.string().max(200)),
});

export type InventoryConfig = z.output<typeof InventoryVars>;

export const inventoryConfig = (env: object): InventoryConfig =>
  configOf(env, InventoryVars, 'InventoryDO (storefront-checkout)');
