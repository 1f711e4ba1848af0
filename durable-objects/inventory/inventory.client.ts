// The callers' side of InventoryDO (OrdersDO's stock port, the checkout worker's stock routes): a stub per SKU,
// first stock loaded from Postgres' seeded copy when an object is first written, and the multi-SKU operations of a
// checkout (in SKU order). Only SKUs that exist in the catalog's variants get an object with storage: reads of an
// unknown SKU answer 404 and create nothing (no object storage, so no levels row in Postgres either).
import type { InventoryLevels } from '../../lib/contracts/queue';
import { pgBreaker } from '../../lib/db/breaker';
import { type DbEnv, dbSettings, sqlClient } from '../../lib/db/client';
import { AppError } from '../../lib/errors';
import { withTimeout } from '../../lib/resilience';
import { traced } from '../../lib/trace';
import type { InventoryDO } from './inventory.do';
import { publish } from './stock-state';
import type { CommitResult, LevelsState, ReleaseResult, ReserveResult, RestockResult } from './types';

/** Deadline of one call to an InventoryDO (they answer in milliseconds; a stuck one must not hold a checkout). */
const DO_TIMEOUT_MS = 5000;
const bounded = <T>(p: PromiseLike<unknown>, what: string) =>
  withTimeout(Promise.resolve(p) as Promise<T>, DO_TIMEOUT_MS, what);

/** What the client needs of its worker's env: the INVENTORY namespace, and Postgres for first stock. */
export type InventoryEnv = DbEnv & { INVENTORY: DurableObjectNamespace<InventoryDO> };

export function inventoryOf(env: InventoryEnv, sku: string): DurableObjectStub<InventoryDO> {
  return traced(env.INVENTORY.get(env.INVENTORY.idFromName(sku)));
}

/**
 * The SKU as Postgres knows it: null when no variant is sold under it (so it gets no object and no row), else
 * its seeded starting stock (`inventory_levels.initial_on_hand`, 0 if none).
 */
async function skuRecord(env: InventoryEnv, sku: string): Promise<{ initialOnHand: number } | null> {
  const settings = dbSettings(env);
  const rows = (await pgBreaker.run(() =>
    sqlClient(settings.DATABASE_URL, settings).query(
      `select l.initial_on_hand from product_variants v left join inventory_levels l on l.sku = v.sku
       where v.sku = $1`,
      [sku],
    ),
  )) as { initial_on_hand: number | null }[];
  return rows[0] ? { initialOnHand: Number(rows[0].initial_on_hand ?? 0) } : null;
}

const noSuchSku = (sku: string) => new AppError('NOT_FOUND', `No SKU ${sku}.`);

/** First use of a SKU's object: its starting stock from Postgres. A SKU that does not exist is a 404. */
export async function initializeFromPostgres(env: InventoryEnv, sku: string): Promise<InventoryLevels> {
  const record = await skuRecord(env, sku);
  if (!record) throw noSuchSku(sku);
  return bounded<InventoryLevels>(
    inventoryOf(env, sku).initialize(sku, record.initialOnHand),
    `InventoryDO ${sku} initialize`,
  );
}

/**
 * Live levels of a SKU. A read never writes: an object not used yet is answered from Postgres' starting stock
 * without initializing it, and a SKU that does not exist is a 404 that creates nothing.
 */
export async function levelsOf(env: InventoryEnv, sku: string): Promise<InventoryLevels> {
  const levels = await bounded<LevelsState>(inventoryOf(env, sku).levels(sku), `InventoryDO ${sku} levels`);
  if (levels.initialized) return levels;
  const record = await skuRecord(env, sku);
  if (!record) throw noSuchSku(sku);
  const onHand = record.initialOnHand;
  return { ...levels, onHand, held: 0, sold: 0, available: onHand };
}

/** Before a merchant write: the SKU must exist, and its object starts from its seeded stock. */
export async function ensureStock(env: InventoryEnv, sku: string): Promise<void> {
  const levels = await bounded<LevelsState>(inventoryOf(env, sku).levels(sku), `InventoryDO ${sku} levels`);
  if (!levels.initialized) await initializeFromPostgres(env, sku);
}

export interface ReserveLine {
  sku: string;
  quantity: number;
}
export type ReserveAllResult =
  | { ok: true }
  | { ok: false; reason: 'OUT_OF_STOCK'; items: { sku: string; requested: number; available: number }[] }
  | {
      ok: false;
      reason: 'CUSTOMER_LIMIT';
      items: { sku: string; limit: number; alreadyHas: number; scope: 'customer' | 'unpaid_per_address' }[];
    }
  /**
   * A SKU has a per-customer cap and `cardPending` was set: that SKU is not held, every other line is (same holdId);
   * ask again with the card's key, or release the order's holds.
   */
  | { ok: false; reason: 'NEEDS_CARD' };

