// The export's call to the Durable Objects: each object within its own deadline, and the whole call within one, so
// a page of hanging objects answers in time, naming every object it could not read.
import { describe, expect, it } from 'vitest';
import { exportObjects } from './do-export';

/** Stock objects: a SKU starting "slow-" never answers, any other answers at once. */
function env() {
  const inventory = {
    idFromName: (name: string) => name,
    get: (sku: string) => ({
      exportState: (id: string) =>
        sku.startsWith('slow-') ? new Promise(() => {}) : Promise.resolve({ sku: id, initialized: true }),
    }),
  };
  return { INVENTORY: inventory, ORDERS: {}, CARTS: {} } as unknown as Parameters<typeof exportObjects>[0];
}

describe('exportObjects', () => {
  it('answers by the call deadline however many objects hang, each one it could not read named', async () => {
    const ids = ['a', 'b', ...Array.from({ length: 16 }, (_, i) => `slow-${i}`), 'c'];
    const started = Date.now();
    const answer = await exportObjects(env(), 'inventory', ids, false, 300);
    expect(Date.now() - started).toBeLessThan(2000); // each object alone may take 5 s: 16 of them, 8 at a time
    expect(answer.records.map((r) => r.id)).toEqual(['a', 'b']);
    // Eight asked at once: a and b answer, the eight slow ones after them time out at the call's deadline; the rest
    // (c among them) are not asked once it has passed. Every id asked for is in the answer.
    expect(answer.failed.map((f) => f.id).sort()).toEqual(ids.filter((id) => id !== 'a' && id !== 'b').sort());
    const timedOut = answer.failed.filter((f) => /did not answer within/.test(f.error));
    const notAsked = answer.failed.filter((f) => /deadline had passed/.test(f.error));
    expect(timedOut.map((f) => f.id)).toEqual(expect.arrayContaining(ids.slice(2, 10)));
    expect(notAsked.length).toBeGreaterThan(0);
    expect(timedOut.length + notAsked.length).toBe(17);
  });
});
