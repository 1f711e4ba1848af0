// Admission from published stock state: before a checkout does any pricing, Postgres, Stripe or reserve work, its
// SKUs are checked against what their InventoryDOs last said about them, remembered in this isolate. A flash sale's
// sold-out shoppers are then refused here, without queueing behind the winners in the one hot object.
//
// Staleness bound: an entry is used for at most STOCK_STATE_TTL_MS from the moment the object was asked (the time
// the call was issued, so the object's answer is at least that fresh). After that, the first checkout for the SKU
// in this isolate reads `levels()` once (single flight: concurrent checkouts share the read) and the rest wait
// for it. Every reserve, release and commit answer refreshes the entry too, so a refusal by the object is
// remembered at once. A restock therefore reopens sales in every isolate within the TTL.
// The memo only ever refuses: a SKU it believes available goes on to the object, which decides. An object that
// was never initialized is not remembered (the reserve path initializes it from Postgres; a read never writes).
import type { InventoryLevels } from '../../lib/contracts/queue';
import { withTimeout } from '../../lib/resilience';
import type { InventoryDO } from './inventory.do';
import type { LevelsState } from './types';

interface Published {
  available: number;
  /** When the object was asked (ms since epoch): the state is at least this fresh. */
  asOf: number;
}

/** Bounds the memo (a storefront has many SKUs; only the hot ones matter). */
const MAX_ENTRIES = 5000;
const READ_TIMEOUT_MS = 2000;

type StockEnv = { INVENTORY: DurableObjectNamespace<InventoryDO> };

const published = new Map<string, Published>();
const reading = new Map<string, Promise<Published | null>>();

/** Remembers what an object answered (levels of a call issued at `asOf`); an older answer never wins. */
export function publish(levels: Pick<InventoryLevels, 'sku' | 'available'>, asOf: number): void {
  const known = published.get(levels.sku);
  if (known && known.asOf > asOf) return;
  published.delete(levels.sku);
  published.set(levels.sku, { available: levels.available, asOf });
  if (published.size > MAX_ENTRIES) published.delete(published.keys().next().value!);
}

/** The published state of `sku` no older than `ttlMs`, reading the object once if needed; null if unknown. */
async function stateOf(env: StockEnv, sku: string, ttlMs: number): Promise<Published | null> {
  const known = published.get(sku);
  if (known && Date.now() - known.asOf < ttlMs) return known;
  let pending = reading.get(sku);
  if (!pending) {
    const asOf = Date.now();
    const stub: DurableObjectStub<InventoryDO> = env.INVENTORY.get(env.INVENTORY.idFromName(sku));
    pending = withTimeout(Promise.resolve(stub.levels(sku)) as Promise<LevelsState>, READ_TIMEOUT_MS, 'levels')
      .then((l) => {
        if (!l.initialized) return null;
        publish(l, asOf);
        return published.get(sku) ?? null;
      })
      // Admission is an optimisation: if the read fails, the object itself decides at reserve time.
      .catch(() => null)
      .finally(() => reading.delete(sku));
    reading.set(sku, pending);
  }
  return pending;
}

export interface ShortItem {
  sku: string;
  requested: number;
  available: number;
}

/**
 * The lines that the published state says cannot be held (the same items a refused reserve names); empty when
 * every line may go on to the objects.
 */
export async function refusedByPublishedState(
  env: StockEnv,
  lines: { sku: string; quantity: number }[],
  ttlMs: number,
): Promise<ShortItem[]> {
  const states = await Promise.all(lines.map((l) => stateOf(env, l.sku, ttlMs)));
  return lines.flatMap((l, i) => {
    const s = states[i];
    return s && s.available < l.quantity ? [{ sku: l.sku, requested: l.quantity, available: s.available }] : [];
  });
}

/** For tests: forget everything this isolate remembers. */
export function forgetPublishedState(): void {
  published.clear();
}
