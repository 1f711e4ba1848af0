// Telling an outage from a statement Postgres cancelled on purpose (lib/db/errors.ts).
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { isDbUnavailable, isStatementTimeout, mapDbError } from './errors';

/** What the Neon driver throws for a Postgres error: its SQLSTATE in `code`, possibly wrapped. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { name: 'NeonDbError', code });

describe('a cancelled statement', () => {
  it('is a statement timeout, wrapped or not, and no outage', () => {
    const cancelled = pgError('57014', 'canceling statement due to statement timeout');
    for (const err of [cancelled, new Error('search failed', { cause: cancelled })]) {
      expect(isStatementTimeout(err)).toBe(true);
      expect(isDbUnavailable(err)).toBe(false);
    }
  });

  it('is told from an outage: a server shutting down or an unreachable one is no statement timeout', () => {
    for (const err of [pgError('57P01', 'terminating connection'), new Error('fetch failed')]) {
      expect(isStatementTimeout(err)).toBe(false);
      expect(isDbUnavailable(err)).toBe(true);
    }
  });

  it('leaves a SEARCH_TIMEOUT as it is: no DB_UNAVAILABLE', () => {
    const err = new AppError('SEARCH_TIMEOUT', 'The search took too long.', { retryAfter: 2 });
    expect(isDbUnavailable(err)).toBe(false);
    expect(() => mapDbError(err)).toThrow(err);
    expect(err.status).toBe(503);
  });
});
