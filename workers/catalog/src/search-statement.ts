// A search's statement under its own settings (issue 16): Postgres's statement_timeout, whose cancellation is a
// SEARCH_TIMEOUT and not an outage, and the planner settings of the relevance statement. Shared by the page
// (products.repo.ts), the check that a search has any match, and the facet counts of a search (facets.ts).

import { sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { isStatementTimeout } from '../../../lib/db/errors';
import { AppError } from '../../../lib/errors';
import { log } from '../../../lib/log';
import type { Reader } from './products.repo';
import { SEARCH_RETRY_AFTER } from './relevance';

/**
 * Planner settings of the relevance statement: no scan of a whole table where another plan exists (in Postgres 18 a
 * disabled node, not a cost). Every read of `products` in it is either a walk's lookup by id or a read of GIN hits;
 * a count under a LIMIT, or a read that the planner expects to be large, made a scan of the catalog look cheaper
 * (two common words that never meet: expected often, found nowhere, after reading every product). A tool that
 * EXPLAINs the statement sets them on its session (dev/search-plans.test.ts, dev/search-tail.ts).
 */
export const SEARCH_PLANNER_SETTINGS = { enable_seqscan: 'off' } as const;

/**
 * Below this much of its budget left, a search statement is not sent: it could only be cancelled (or answer after
 * the fill's deadline), so the search answers SEARCH_TIMEOUT at once.
 */
export const MIN_STATEMENT_MS = 20;

/**
 * What is left, at each call, of `timeoutMs` from now: the statement_timeout of the next of a fill's search
 * statements, so that the statements one after the other (the first tier, the tiers below it, a typo retry) keep
 * within one budget and never reach the fill's own deadline (DB_TIMEOUT_MS, an outage to the breaker). Undefined
 * when `timeoutMs` is (no timeout).
 */
export function searchBudget(timeoutMs: number | undefined, now = Date.now): () => number | undefined {
  if (timeoutMs === undefined) return () => undefined;
  const until = now() + timeoutMs;
  return () => Math.max(0, until - now());
}

const searchTimeout = () =>
  new AppError('SEARCH_TIMEOUT', 'The search took too long; try a narrower query or again shortly.', {
    retryAfter: SEARCH_RETRY_AFTER,
  });

/**
 * A search's page statement (`build`, from the database it is given) in its own transaction, with
 * SEARCH_PLANNER_SETTINGS when `planner` (the relevance statement) and, when `timeoutMs` is given, Postgres's
 * statement_timeout (`set_config(…, true)`: for this transaction only). Over Neon's HTTP driver that is
 * one batch request (`sql.transaction`; a replica takes it as every transaction there is read-only), so the server
 * gives up on the statement before the request's own deadline (DB_TIMEOUT_MS) and no connection is left busy. Its
 * cancellation (57014) is a SEARCH_TIMEOUT (503), which neither the Postgres breaker nor the cache's stale-if-error
 * take for an outage.
 */
export async function searchStatement<R>(
  db: Reader,
  build: (d: Reader) => BatchItem<'pg'> & PromiseLike<R>,
  { timeoutMs, planner }: { timeoutMs: number | undefined; planner: boolean },
): Promise<R> {
  const settings = Object.entries({
    ...(planner ? SEARCH_PLANNER_SETTINGS : {}),
    ...(timeoutMs === undefined ? {} : { statement_timeout: String(timeoutMs) }),
  });
  if (timeoutMs !== undefined && timeoutMs < MIN_STATEMENT_MS) {
    log.warn('search statement not sent: its budget is spent', { timeoutMs });
    throw searchTimeout();
  }
  if (settings.length === 0) return build(db);
  const set = sql`select ${sql.join(
    settings.map(([name, value]) => sql`set_config(${name}, ${value}, true)`),
    sql`, `,
  )}`;
  try {
    if ('batch' in db && typeof db.batch === 'function') {
      const [, result] = await db.batch([db.execute(set), build(db)]);
      return result as R;
    }
    return await db.transaction(async (tx) => {
      await tx.execute(set);
      return build(tx as unknown as Reader);
    });
  } catch (err) {
    if (isStatementTimeout(err)) {
      log.warn('search statement cancelled by its statement_timeout', { timeoutMs });
      throw searchTimeout();
    }
    throw err;
  }
}
