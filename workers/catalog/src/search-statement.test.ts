// One search budget per fill (search-statement.ts `searchBudget`): a fill's search statements, one after the other,
// share the statement timeout instead of each getting all of it, and one with too little left is not sent.

import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProductListQuery } from '../../../lib/catalog/schemas';
import { listProducts } from './products.repo';
import { MIN_STATEMENT_MS, searchBudget, searchStatement } from './search-statement';

const dialect = new PgDialect();

/**
 * A database that finds nothing: each search statement (a batch: set_config, then the statement) takes `takesMs` of
 * the fake clock, and its statement_timeout is recorded.
 */
function emptyDb(takesMs: number) {
  const timeouts: number[] = [];
  const result = { rows: [] as unknown[] };
  // A drizzle query is a thenable: awaited (the typo lookup) it answers the empty result; batched, its SQL is read.
  // biome-ignore lint/suspicious/noThenProperty: it stands for drizzle's thenable query
  const execute = (q: SQL) => ({ q, then: (done: (r: typeof result) => unknown) => done(result) });
  const db = {
    execute,
    batch: async ([set]: { q: SQL }[]) => {
      const { params } = dialect.sqlToQuery(set!.q);
      const i = params.indexOf('statement_timeout');
      if (i >= 0) timeouts.push(Number(params[i + 1]));
      vi.setSystemTime(Date.now() + takesMs);
      return [result, result];
    },
  };
  return { db: db as never, timeouts };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a fill’s search budget', () => {
  it('is what is left of the timeout at each call, never below 0, and none without a timeout', () => {
    let t = 1000;
    const left = searchBudget(300, () => t);
    expect(left()).toBe(300);
    t += 120;
    expect(left()).toBe(180);
    t += 500;
    expect(left()).toBe(0);
    expect(searchBudget(undefined)()).toBeUndefined();
  });

  it('gives the tiers below the first what the first left, not the whole timeout again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { db, timeouts } = emptyDb(250);
    const query = ProductListQuery.parse({ q: 'cotton shirt', limit: 5 });
    const page = await listProducts(db, query, { statementTimeoutMs: 300 });
    expect(page.items).toEqual([]);
    // The first tier, then the tiers below it (the first found nothing) with 300 - 250 ms.
    expect(timeouts).toEqual([300, 50]);
  });

  it('answers SEARCH_TIMEOUT without sending a statement that has too little left', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { db, timeouts } = emptyDb(300 - MIN_STATEMENT_MS + 1);
    const query = ProductListQuery.parse({ q: 'cotton shirt', limit: 5 });
    await expect(listProducts(db, query, { statementTimeoutMs: 300 })).rejects.toMatchObject({
      code: 'SEARCH_TIMEOUT',
      status: 503,
    });
    expect(timeouts).toEqual([300]);
    let built = false;
    await expect(
      searchStatement(
        db,
        () => {
          built = true;
          return undefined as never;
        },
        { timeoutMs: MIN_STATEMENT_MS - 1, planner: true },
      ),
    ).rejects.toMatchObject({ code: 'SEARCH_TIMEOUT' });
    expect(built).toBe(false);
  });
});
