// Keyset-pagination cursors: what encodeCursor writes, decodeCursor reads back for the same query; a cursor of
// another query or sort, a forged key or plain garbage is refused as BAD_CURSOR (a 400), never anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { productSorts } from '../../../lib/catalog/schemas';
import { AppError } from '../../../lib/errors';
import { type CursorData, decodeCursor, encodeCursor } from './cursor';
import { type RankTier, relevanceKey } from './relevance';

const ID = '0b6f1c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e';

/** Keys as the catalog writes them: Postgres timestamps, int4 prices, relevance keys (tier and rank). */
const timestampKey = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true })
  .chain((d) =>
    fc.constantFrom(
      d.toISOString(),
      d.toISOString().replace('T', ' ').replace('Z', '+00'),
      `${d.toISOString().slice(0, 19)}+05:30`,
    ),
  );
const cursorData: fc.Arbitrary<CursorData> = fc.oneof(
  fc.record({ sort: fc.constant('newest' as const), key: fc.tuple(timestampKey, fc.uuid()), filter: fc.string() }),
  fc.record({
    sort: fc.constantFrom('price_asc' as const, 'price_desc' as const),
    key: fc.tuple(fc.integer({ min: 0, max: 2_147_483_647 }), fc.uuid()),
    filter: fc.string(),
  }),
  fc.record({
    sort: fc.constant('relevance' as const),
    key: fc.tuple(
      fc
        .tuple(fc.constantFrom<RankTier>(1, 2, 4, 5), fc.integer({ min: 0, max: 2 ** 31 - 1 }))
        .map(([t, r]) => relevanceKey(t, r)),
      fc.uuid(),
    ),
    filter: fc.string({ unit: 'grapheme' }),
  }),
);

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('the cursor was accepted');
}
const expectRefused = (fn: () => unknown, why: RegExp) => {
  const err = refusal(fn);
  expect(err.code).toBe('BAD_CURSOR');
  expect(err.status).toBe(400);
  expect(err.message).toMatch(why);
};

describe('cursors', () => {
  it('decode to what was encoded, for the same sort and filter', () => {
    fc.assert(
      fc.property(cursorData, (data) => {
        expect(decodeCursor(encodeCursor(data), { sort: data.sort, filter: data.filter })).toEqual(data);
      }),
    );
  });

  it('are URL-safe: base64url without padding', () => {
    fc.assert(
      fc.property(cursorData, (data) => {
        expect(encodeCursor(data)).toMatch(/^[A-Za-z0-9_-]*$/);
      }),
    );
  });

  it('are refused for another sort order or another search', () => {
    const cursor = encodeCursor({ sort: 'price_asc', key: [1999, ID], filter: 'q=linen' });
    expectRefused(() => decodeCursor(cursor, { sort: 'price_desc', filter: 'q=linen' }), /another sort order/);
    expectRefused(() => decodeCursor(cursor, { sort: 'price_asc', filter: 'q=wool' }), /another search/);
  });

  it.each([
    ['a price that is not an int4', 'price_asc', [2_147_483_648, ID]],
    ['a negative price', 'price_desc', [-1, ID]],
    ['a fractional price', 'price_asc', [19.5, ID]],
    ['a price as text', 'price_asc', ['1999', ID]],
    ['a day that does not exist', 'newest', ['2025-02-30 10:00:00+00', ID]],
    ['an hour that does not exist', 'newest', ['2025-02-03 24:00:00+00', ID]],
    ['a timestamp with SQL in it', 'newest', ["2025-02-03 10:00:00+00'; drop table products;--", ID]],
    ['a relevance key as text', 'relevance', ['4294967296', ID]],
    ['an old cursor’s ts_rank_cd value', 'relevance', ['0.0607927', ID]],
    ['a relevance key without a tier', 'relevance', [2 ** 31 - 1, ID]],
    ['a relevance key past the top tier', 'relevance', [6 * 2 ** 31, ID]],
    ['a relevance key of the title tier before the exact tier (tier 3)', 'relevance', [3 * 2 ** 31 + 5, ID]],
    ['a fractional relevance key', 'relevance', [2 ** 31 + 0.5, ID]],
    ['an id that is not a uuid', 'price_asc', [1999, 'not-a-uuid']],
    ['a key of one element', 'price_asc', [1999]],
  ] as const)('refuse a forged key: %s', (_why, sort, key) => {
    const forged = encodeCursor({ sort, key: key as unknown as CursorData['key'], filter: '' });
    expectRefused(() => decodeCursor(forged, { sort, filter: '' }), /wrong key/);
  });

  it('refuse what does not decode or has the wrong shape', () => {
    expectRefused(() => decodeCursor('%%%not base64%%%', { sort: 'newest', filter: '' }), /does not decode/);
    expectRefused(() => decodeCursor(btoa('{"sort":"newest"}'), { sort: 'newest', filter: '' }), /wrong shape/);
    expectRefused(() => decodeCursor(btoa('["newest"]'), { sort: 'newest', filter: '' }), /wrong shape/);
  });

  it('answer any string (a tampered cursor included) with valid data for this query or BAD_CURSOR', () => {
    const tampered = fc.tuple(cursorData, fc.nat(), fc.constantFrom(...'ABCabc012-_=+/.')).map(([data, at, ch]) => {
      const cursor = encodeCursor(data);
      const i = at % Math.max(cursor.length, 1);
      return { cursor: cursor.slice(0, i) + ch + cursor.slice(i + 1), sort: data.sort, filter: data.filter };
    });
    const anyString = fc.record({
      cursor: fc.string(),
      sort: fc.constantFrom(...productSorts),
      filter: fc.string(),
    });
    fc.assert(
      fc.property(fc.oneof(tampered, anyString), ({ cursor, sort, filter }) => {
        let decoded: CursorData;
        try {
          decoded = decodeCursor(cursor, { sort, filter });
        } catch (err) {
          expect(err).toBeInstanceOf(AppError);
          expect((err as AppError).code).toBe('BAD_CURSOR');
          return;
        }
        expect(decoded.sort).toBe(sort);
        expect(decoded.filter).toBe(filter);
        // What is accepted decodes again to itself: the key passed validation, whatever it was.
        expect(decodeCursor(encodeCursor(decoded), { sort, filter })).toEqual(decoded);
      }),
      { numRuns: 500 },
    );
  });
});
