// Opaque keyset-pagination cursors: base64url JSON of the sort, the last row's sort key, and a fingerprint of
// the filters, so a cursor cannot be replayed against another query or sort.

import type { ProductSort } from '../../../lib/catalog/schemas';
import { AppError } from '../../../lib/errors';
import { tierOf } from './relevance';

export interface CursorData {
  sort: ProductSort;
  /** The last row's sort key: [createdAt, id] | [priceAmount, id] | [relevance key, id] | [units sold, id]. */
  key: [string | number, string];
  filter: string;
}

export function encodeCursor(data: CursorData): string {
  const json = JSON.stringify([data.sort, data.key, data.filter]);
  return btoa(String.fromCharCode(...new TextEncoder().encode(json)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const timestamp = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.\d{1,6})?(?:[+-](\d\d)(?::?(\d\d))?|Z)$/;

/**
 * A key Postgres will accept in the keyset comparison: a real calendar timestamp, an int4 price or units, or a
 * relevance key (./relevance.ts: a tier and an int4 rank). A forged cursor must get a 400 here, not a cast error
 * (500) in the database. (A cursor from before the relevance keys, a `ts_rank_cd` value as text, is refused.)
 */
function validKey(sort: ProductSort, value: unknown): boolean {
  if (sort === 'newest') {
    const m = typeof value === 'string' ? timestamp.exec(value) : null;
    if (!m) return false;
    const [y, mo, d, h, mi, s, offH = 0, offM = 0] = m
      .slice(1, 9)
      .map((v) => (v === undefined ? undefined : Number(v))) as number[];
    const date = new Date(Date.UTC(y!, mo! - 1, d));
    const calendar =
      y! >= 1 && date.getUTCFullYear() === y && date.getUTCMonth() === mo! - 1 && date.getUTCDate() === d;
    return calendar && h! < 24 && mi! < 60 && s! < 60 && offH <= 15 && offM < 60;
  }
  if (sort === 'relevance') return typeof value === 'number' && tierOf(value) !== null;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2_147_483_647;
}

export function decodeCursor(cursor: string, expected: { sort: ProductSort; filter: string }): CursorData {
  const bad = (why: string) => new AppError('BAD_CURSOR', `The cursor is not valid for this query: ${why}.`);
  let parsed: unknown;
  try {
    const b64 = cursor.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw bad('it does not decode');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw bad('wrong shape');
  const [sort, key, filter] = parsed as [unknown, unknown, unknown];
  if (sort !== expected.sort) throw bad('it belongs to another sort order');
  if (filter !== expected.filter) throw bad('it belongs to another search or other filters');
  if (!Array.isArray(key) || key.length !== 2 || typeof key[1] !== 'string' || !uuid.test(key[1])) {
    throw bad('wrong key');
  }
  if (!validKey(sort as ProductSort, key[0] as unknown)) throw bad('wrong key');
  return { sort: sort as ProductSort, key: key as [string | number, string], filter: filter as string };
}
