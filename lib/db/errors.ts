// Telling an outage (retry later: 503) from a bug (500) in what the Neon driver throws.
import { AppError } from '../errors';

// Postgres SQLSTATE classes that mean "the database is not there right now".
const unavailableCodes = /^(08|53|57P0[1-4])/;

/** The error and what it wraps: `cause`, and the Neon driver's `sourceError`. */
function* chain(err: unknown): Generator<{ name?: string; code?: unknown; message?: string }> {
  const seen = new Set<unknown>();
  const queue = [err];
  while (queue.length && seen.size < 8) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    yield e as { name?: string; code?: unknown; message?: string };
    queue.push((e as { cause?: unknown }).cause, (e as { sourceError?: unknown }).sourceError);
  }
}

// What the driver says when it cannot reach the database at all (network, proxy 5xx, our own deadline).
const unreachable =
  /fetch failed|Network connection lost|ECONNREFUSED|ECONNRESET|connection (?:refused|reset|terminated|closed)|timed out|HTTP status 5\d\d|Couldn't connect/i;

export function isDbUnavailable(err: unknown): boolean {
  for (const e of chain(err)) {
    // CircuitOpenError: the Postgres breaker is open (lib/db/breaker.ts), the outage seen a moment ago.
    if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
    if (e.name === 'CircuitOpenError' && (e as { circuit?: string }).circuit === 'postgres') return true;
    if (typeof e.code === 'string' && unavailableCodes.test(e.code)) return true;
    if (unreachable.test(e.message ?? '')) return true;
  }
  return false;
}

/**
 * Whether Postgres cancelled the statement (SQLSTATE 57014, query_canceled): its statement_timeout, set by the
 * statement's own transaction (the search's), not an outage; `isDbUnavailable` is false for it.
 */
export function isStatementTimeout(err: unknown): boolean {
  for (const e of chain(err)) if (e.code === '57014') return true;
  return false;
}

/**
 * Whether a replica cancelled the statement because replaying the primary's changes needed what it read
 * ("canceling statement due to conflict with recovery": SQLSTATE 40001, or 40P01 for a buffer-pin deadlock). It says
 * nothing about the replica's health: the same read may go to another server at once.
 */
export function isRecoveryConflict(err: unknown): boolean {
  for (const e of chain(err)) if (e.code === '40001' || e.code === '40P01') return true;
  return false;
}

/** Seconds a client should wait before retrying while the database is away. */
export const DB_RETRY_AFTER = 5;

/** Rethrows an outage as a 503 AppError with Retry-After; anything else unchanged. */
export function mapDbError(err: unknown): never {
  if (err instanceof AppError) throw err;
  if (isDbUnavailable(err)) {
    throw new AppError('DB_UNAVAILABLE', 'The database is unavailable; try again shortly.', {
      retryAfter: DB_RETRY_AFTER,
      cause: err,
    });
  }
  throw err;
}