/**
 * Holds every line for one order, in SKU order. If one cannot be held, what was taken is released and the
 * answer names every short SKU with what is available. With `cardPending`, a SKU with a per-customer cap that
 * would be granted is left for the second pass and the answer is NEEDS_CARD, with the other lines held (nothing is
 * held only when some line is short): the caller asks again with the card, or releases.
 */
export async function reserveAll(
  env: InventoryEnv,
  holdId: string,
  lines: ReserveLine[],
  owner: string,
  expiresAt: number,
  keys: string[] = [],
  cardPending = false,
): Promise<ReserveAllResult> {
  const sorted = [...lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  const taken: string[] = [];
  let needsCard = false;
  for (const [i, line] of sorted.entries()) {
    const req = { holdId, quantity: line.quantity, owner, expiresAt, keys, cardPending };
    let asOf = Date.now();
    let r = await bounded<ReserveResult>(
      inventoryOf(env, line.sku).reserve(line.sku, req),
      `InventoryDO ${line.sku} reserve`,
    );
    if (!r.ok && r.reason === 'UNINITIALIZED') {
      await initializeFromPostgres(env, line.sku);
      asOf = Date.now();
      r = await bounded<ReserveResult>(
        inventoryOf(env, line.sku).reserve(line.sku, req),
        `InventoryDO ${line.sku} reserve`,
      );
    }
    // Every answer of the object is its published state: a refusal here refuses the next shoppers at admission.
    if ('levels' in r) publish(r.levels, asOf);
    if (r.ok) {
      taken.push(line.sku);
      continue;
    }
    if (r.reason === 'NEEDS_CARD') {
      // The capped SKU waits for the card. What is held stays held (the second pass, same holdId, finds it: no
      // other shopper takes it during the lookup), and the rest is still checked, so a cart short of another SKU
      // is refused here, before any Stripe call.
      needsCard = true;
      continue;
    }
    await releaseAll(env, holdId, taken, 'checkout failed');
    if (r.reason === 'CUSTOMER_LIMIT')
      return {
        ok: false,
        reason: 'CUSTOMER_LIMIT',
        items: [{ sku: line.sku, limit: r.limit, alreadyHas: r.alreadyHas, scope: r.scope }],
      };
    if (r.reason !== 'INSUFFICIENT') throw new Error(`reserve ${line.sku}: ${r.reason}`);
    // Name every short SKU, not only the first: the rest are checked without holding anything.
    const items = [{ sku: line.sku, requested: line.quantity, available: r.available }];
    for (const rest of sorted.slice(i + 1)) {
      const levels = await levelsOf(env, rest.sku);
      if (levels.available < rest.quantity)
        items.push({ sku: rest.sku, requested: rest.quantity, available: levels.available });
    }
    return { ok: false, reason: 'OUT_OF_STOCK', items };
  }
  return needsCard ? { ok: false, reason: 'NEEDS_CARD' } : { ok: true };
}

/** Releases the order's holds (idempotent; a hold already sold stays sold). */
export async function releaseAll(env: InventoryEnv, holdId: string, skus: string[], reason: string): Promise<void> {
  await Promise.all(
    skus.map(async (sku) => {
      const asOf = Date.now();
      const r = await bounded<ReleaseResult>(
        inventoryOf(env, sku).release(sku, holdId, reason),
        `InventoryDO ${sku} release`,
      );
      if (r.ok) publish(r.levels, asOf);
    }),
  );
}

/** Turns the order's holds into sold stock; names the SKUs whose stock was gone (the hold had expired). */
export async function commitAll(env: InventoryEnv, holdId: string, skus: string[]): Promise<{ short: string[] }> {
  const results = await Promise.all(
    skus.map(async (sku) => ({
      sku,
      r: await bounded<CommitResult>(inventoryOf(env, sku).commit(sku, holdId), `InventoryDO ${sku} commit`),
    })),
  );
  return { short: results.filter(({ r }) => !r.ok).map(({ sku }) => sku) };
}

/**
 * Puts refunded units back on hand (a merchant refund with restock): once per restock id and SKU. A SKU whose
 * units were never sold to the order, or fewer than asked, is an error: the caller's task keeps it for an admin.
 */
export async function restockAll(
  env: InventoryEnv,
  restockId: string,
  holdId: string,
  lines: { sku: string; quantity: number }[],
): Promise<void> {
  await Promise.all(
    lines.map(async ({ sku, quantity }) => {
      const asOf = Date.now();
      const r = await bounded<RestockResult>(
        inventoryOf(env, sku).restock(sku, `${restockId}:${sku}`, holdId, quantity),
        `InventoryDO ${sku} restock`,
      );
      if (!r.ok) throw new Error(`restock ${sku} x${quantity} for ${holdId}: ${r.reason}`);
      publish(r.levels, asOf);
    }),
  );
}
