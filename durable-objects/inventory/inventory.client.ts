// The callers' side of InventoryDO (OrdersDO's stock port, the checkout worker's stock routes): a stub per SKU,
// first stock loaded from Postgres' seeded copy when an object is used for the first time, and the multi-SKU
// operations of a checkout (in SKU order).
import type { InventoryLevels } from '../../lib/contracts/queue';
import { pgBreaker } from '../../lib/db/breaker';
import { type DbEnv, dbSettings, sqlClient } from '../../lib/db/client';
import { withTimeout } from '../../lib/resilience';
import type { InventoryDO } from './inventory.do';
import { publish } from './stock-state';
import type { CommitResult, LevelsState, ReleaseResult, ReserveResult } from './types';

/** Deadline of one call to an InventoryDO (they answer in milliseconds; a stuck one must not hold a checkout). */
const DO_TIMEOUT_MS = 5000;
const bounded = <T>(p: PromiseLike<unknown>, what: string) =>
  withTimeout(Promise.resolve(p) as Promise<T>, DO_TIMEOUT_MS, what);

/** What the client needs of its worker's env: the INVENTORY namespace, and Postgres for first stock. */
export type InventoryEnv = DbEnv & { INVENTORY: DurableObjectNamespace<InventoryDO> };

export function inventoryOf(env: InventoryEnv, sku: string): DurableObjectStub<InventoryDO> {
  return env.INVENTORY.get(env.INVENTORY.idFromName(sku));
}

/** First use of a SKU's object: its starting stock from `inventory_levels.initial_on_hand` (0 if none). */
export async function initializeFromPostgres(env: InventoryEnv, sku: string): Promise<InventoryLevels> {
  const settings = dbSettings(env);
  const rows = await pgBreaker.run(() =>
    sqlClient(settings.DATABASE_URL, settings).query('select initial_on_hand from inventory_levels where sku = $1', [
      sku,
    ]),
  );
  const onHand = Number((rows as { initial_on_hand?: number }[])[0]?.initial_on_hand ?? 0);
  return bounded<InventoryLevels>(inventoryOf(env, sku).initialize(sku, onHand), `InventoryDO ${sku} initialize`);
}

/** Live levels of a SKU, initializing its object on first use. */
export async function levelsOf(env: InventoryEnv, sku: string): Promise<InventoryLevels> {
  const levels = await bounded<LevelsState>(inventoryOf(env, sku).levels(sku), `InventoryDO ${sku} levels`);
  return levels.initialized ? levels : initializeFromPostgres(env, sku);
}

export interface ReserveLine {
  sku: string;
  quantity: number;
}
export type ReserveAllResult =
  | { ok: true }
  | { ok: false; reason: 'OUT_OF_STOCK'; items: { sku: string; requested: number; available: number }[] }
  | { ok: false; reason: 'CUSTOMER_LIMIT'; items: { sku: string; limit: number; alreadyHas: number }[] };

/**
 * Holds every line for one order, in SKU order. If one cannot be held, what was taken is released and the
 * answer names every short SKU with what is available.
 */
export async function reserveAll(
  env: InventoryEnv,
  holdId: string,
  lines: ReserveLine[],
  owner: string,
  expiresAt: number,
): Promise<ReserveAllResult> {
  const sorted = [...lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  const taken: string[] = [];
  for (const [i, line] of sorted.entries()) {
    const req = { holdId, quantity: line.quantity, owner, expiresAt };
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
    await releaseAll(env, holdId, taken, 'checkout failed');
    if (r.reason === 'CUSTOMER_LIMIT')
      return {
        ok: false,
        reason: 'CUSTOMER_LIMIT',
        items: [{ sku: line.sku, limit: r.limit, alreadyHas: r.alreadyHas }],
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
  return { ok: true };
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
