// Telling an outage (retry later: 503) from a bug (500) in what the Neon driver throws.
import { AppError } from '../errors';

// Postgres SQLSTATE classes that mean "the database is not there right now".
const unavailableCodes = /^(08|53|57P0[1-4])/;

export function isDbUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const anyErr = e as { name?: string; code?: unknown; message?: string; sourceError?: unknown };
    if (anyErr.name === 'AbortError' || anyErr.name === 'TimeoutError') return true;
    if (typeof anyErr.code === 'string' && unavailableCodes.test(anyErr.code)) return true;
    const msg = anyErr.message ?? '';
    if (/fetch failed|network|ECONNREFUSED|connection|timed? ?out|HTTP status 5\d\d|Network connection lost/i.test(msg)) {
      return true;
    }
    if (anyErr.sourceError) e = { cause: anyErr.sourceError };
  }
  return false;
}

/** Seconds a client should wait before retrying while the database is away. */
export const DB_RETRY_AFTER = 5;

/** Rethrows an outage as a 503 AppError with Retry-After; anything else unchanged. */
export function mapDbError(err: unknown): never {
  if (err instanceof AppError) throw err;
  if (isDbUnavailable(err)) {
    throw new AppError('DB_UNAVAILABLE', 'The catalog database is unavailable; try again shortly.', {
      retryAfter: DB_RETRY_AFTER,
      cause: err,
    });
  }
  throw err;
}
