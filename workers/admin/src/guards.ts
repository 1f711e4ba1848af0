// Checks that must hold when a catalog write commits, not only when it was planned: a statement in the write's own
// transaction, run under its lock, that fails when it finds a row breaking the rule (an integer cast of a tagged
// text), so the whole transaction rolls back. The driver's error names the tag and the offending value, which
// `guardFailure` reads back for a clear 409. A check made before the transaction alone would let a concurrent
// writer slip between the check and the commit.
import { type SQL, sql } from 'drizzle-orm';

/** A statement that fails, naming `tag` and the first value `offending` selects (one text column), if any. */
export const guard = (tag: string, offending: SQL) =>
  sql`select (${`${tag}:`}::text || x.v)::int from (${offending}) as x(v) limit 1`;

/** The value a failed `guard(tag, ...)` named, if `err` (or what it wraps) is that failure. */
export function guardFailure(err: unknown, tag: string): string | undefined {
  const pattern = new RegExp(`${tag}:([^"]*)"`);
  let e = err as { message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const found = typeof e.message === 'string' ? pattern.exec(e.message)?.[1] : undefined;
    if (found !== undefined) return found;
    e = e.cause as typeof e;
  }
  return pattern.exec(String(err))?.[1];
}
