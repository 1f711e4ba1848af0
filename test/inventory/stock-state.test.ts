// Admission from published stock state (durable-objects/inventory/stock-state.ts), against real InventoryDOs inside
// workerd: what the objects answer is remembered per SKU, a refusal is remembered at once, the memo is read once
// for many concurrent checkouts (single flight), and a restock reopens sales once the TTL has passed, not before.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { reserveAll } from '../../durable-objects/inventory/inventory.client';
import { forgetPublishedState, refusedByPublishedState } from '../../durable-objects/inventory/stock-state';
import { freshSku, inAnHour, stockOf } from './helpers';

const TTL = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** env.INVENTORY, counting the stubs asked for (one per call to an object). */
function countingEnv() {
  const calls = { n: 0 };
  const ns = env.INVENTORY;
  const INVENTORY = {
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: DurableObjectId) => {
      calls.n++;
      return ns.get(id);
    },
  } as unknown as typeof env.INVENTORY;
  return { env: { ...env, INVENTORY }, calls };
}

describe('admission from published stock state', () => {
  it('refuses from what the object last said, and a restock reopens sales within the TTL', async () => {
    forgetPublishedState();
    const sku = freshSku('adm');
    await stockOf(sku).initialize(sku, 2);
    expect(await refusedByPublishedState(env, [{ sku, quantity: 1 }], TTL)).toEqual([]);
    // Two units held through the client: its answers publish the state (available 0), then a refusal.
    expect(await reserveAll(env, 'o1', [{ sku, quantity: 2 }], 'a', inAnHour())).toEqual({ ok: true });
    expect(await reserveAll(env, 'o2', [{ sku, quantity: 1 }], 'b', inAnHour())).toMatchObject({ ok: false });
    const { env: counted, calls } = countingEnv();
    expect(await refusedByPublishedState(counted, [{ sku, quantity: 1 }], TTL)).toEqual([
      { sku, requested: 1, available: 0 },
    ]);
    expect(calls.n).toBe(0); // refused from memory: the object was not asked

    // Restocked behind the memo's back (as from another isolate): still refused inside the TTL, open after it.
    const restockedAt = Date.now();
    await stockOf(sku).adjust(sku, 3);
    const inside = await refusedByPublishedState(env, [{ sku, quantity: 1 }], TTL);
    if (Date.now() - restockedAt < TTL - 50) expect(inside).toHaveLength(1);
    await sleep(TTL + 20);
    expect(await refusedByPublishedState(env, [{ sku, quantity: 1 }], TTL)).toEqual([]);
    expect(await refusedByPublishedState(env, [{ sku, quantity: 4 }], TTL)).toEqual([
      { sku, requested: 4, available: 3 },
    ]);
  });

  it('reads a stale SKU once for 100 concurrent checkouts (single flight)', async () => {
    forgetPublishedState();
    const sku = freshSku('flight');
    await stockOf(sku).initialize(sku, 0);
    const { env: counted, calls } = countingEnv();
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => refusedByPublishedState(counted, [{ sku, quantity: 1 }], TTL)),
    );
    expect(answers.every((a) => a.length === 1 && a[0]!.available === 0)).toBe(true);
    expect(calls.n).toBe(1);
  });

  it('does not remember an object that was never initialized (the reserve path decides)', async () => {
    forgetPublishedState();
    const sku = freshSku('uninit');
    expect(await refusedByPublishedState(env, [{ sku, quantity: 1 }], TTL)).toEqual([]);
    expect(await stockOf(sku).levels(sku)).toMatchObject({ initialized: false });
  });
});
