// One SQL statement on a fresh connection: for tests and the benchmark, which look at Postgres from outside.
import pg from 'pg';

export async function sql<R extends pg.QueryResultRow = any>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}
