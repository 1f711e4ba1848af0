// What dev/search-explain.ts and dev/facets-explain.ts share: a throwaway embedded Postgres (or DATA_DIR, kept and
// reused) migrated and loaded with the sized seed (SEED_PRODUCTS, default 100,000; a seed already there is
// recognised and not loaded again), one client to it, the statements the catalog's code sends for a call (through
// drizzle's logger), and a statement's EXPLAIN ANALYZE Execution Time (the median of warm runs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { runMigrations } from '../db/migrate';
import { progressLine, seed, seedSize } from '../db/seed';
import { SEARCH_PLANNER_SETTINGS } from '../workers/catalog/src/search-statement';
import { freePorts } from './ports';
import { startPostgres } from './postgres';

export interface Sent {
  sql: string;
  params: unknown[];
}

export interface ExplainSetup {
  /** The catalog's size (SEED_PRODUCTS). */
  count: number;
  client: pg.Client;
  /** The primary's and its streaming replica's connection strings (for tools that open their own connections). */
  primaryUrl: string;
  replicaUrl: string;
}

/**
 * Runs `body` against a migrated, seeded, analyzed Postgres, then stops it (and removes it unless it is DATA_DIR).
 * `env` is process.env (a test passes its own); `log` prints the seed's progress.
 */
export async function withSeededPostgres<T>(
  name: string,
  body: (setup: ExplainSetup) => Promise<T>,
  { env = process.env, log = console.log }: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<T> {
  const count = seedSize(env.SEED_PRODUCTS ?? '100000');
  const dir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const [primaryPort, replicaPort] = await freePorts(2);
  const cluster = await startPostgres({ dataDir: dir, primaryPort: primaryPort!, replicaPort: replicaPort! });
  try {
    await runMigrations(cluster.primaryUrl);
    const started = Date.now();
    const counts = await seed(cluster.primaryUrl, {
      products: count,
      progress: (done, total, took) => done % 50_000 === 0 && log(progressLine(done, total, took)),
    });
    log(`seed ${JSON.stringify(counts)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const client = new pg.Client({ connectionString: cluster.primaryUrl });
    await client.connect();
    try {
      await client.query('vacuum analyze');
      return await body({ count, client, primaryUrl: cluster.primaryUrl, replicaUrl: cluster.replicaUrl });
    } finally {
      await client.end();
    }
  } finally {
    await cluster.stop();
    if (!env.DATA_DIR) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every statement the catalog's code sends for one call, in order, and what the call answered. */
export async function captured<T>(
  client: pg.Client,
  run: (db: never) => Promise<T>,
): Promise<{ sent: Sent[]; answer: T }> {
  const sent: Sent[] = [];
  const db = drizzle({ client, logger: { logQuery: (sql, params) => sent.push({ sql, params }) } });
  const answer = await run(db as never);
  return { sent, answer };
}

/** A list call's facet counts statement among its others (facets.ts names its rows `f(kind, value, label, path, n)`). */
export const isFacetStatement = (s: Sent) => /\bas f\(kind, value, label, path, n\)/.test(s.sql);

/** A search's page statements among a call's others: its relevance statements (`ranked limit`), not their transaction. */
export const isPageStatement = (s: Sent) => /\branked limit\b/.test(s.sql);

/** The median Execution Time (ms) of `runs` EXPLAIN ANALYZE runs of a statement (the Postgres is warm after the first). */
export async function medianMs(client: pg.Client, sql: string, params: unknown[], runs = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const plan = await client.query(`explain (analyze, format json) ${sql}`, params);
    times.push(plan.rows[0]['QUERY PLAN'][0]['Execution Time'] as number);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/** The plan of a statement as EXPLAIN (ANALYZE, COSTS OFF) prints it. */
export async function planText(client: pg.Client, sql: string, params: unknown[]): Promise<string> {
  const text = await client.query(`explain (analyze, costs off) ${sql}`, params);
  return text.rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** Sets the relevance statement's planner settings on the session, so that its EXPLAIN shows the catalog's plan. */
export async function useSearchSettings(client: pg.Client): Promise<void> {
  for (const [name, value] of Object.entries(SEARCH_PLANNER_SETTINGS))
    await client.query('select set_config($1, $2, false)', [name, value]);
}
