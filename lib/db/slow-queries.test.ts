// The statement tag of a slow query's log line: verb and first table, never a parameter or literal.
import { describe, expect, it } from 'vitest';
import { statementTag } from './slow-queries';

const body = (query: string, params: unknown[] = []) => JSON.stringify({ query, params });

describe('statementTag', () => {
  it('names the verb and the first table only', () => {
    expect(statementTag(body('select id from orders where id = $1', ['secret']))).toBe('select orders');
    expect(statementTag(body('INSERT INTO "order_events" (a) values ($1)'))).toBe('insert order_events');
    expect(statementTag(body('update stock set n = 1'))).toBe('update stock');
    expect(statementTag(body("select pg_sleep(0.6), 'literal'"))).toBe('select');
    expect(statementTag(JSON.stringify({ queries: [{ query: 'select 1' }, { query: 'select 2' }] }))).toBe(
      'transaction of 2',
    );
    expect(statementTag('not json')).toBe('unknown');
    expect(statementTag(undefined)).toBe('unknown');
  });
});
