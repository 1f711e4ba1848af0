// A search statement's own statement_timeout (products.repo.ts `searchStatement`), over the Neon HTTP driver
// and the local Neon proxy as the catalog sends it: set in the statement's transaction (one HTTP batch), it holds on
// a streaming replica, and its cancellation is a SEARCH_TIMEOUT (503 with Retry-After), logged, that the Postgres
// breaker does not count and that is no DB_UNAVAILABLE.
// Run: npx vitest run --project tools dev/search-timeout.test.ts
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { ProductListQuery } from '../lib/catalog/schemas';
import { dbAt, dbSettings } from '../lib/db/client';
import { isDbUnavailable, mapDbError } from '../lib/db/errors';
import { AppError } from '../lib/errors';
import { log } from '../lib/log';
import { CircuitBreaker } from '../lib/resilience';
import { listProducts } from '../workers/catalog/src/products.repo';
import { withSeededPostgres } from './explain-kit';
import { startNeonProxy } from './neon-proxy';
import { withFreePorts } from './ports';
import { waitFor } from './wait';

vi.setConfig({ testTimeout: 120_000 });

describe('the search statement’s timeout', () => {
  it('is set per statement on a replica, and its cancellation is a SEARCH_TIMEOUT, not an outage', async () => {
    await withSeededPostgres(
      'search-timeout-test',
      async ({ client, primaryUrl, replicaUrl }) => {
        const proxy = await withFreePorts(1, ([port]) => startNeonProxy({ port: port! }));
        const replica = new pg.Client({ connectionString: replicaUrl });
        const locker = new pg.Client({ connectionString: primaryUrl });
        await replica.connect();
        await locker.connect();
        try {
          const settings = dbSettings({
            DATABASE_URL: primaryUrl,
            NEON_LOCAL_PROXY: `127.0.0.1:${proxy.port}`,
            DB_TIMEOUT_MS: '10000',
          });
          const db = dbAt(replicaUrl, settings);
          await waitFor(
            async () => (await replica.query('select count(*)::int n from product_ranks')).rows[0].n >= 1200,
            'the replica to replay the seed',
            10_000,
            50,
          );
          const query = ProductListQuery.parse({ q: 'cotton shirt', limit: 5 });
          // Under its timeout the search answers from the replica: the batch (set_config, then the statement) is a
          // transaction a standby takes.
          const fine = await listProducts(db, query, { statementTimeoutMs: 2000 });
          expect(fine.items).toHaveLength(5);

          // The primary takes a lock the replica replays: the search waits on it until Postgres cancels it.
          await locker.query('begin');
          await locker.query('lock table products in access exclusive mode');
          // The lock's WAL record goes out with the next flush: a commit elsewhere (a transaction id's) makes one.
          await client.query('select txid_current()');
          await waitFor(
            async () =>
              (
                await replica.query(`select count(*)::int n from pg_locks
                  where relation = 'products'::regclass and mode = 'AccessExclusiveLock'`)
              ).rows[0].n > 0,
            'the replica to replay the lock',
            10_000,
            50,
          );
          const breaker = new CircuitBreaker('postgres-search-test', { failureThreshold: 1, openMs: 60_000 });
          const warn = vi.spyOn(log, 'warn');
          const started = Date.now();
          const err = await breaker
            .run(() => listProducts(db, query, { statementTimeoutMs: 300 }), isDbUnavailable)
            .catch((e: unknown) => e);
          const took = Date.now() - started;
          expect(err).toBeInstanceOf(AppError);
          expect(err).toMatchObject({ code: 'SEARCH_TIMEOUT', status: 503, retryAfter: 2 });
          expect(took).toBeLessThan(settings.DB_TIMEOUT_MS); // Postgres gave up first, not the request's deadline
          expect(isDbUnavailable(err)).toBe(false);
          expect(() => mapDbError(err)).toThrow(err as Error); // not rewritten into DB_UNAVAILABLE
          expect(breaker.state).toBe('closed'); // one failure would have opened it
          // The first statement gets the fill's whole budget (what is left of 300 ms when it is sent).
          const cancelled = warn.mock.calls.find(
            ([msg]) => msg === 'search statement cancelled by its statement_timeout',
          );
          const { timeoutMs } = (cancelled?.[1] ?? {}) as { timeoutMs?: number };
          expect(timeoutMs).toBeGreaterThan(250);
          expect(timeoutMs).toBeLessThanOrEqual(300);
          // A search in another order is one statement under the same timeout.
          const newest = await listProducts(db, { ...query, sort: 'newest' }, { statementTimeoutMs: 300 }).catch(
            (e: unknown) => e,
          );
          expect(newest).toMatchObject({ code: 'SEARCH_TIMEOUT', status: 503 });
          warn.mockRestore();
        } finally {
          await locker.query('rollback').catch(() => {});
          await locker.end();
          await replica.end();
          await proxy.close();
        }
      },
      { env: { SEED_PRODUCTS: '1200' }, log: () => {} },
    );
  });
});
