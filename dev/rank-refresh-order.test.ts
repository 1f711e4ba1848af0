// A bulk stock import and a search reindex batch (db/reindex.ts) that re-rank the same products wait for each other
// instead of deadlocking: product_rank_refresh upserts the rank rows in product id order (migration 0022), the order
// a batch locks them in. The interleaving that deadlocked before 0022 is forced, not raced:
//  1. a holder session locks the rank row of the "gate" product, the one right after the import's lowest product id;
//  2. the real reindex (one batch of every product) locks its rank rows in id order, up to the import's lowest
//     product's, and waits for the gate's;
//  3. the import's levels statement (as workers/admin/src/bulk.apply.ts writes starting stock: one upsert of
//     inventory_levels over the SKUs of 30 products) runs its rank trigger and waits for the batch;
//  4. a probe locks the import's rank rows above the gate with NOWAIT: with 0022 they are free (the import waits on
//     its lowest product first and holds none of the others); with the function of 0012 (no ORDER BY: for 30
//     products the GROUP BY's hash order, whose first is not the lowest id) the import holds some, and the batch,
//     let past the gate, deadlocks on them (40P01: either one can be the one ended, usually the import);
//  5. the holder commits: the batch completes, then the import; neither fails, the ranks equal a fresh computation.
// The second test runs the same steps with 0012's function and sees the deadlock, so the first fails without 0022.
// Run: npx vitest run --project tools dev/rank-refresh-order.test.ts
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reindex } from '../db/reindex';
import { type ExplainSetup, withSeededPostgres } from './explain-kit';
import { waitFor } from './wait';

const migration = (file: string) => fs.readFileSync(new URL(`../db/migrations/${file}`, import.meta.url), 'utf8');
/** product_rank_refresh as migration 0022 made it: the ranks upserted in product id order. */
const ORDERED = migration('0022_rank_refresh_order.sql');
/** product_rank_refresh as migration 0012 made it (before 0022): the ranks upserted in the GROUP BY's order. */
const UNORDERED = migration('0012_search_rank.sql')
  .split('--> statement-breakpoint')
  .find((s) => s.includes('CREATE FUNCTION product_rank_refresh('))!
  .replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION');

/** The bulk import's starting stock statement (bulk.apply.ts `startingStock`), every SKU already there: updates. */
const IMPORT_LEVELS = `insert into inventory_levels (sku, initial_on_hand)
  select r.sku, r.initial from jsonb_to_recordset($1::jsonb) as r(sku text, initial int)
  on conflict (sku) do update set initial_on_hand = excluded.initial_on_hand`;

const RANK = `(coalesce(bool_or(case when l.version = 0 then l.initial_on_hand > 0 else l.available > 0 end), false))::int
  * 1073741824 + least(coalesce(sum(l.sold), 0), 1073741823)::int`;

/** The rank rows that differ from a fresh computation over the stock levels (0 for a product without any). */
async function wrongRanks(c: pg.Client): Promise<number> {
  const r = await c.query<{ n: number }>(
    `select count(*)::int n from products p
       left join product_ranks r on r.product_id = p.id
       left join (select v.product_id, ${RANK} rank from product_variants v join inventory_levels l on l.sku = v.sku
                  group by v.product_id) x on x.product_id = p.id
     where r.rank is distinct from coalesce(x.rank, 0)`,
  );
  return r.rows[0]!.n;
}

interface Import {
  /** The import's products, in id order. */
  products: string[];
  skus: string[];
  /** The product right after the import's lowest one in id order (not among them). */
  gate: string;
}

/** 30 products spread over the id range (every 37th) and all their SKUs: within a bulk import's 200. */
async function pickImport(c: pg.Client): Promise<Import> {
  const products = (
    await c.query<{ id: string }>(
      `select id from (select id, row_number() over (order by id) n from products) p where n % 37 = 5
       order by id limit 30`,
    )
  ).rows.map((r) => r.id);
  const skus = (
    await c.query<{ sku: string }>('select sku from product_variants where product_id = any($1::uuid[]) order by sku', [
      products,
    ])
  ).rows.map((r) => r.sku);
  const gate = (
    await c.query<{ id: string }>('select id from products where id > $1 order by id limit 1', [products[0]])
  ).rows[0]!.id;
  return { products, skus, gate };
}

