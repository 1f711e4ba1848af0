// One SQL statement on a fresh connection: for tests and the benchmark, which look at Postgres from outside.
import pg from 'pg';

export async function sql<R extends pg.QueryResultRow = any>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, query_timeout: 10_000 });
  // A server stopped by a test (57P01) between this statement's answer and end() must not become an uncaught
  // 'error' event that kills the test process (as in postgres/process.ts); the statement's own failure still rejects.
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}
