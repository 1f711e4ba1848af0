// Shared by the InventoryDO tests (test/inventory/*.test.ts): a fresh SKU (one object) per test, reserve requests,
// and the checks every test ends with: `available + held + sold = onHand` (none negative) on every answer, and the
// stored totals against held and sold recomputed from the holds table.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import type { InventoryDO } from '../../durable-objects/inventory/inventory.do';
import type { LevelsState, ReserveRequest } from '../../durable-objects/inventory/types';
import type { InventoryLevels } from '../../lib/contracts/queue';

export type Stub = DurableObjectStub<InventoryDO>;

let n = 0;
/** A fresh SKU (so a fresh object) per test and per run. */
export const freshSku = (label: string) => `TST-INV-${label}-${crypto.randomUUID().slice(0, 8)}-${n++}`;
export const stockOf = (sku: string): Stub => env.INVENTORY.get(env.INVENTORY.idFromName(sku));
export const inAnHour = () => Date.now() + 3_600_000;
export const req = (
  holdId: string,
  quantity = 1,
  owner = `owner-${holdId}`,
  expiresAt = inAnHour(),
): ReserveRequest => ({
  holdId,
  quantity,
  owner,
  expiresAt,
});

export const levelsOf = async (stub: Stub, sku: string) => (await stub.levels(sku)) as LevelsState;
export const strip = ({ initialized: _, ...levels }: LevelsState): InventoryLevels => levels;

export function expectBalanced(l: InventoryLevels, where = '') {
  expect(l.available + l.held + l.sold, `available + held + sold = onHand ${where}`).toBe(l.onHand);
  for (const k of ['onHand', 'held', 'sold', 'available'] as const)
    expect(l[k], `${k} ${where}`).toBeGreaterThanOrEqual(0);
}

export interface HoldRecord {
  hold_id: string;
  owner: string;
  quantity: number;
  status: string;
  expires_at: number;
  release_reason: string | null;
}
export const holdsOf = (stub: Stub) =>
  runInDurableObject(stub, (_i: InventoryDO, state) =>
    state.storage.sql
      .exec<HoldRecord & Record<string, SqlStorageValue>>(
        'select hold_id, owner, quantity, status, expires_at, release_reason from holds order by hold_id',
      )
      .toArray(),
  );
export const syncState = (stub: Stub) =>
  runInDurableObject(stub, (_i: InventoryDO, state) =>
    state.storage.sql
      .exec<{
        version: number;
        synced_version: number;
        sync_due_at: number | null;
        sync_failures: number;
        pending_since: number | null;
      }>('select version, synced_version, sync_due_at, sync_failures, pending_since from stock')
      .one(),
  );
export const alarmAt = (stub: Stub) => runInDurableObject(stub, (_i: InventoryDO, state) => state.storage.getAlarm());

/** The levels balance, and the stored held/sold equal the sums over the holds table. */
export async function expectConsistent(stub: Stub, sku: string): Promise<LevelsState> {
  const levels = await levelsOf(stub, sku);
  expectBalanced(levels, 'at the end');
  const holds = await holdsOf(stub);
  const sum = (status: string) => holds.filter((h) => h.status === status).reduce((t, h) => t + h.quantity, 0);
  expect({ held: sum('active'), sold: sum('sold') }).toEqual({ held: levels.held, sold: levels.sold });
  return levels;
}

export async function waitFor(check: () => Promise<boolean>, what: string, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * What a call throws, called on the instance rather than over RPC: in the test pool every RPC call that rejects
 * also leaks an unhandled rejection (cloudflare/workers-sdk#14736), which fails the run.
 */
export const thrownBy = (stub: Stub, call: (instance: InventoryDO) => unknown) =>
  runInDurableObject(stub, (instance: InventoryDO) => {
    try {
      call(instance);
      return null;
    } catch (err) {
      return String(err);
    }
  });