interface Outcome {
  /** The import's rank rows above the gate, probed with NOWAIT while the import waits for the batch. */
  probe: 'free' | 'held';
  /** SQLSTATE of the import's failure, or null. */
  importError: string | null;
  reindexError: Error | null;
  /** Deadlocks Postgres detected in this database during the interleaving (pg_stat_database). */
  deadlocks: number;
  /** In which order the batch got all its rank rows and the import ended. */
  order: string[];
}

/** Steps 1 to 5 of the top of this file: the import sets the starting stock of each of its SKUs to `initial`. */
async function interleave(c: pg.Client, url: string, imp: Import, initial: number): Promise<Outcome> {
  const deadlocks = async () =>
    (await c.query<{ n: number }>('select deadlocks::int n from pg_stat_database where datname = current_database()'))
      .rows[0]!.n;
  const deadlocksBefore = await deadlocks();
  const open = async (name: string) => {
    const s = new pg.Client({ connectionString: url, application_name: `rank-order ${name}` });
    await s.connect();
    return { s, pid: (await s.query<{ pid: number }>('select pg_backend_pid() pid')).rows[0]!.pid };
  };
  const holder = await open('holder');
  const importer = await open('import');
  const prober = await open('probe');
  const order: string[] = [];
  try {
    // As the bulk import's transaction (docs/admin.md): bounded on the server, below its client's 30 s.
    await importer.s.query("set lock_timeout = '20s'");
    await importer.s.query("set statement_timeout = '25s'");

    await holder.s.query('begin');
    await holder.s.query('select 1 from product_ranks where product_id = $1 for update', [imp.gate]);
    const reindexed = reindex(url, {
      indexes: [],
      lockTimeoutMs: 10_000,
      log: () => {},
      hooks: {
        afterRanksLocked: async () => {
          order.push('batch locked');
        },
      },
    }).then(
      () => null,
      (error: Error) => error,
    );
    const batchPid = await waitFor(
      async () =>
        (
          await c.query<{ pid: number }>(
            `select pid from pg_stat_activity
             where application_name = 'search-reindex main' and $1::int = any(pg_blocking_pids(pid))`,
            [holder.pid],
          )
        ).rows[0]?.pid,
      'the reindex batch to wait for the gate product’s rank row',
      10_000,
      20,
    );

    const levels = JSON.stringify(imp.skus.map((sku) => ({ sku, initial })));
    const imported = importer.s.query(IMPORT_LEVELS, [levels]).then(
      () => {
        order.push('import done');
        return null;
      },
      (error: { code?: string }) => error.code ?? String(error),
    );
    await waitFor(
      async () =>
        (await c.query<{ b: boolean }>('select $1::int = any(pg_blocking_pids($2)) b', [batchPid, importer.pid]))
          .rows[0]!.b,
      'the import to wait for the reindex batch',
      10_000,
      20,
    );

    // The batch holds the rank rows below the gate; nobody but the import can hold those above it.
    await prober.s.query('begin');
    const probe = await prober.s
      .query(
        `select 1 from product_ranks where product_id = any($1::uuid[]) and product_id > $2
         order by product_id for update nowait`,
        [imp.products, imp.gate],
      )
      .then(
        (r) => {
          expect(r.rowCount).toBe(imp.products.length - 1);
          return 'free' as const;
        },
        (error: { code?: string }) => {
          if (error.code === '55P03') return 'held' as const;
          throw error;
        },
      );
    await prober.s.query('rollback');

    await holder.s.query('commit');
    const [reindexError, importError] = await Promise.all([reindexed, imported]);
    // A deadlock's count reaches pg_stat_database when its backend flushes its statistics, at the latest when it
    // exits: wait for every backend of the interleaving to be gone.
    await Promise.all([holder.s.end(), importer.s.end(), prober.s.end()]);
    await waitFor(
      async () =>
        (
          await c.query<{ n: number }>(
            `select count(*)::int n from pg_stat_activity
             where application_name like 'rank-order %' or application_name like 'search-reindex %'`,
          )
        ).rows[0]!.n === 0,
      'the interleaving’s backends to exit',
      10_000,
      20,
    );
    return { probe, importError, reindexError, deadlocks: (await deadlocks()) - deadlocksBefore, order };
  } finally {
    for (const { s } of [holder, importer, prober]) await s.end().catch(() => {});
  }
}

