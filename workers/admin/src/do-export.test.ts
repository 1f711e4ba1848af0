// The pure parts of the Durable Objects' exports and stock check: the stock comparison (stock-verify.ts) and the
// export's ids, cursors, keys and checksums (do-export.ts).
import { describe, expect, it } from 'vitest';
import { stockDifference } from '../../../lib/admin/stock-difference';
import { decodeCursor, encodeCursor, newCursorKey, newExportId, partKey, sha256Hex } from './do-export';

const now = 1_800_000_000_000;
const figures = { onHand: 10, held: 1, sold: 2, maxPerCustomer: null, version: 5 };

describe('stockDifference', () => {
  it('agrees when the object and its copy have the same version and figures', () => {
    expect(stockDifference('A', { ...figures, updatedAt: now - 1e6 }, figures, now)).toBeNull();
  });

  it('reports figures that differ at the same version (a corrupted object or copy)', () => {
    const d = stockDifference('A', { ...figures, sold: 4, updatedAt: now - 1e6 }, figures, now);
    expect(d).toMatchObject({ sku: 'A', problem: 'differs', object: { sold: 4 }, postgres: { sold: 2 } });
  });

  it('reports an object behind its copy, and an object with no state whose copy has a version', () => {
    expect(stockDifference('A', { ...figures, version: 3, updatedAt: now }, figures, now)?.problem).toBe(
      'object_behind',
    );
    expect(stockDifference('A', null, figures, now)?.problem).toBe('object_lost');
    expect(stockDifference('A', null, { ...figures, version: 0 }, now)).toBeNull();
    expect(stockDifference('A', null, null, now)).toBeNull();
  });

  it('lets a copy be behind or missing while it may be on its way, not after', () => {
    const newer = { ...figures, version: 6, sold: 3 };
    expect(stockDifference('A', { ...newer, updatedAt: now - 1000 }, figures, now, 60_000)).toBeNull();
    expect(stockDifference('A', { ...newer, updatedAt: now - 61_000 }, figures, now, 60_000)?.problem).toBe(
      'copy_behind',
    );
    expect(stockDifference('A', { ...newer, updatedAt: now - 1000 }, null, now, 60_000)).toBeNull();
    expect(stockDifference('A', { ...newer, updatedAt: now - 61_000 }, null, now, 60_000)?.problem).toBe(
      'copy_missing',
    );
  });
});

describe('export ids, cursors and files', () => {
  it('names an export by its time and 4 random bytes', () => {
    const id = newExportId(new Date('2026-11-30T17:50:00.123Z'), new Uint8Array([1, 2, 0xab, 0xff]));
    expect(id).toBe('20261130T175000Z-0102abff');
    expect(partKey(id, 'inventory', 7)).toBe('do-exports/20261130T175000Z-0102abff/inventory/00007.ndjson');
  });

  it("round-trips a cursor, and refuses one that is not this run's", async () => {
    const run = {
      exportId: '20261130T175000Z-0102abff',
      kinds: ['inventory', 'orders'] as ('inventory' | 'orders')[],
      cursorKey: newCursorKey(),
    };
    const c = { k: 1, after: 'guest:ü-1', part: 3 };
    const cursor = await encodeCursor(c, run);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(await decodeCursor(cursor, run)).toEqual(c);
    const [payload, mac] = cursor.split('.') as [string, string];
    const unsigned = (x: unknown) => btoa(JSON.stringify(x)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    for (const bad of [
      'not-a-cursor',
      payload, // unsigned
      `${unsigned({ k: 0, after: 'SKU-ZZZ', part: 9 })}.${mac}`, // forged: another position, this MAC
      `${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      `${payload}.${mac}x`,
      await encodeCursor(c, { ...run, exportId: '20261130T175000Z-00000000' }), // another run's
      await encodeCursor(c, { ...run, cursorKey: newCursorKey() }),
      await encodeCursor({ k: 2, after: null, part: 1 }, run), // a third kind this run does not have
      await encodeCursor({ k: 0, after: null, part: 0 }, run),
      await encodeCursor({ k: 0, after: '', part: 1 }, run),
    ])
      await expect(decodeCursor(bad, run), bad).rejects.toMatchObject({ code: 'BAD_CURSOR' });
    // A run started before cursors were signed has no key: its cursors are refused, never trusted.
    await expect(decodeCursor(cursor, { ...run, cursorKey: undefined })).rejects.toMatchObject({
      code: 'BAD_CURSOR',
      message: expect.stringMatching(/start a new one/),
    });
  });

  it('checksums with SHA-256 in hex', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
