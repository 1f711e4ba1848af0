// Opaque keyset-pagination cursors: base64url JSON of the sort, the last row's sort key, and a fingerprint of
// the filters, so a cursor cannot be replayed against another query or sort.
import { AppError } from '../../../lib/errors';
import type { ProductSort } from '../../../lib/catalog/schemas';

export interface CursorData {
  sort: ProductSort;
  /** The last row's sort key: [createdAt, id] | [priceAmount, id] | [rank, id]. */
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
  if (filter !== expected.filter) throw bad('it belongs to another search or category');
  if (!Array.isArray(key) || key.length !== 2 || typeof key[1] !== 'string' || !uuid.test(key[1])) {
    throw bad('wrong key');
  }
  const first = key[0] as unknown;
  const firstOk =
    sort === 'newest'
      ? typeof first === 'string' && /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d(:?\d\d)?|Z)$/.test(first)
      : sort === 'relevance'
        ? typeof first === 'string' && /^[0-9.eE+-]{1,32}$/.test(first)
        : typeof first === 'number' && Number.isInteger(first);
  if (!firstOk) throw bad('wrong key');
  return { sort: sort as ProductSort, key: key as [string | number, string], filter: filter as string };
}