// One seeded Postgres for both tests (their imports set other stock; the second restores the function).
let release = () => {};
let setup: Promise<ExplainSetup>;
let cluster: Promise<unknown>;

beforeAll(async () => {
  const released = new Promise<void>((r) => {
    release = r;
  });
  setup = new Promise<ExplainSetup>((ready, failed) => {
    cluster = withSeededPostgres(
      'rank-order-test',
      async (s) => {
        ready(s);
        await released;
      },
      { env: { SEED_PRODUCTS: '1200' }, log: () => {} },
    );
    cluster.catch(failed); // a start that fails fails here; a stop that fails, in afterAll
  });
  await setup;
});

afterAll(async () => {
  release();
  await cluster;
});

describe('a bulk stock import beside a search reindex batch', () => {
  it('waits for the batch holding none of its products’ rank rows, and both complete with the ranks right', async () => {
    const { client, primaryUrl } = await setup;
    const imp = await pickImport(client);
    expect(imp.skus.length).toBeLessThanOrEqual(200);
    expect(imp.products).not.toContain(imp.gate);
    const inStock = await client.query<{ n: number }>(
      'select count(*)::int n from product_ranks where product_id = any($1::uuid[]) and rank >= 1073741824',
      [imp.products],
    );
    expect(inStock.rows[0]!.n).toBeGreaterThan(0);

    const out = await interleave(client, primaryUrl, imp, 0);
    expect(out).toEqual({
      probe: 'free',
      importError: null,
      reindexError: null,
      deadlocks: 0,
      order: ['batch locked', 'import done'],
    });
    // The import's ranks (no stock left: none in stock) are written after the batch's, not overwritten by them.
    const after = await client.query<{ n: number }>(
      'select count(*)::int n from product_ranks where product_id = any($1::uuid[]) and rank >= 1073741824',
      [imp.products],
    );
    expect(after.rows[0]!.n).toBe(0);
    expect(await wrongRanks(client)).toBe(0);
  });

  it('deadlocked with the function before migration 0022 (the test above fails without it)', async () => {
    const { client, primaryUrl } = await setup;
    const imp = await pickImport(client);
    expect(UNORDERED).toMatch(/GROUP BY v\.product_id\s+ON CONFLICT/);
    expect(ORDERED).toMatch(/GROUP BY v\.product_id\s+ORDER BY v\.product_id\s+ON CONFLICT/);
    // What makes the order differ from the ids': for a few products the GROUP BY sorts (the deadlock needed a bulk
    // import), for the import's 30 it is a hash table's.
    const select = /INSERT INTO product_ranks AS r \(product_id, rank\)\s+(SELECT[\s\S]*?)\s+ON CONFLICT/.exec(
      UNORDERED,
    )![1]!;
    const plan = await client.query(`explain (costs off) ${select.replace('ANY (ids)', 'ANY ($1::uuid[])')}`, [
      imp.products,
    ]);
    expect(plan.rows[0]['QUERY PLAN']).toMatch(/^HashAggregate/);
    await client.query(UNORDERED);
    try {
      const out = await interleave(client, primaryUrl, imp, 5);
      // The import holds rank rows above the gate while it waits for the batch, which then waits for them: one of
      // the two is ended by the deadlock (the reindex tries its batch again; an import would fail).
      expect(out.probe).toBe('held');
      expect(out.deadlocks).toBe(1);
      expect(out.reindexError).toBeNull();
      expect([null, '40P01']).toContain(out.importError);
    } finally {
      await client.query(ORDERED);
    }
    expect(await wrongRanks(client)).toBe(0);
  });
});
