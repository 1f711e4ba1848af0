// `npm run search:reindex` (db/reindex.ts, issue 16): every derived search structure, corrupted, comes back equal to
// a fresh computation from the source tables, while catalog reads (with a short statement and lock timeout) and
// merchant writes run beside it; a dry run reports without writing; a second run corrects nothing; a batch that
// cannot get its locks, and an index rebuild that cannot get past an old transaction, end in time with a message
// (the rebuild's unfinished copy dropped by the next run).
// Run: npx vitest run --project tools dev/reindex.test.ts
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { parseReindexArgs, REINDEX_LOCK, reindex } from '../db/reindex';
import { ProductListQuery } from '../lib/catalog/schemas';
import { listProducts } from '../workers/catalog/src/products.repo';
import { withSeededPostgres } from './explain-kit';

vi.setConfig({ testTimeout: 240_000 });

const RANK = `(coalesce(bool_or(case when l.version = 0 then l.initial_on_hand > 0 else l.available > 0 end), false))::int
  * 1073741824 + least(coalesce(sum(l.sold), 0), 1073741823)::int`;

/** Each structure's rows that differ from a fresh computation over the source tables (at most 5 of each shown). */
async function differences(c: pg.Client) {
  const diff = async (fresh: string, stored: string) => {
    const r = await c.query<{ n: number; sample: unknown }>(
      `with f as (${fresh}), s as (${stored}),
         d as ((select 'missing' side, * from f except select 'missing', * from s)
               union all (select 'extra', * from s except select 'extra', * from f))
       select (select count(*)::int from d) n, (select json_agg(d) from (select * from d limit 5) d) sample`,
    );
    return r.rows[0]!;
  };
  const ranks = await diff(
    `select p.id, coalesce(x.rank, 0) rank from products p
       left join (select v.product_id, ${RANK} rank from product_variants v join inventory_levels l on l.sku = v.sku
                  group by v.product_id) x on x.product_id = p.id`,
    'select product_id, rank from product_ranks',
  );
  const words = await diff(
    `select w, count(*)::int from products, unnest(tsvector_to_array(to_tsvector('simple', title || ' ' || brand))) w
     where length(w) between 2 and 32 group by w`,
    'select word, ndoc from search_words',
  );
  const facetCounts = await diff(
    `select v.kind, p.category_id, v.value, min(v.label collate "C") label, count(*)::int n from products p
       cross join lateral product_facet_values(p.brand_key, p.brand, p.price_amount, p.facet_keys, p.facet_labels) v
     where p.status = 'published' group by 1, 2, 3`,
    'select kind, category_id, value, label, n from facet_counts where n <> 0',
  );
  // The facet keys the migrations' own function makes from the variants: the rows it would rewrite.
  await c.query('begin');
  const keys = await c.query<{ n: number }>(
    `select product_facets_refresh(array(select id from products));
     select count(*)::int n from products where xmin = pg_current_xact_id()::xid`,
  );
  await c.query('rollback');
  const facetKeys = (keys as unknown as pg.QueryResult<{ n: number }>[])[1]!.rows[0]!.n;
  return { ranks, words, facetCounts, facetKeys };
}

const counts = (d: Awaited<ReturnType<typeof differences>>) => ({
  ranks: d.ranks.n,
  words: d.words.n,
  facetCounts: d.facetCounts.n,
  facetKeys: d.facetKeys,
});

/** Every structure wrong in each way, with the triggers off, so that only that structure is. */
async function corrupt(c: pg.Client) {
  await c.query('set session_replication_role = replica');
  // Ranks: wrong, missing, and a product without stock levels ranked as if it had some.
  await c.query(`update product_ranks set rank = rank + 7
    where product_id in (select id from products order by id limit 40)`);
  await c.query(
    `delete from product_ranks where product_id in (select id from products order by id offset 40 limit 20)`,
  );
  const bare = await c.query<{ id: string }>(`insert into products (slug, title, description, brand, category_id,
      price_amount, currency) values ('reindex-bare', 'Bare Product', 'No variants.', 'Barebrand',
      (select id from categories order by id desc limit 1), 1500, 'USD') returning id`);
  await c.query('insert into product_ranks (product_id, rank) values ($1, 99)', [bare.rows[0]!.id]);
  // The lexicon: counts off, words missing, a word no product has.
  await c.query(`update search_words set ndoc = ndoc + 3 where word in ('classic', 'cotton', 'linen')`);
  await c.query(`delete from search_words where word in (select word from search_words order by word limit 15)`);
  await c.query(`insert into search_words (word, ndoc) values ('zzqxnowhere', 4)`);
  // Facet keys: a product's keys emptied, another's labels and combinations wrong.
  await c.query(`update products set facet_keys = '{}', facet_labels = '{}', facet_combos = '{}'
    where id in (select distinct product_id from product_variants where options ? 'size' order by 1 limit 10)`);
  await c.query(`update products set facet_labels = array(select upper(x) from unnest(facet_labels) x),
      facet_combos = '{}'
    where id in (select distinct product_id from product_variants where options ? 'colour' order by 1 desc limit 5)`);
  // Kept facet counts: off, missing, one with no products, one at 0 left by a trigger.
  await c.query(`update facet_counts set n = n + 5 where kind = 'brand' and value in
    (select value from facet_counts where kind = 'brand' order by value limit 5)`);
  await c.query(`delete from facet_counts where (kind, category_id, value) in
    (select kind, category_id, value from facet_counts where kind in ('size', 'price') order by 1, 2, 3 limit 8)`);
  await c.query(`insert into facet_counts (kind, category_id, value, label, n)
    values ('brand', (select min(id) from categories), 'nosuchbrand', 'NoSuchBrand', 3),
           ('colour', (select min(id) from categories), 'nosuchcolour', 'NoSuchColour', 0)`);
  await c.query('set session_replication_role = origin');
}

/** Catalog reads in a loop until `stop`, each with a short statement and lock timeout: what failed and how many. */
async function readLoop(url: string, stop: { done: boolean }) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('set statement_timeout = 2000');
  await c.query('set lock_timeout = 200');
  const db = drizzle({ client: c }) as never;
  const queries = [
    { q: 'classic', facets: 'all' },
    { facets: 'all' },
    { q: 'cotton shirt', size: 'm', facets: 'all' },
    { category: 'apparel', facets: 'all' },
    { q: 'linen', sort: 'relevance' },
  ].map((q) => ProductListQuery.parse(q));
  const errors: string[] = [];
  let reads = 0;
  try {
    while (!stop.done) {
      for (const query of queries) {
        try {
          await listProducts(db, query);
          reads++;
        } catch (error) {
          errors.push(String((error as { cause?: unknown }).cause ?? error));
        }
      }
    }
  } finally {
    await c.end();
  }
  return { reads, errors };
}

/** Merchant-like writes in a loop until `stop`: new products with variants and stock, prices, stock, options, status. */
async function writeLoop(url: string, stop: { done: boolean }) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('set statement_timeout = 10000');
  await c.query('set lock_timeout = 1000');
  const errors: string[] = [];
  let writes = 0;
  const seeded = (await c.query<{ id: string }>('select id from products order by id')).rows.map((r) => r.id);
  const skus = (await c.query<{ sku: string }>('select sku from inventory_levels order by sku')).rows.map((r) => r.sku);
  try {
    for (let i = 0; !stop.done; i++) {
      const pick = <T>(xs: T[], k: number) => xs[(i * 7919 + k * 104_729) % xs.length]!;
      const steps = [
        async () => {
          await c.query('begin');
          const p = await c.query<{ id: string }>(
            `insert into products (slug, title, description, brand, category_id, price_amount, currency)
             values ($1, $2, 'Written beside the reindex.', 'Loopbrand', (select min(id) from categories where parent_id is not null),
                     $3, 'USD') returning id`,
            [`reindex-loop-${i}`, `Classic Loop Scarf loopword${i % 5}`, 1000 + i * 100],
          );
          await c.query(
            `insert into product_variants (product_id, sku, title, options, price_amount, currency)
             values ($1, $2, 'M', $3, 1000, 'USD')`,
            [p.rows[0]!.id, `RX-LOOP-${i}`, JSON.stringify({ Size: i % 2 ? 'M' : 'L', Colour: 'Loop Teal' })],
          );
          await c.query(
            `insert into inventory_levels (sku, initial_on_hand, on_hand, available) values ($1, 5, 5, 5)`,
            [`RX-LOOP-${i}`],
          );
          await c.query('commit');
        },
        () => c.query('update products set price_amount = price_amount + 2600 where id = $1', [pick(seeded, 1)]),
        () =>
          c.query('update inventory_levels set sold = sold + 3, available = 0, version = version + 1 where sku = $1', [
            pick(skus, 2),
          ]),
        () =>
          c.query(`update product_variants set options = options || '{"size": "XXL"}' where sku = $1`, [pick(skus, 3)]),
        () =>
          c.query(
            `update products set status = case status when 'published' then 'draft' else 'published' end where id = $1`,
            [pick(seeded, 4)],
          ),
      ];
      for (const step of steps) {
        try {
          await step();
          writes++;
        } catch (error) {
          await c.query('rollback').catch(() => {});
          errors.push(String(error));
        }
      }
    }
  } finally {
    await c.end();
  }
  return { writes, errors };
}

describe('npm run search:reindex', () => {
  it('rebuilds every structure beside reads and writes, reports progress, and corrects nothing the second time', async () => {
    await withSeededPostgres(
      'reindex-test',
      async ({ client, primaryUrl: url }) => {
        expect(counts(await differences(client))).toEqual({ ranks: 0, words: 0, facetCounts: 0, facetKeys: 0 });
        await corrupt(client);
        const corrupted = counts(await differences(client));
        expect(corrupted.ranks).toBeGreaterThan(0);
        expect(corrupted.words).toBeGreaterThan(0);
        expect(corrupted.facetCounts).toBeGreaterThan(0);
        expect(corrupted.facetKeys).toBe(15);

        // A dry run reports and writes nothing.
        const dryLines: string[] = [];
        const dry = await reindex(url, { dryRun: true, batchSize: 250, log: (l) => dryLines.push(l) });
        expect(dry.corrected.ranks).toBe(61);
        expect(dry.corrected.facetKeys).toBe(15);
        // 3 counts off, 15 words missing, 1 word of no product, 3 of the product inserted with the triggers off.
        expect(dry.corrected.searchWords).toBe(22);
        // 5 brands off (in every category that has them), 8 rows missing, 1 row of no product; 1 at 0 to remove.
        expect(dry.corrected.facetCounts).toBeGreaterThanOrEqual(14);
        expect(dry.emptyRemoved).toEqual({ searchWords: 0, facetCounts: 1 });
        expect(dryLines.filter((l) => /would rebuild/.test(l))).toHaveLength(dry.indexes.length);
        expect(counts(await differences(client))).toEqual(corrupted);

        // The real run, with reads and writes beside it, and a write committed between the counters' snapshot and
        // their correction (to counters that are being corrected: `classic` and a brand's count).
        const stop = { done: false };
        const reads = readLoop(url, stop);
        const writes = writeLoop(url, stop);
        const lines: string[] = [];
        const hook = new pg.Client({ connectionString: url });
        await hook.connect();
        const holder = new pg.Client({ connectionString: url });
        await holder.connect();
        let held: Promise<unknown> | undefined;
        let summary: Awaited<ReturnType<typeof reindex>>;
        try {
          summary = await reindex(url, {
            batchSize: 100,
            applyBatch: 5,
            progressEveryMs: 0,
            log: (l) => lines.push(l),
            // A merchant transaction open on products when the indexes' step begins: the rebuild waits for it
            // (REINDEX CONCURRENTLY), and the writes behind it go on (a plain REINDEX's table lock would queue them).
            hooks: {
              beforeIndexes: async () => {
                await holder.query('begin');
                await holder.query('lock table products in row exclusive mode');
                held = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => holder.query('commit'));
              },
              afterCountersScanned: async () => {
                const brand = await hook.query<{ brand: string; category_id: number }>(
                  `select p.brand, p.category_id from facet_counts c join products p
                   on p.brand_key = c.value and p.category_id = c.category_id and p.status = 'published'
                 where c.kind = 'brand' order by c.value limit 1`,
                );
                const b = brand.rows[0]!;
                await hook.query(
                  `insert into products (slug, title, description, brand, category_id, price_amount, currency)
                 values ('reindex-hook', 'Classic Hook Jacket', 'Between snapshot and correction.', $1, $2, 4200, 'USD')`,
                  [b.brand, b.category_id],
                );
              },
            },
          });
        } finally {
          stop.done = true;
          await held;
          await hook.end();
          await holder.end();
        }
        const r = await reads;
        const w = await writes;
        expect(r.errors).toEqual([]);
        expect(r.reads).toBeGreaterThan(20);
        expect(w.errors).toEqual([]);
        expect(w.writes).toBeGreaterThan(20);
        const after = await differences(client);
        expect(after.ranks.sample).toBeNull();
        expect(after.words.sample).toBeNull();
        expect(after.facetCounts.sample).toBeNull();
        expect(after.facetKeys).toBe(0);
        expect(summary.corrected.ranks).toBeGreaterThanOrEqual(61);
        expect(summary.corrected.facetKeys).toBeGreaterThanOrEqual(15);
        expect(summary.corrected.searchWords).toBeGreaterThanOrEqual(22);
        expect(summary.corrected.facetCounts).toBeGreaterThanOrEqual(14);
        const gone = await client.query("select value from facet_counts where value like 'nosuch%'");
        expect(gone.rows).toEqual([]);
        expect(summary.indexes.length).toBeGreaterThanOrEqual(10);
        // Progress: per batch of each step, a line per index, a summary.
        expect(
          lines.filter((l) => /^reindex ranks and facet keys: [\d,]+\/[\d,]+ products, [\d,]+\/s/.test(l)).length,
        ).toBeGreaterThanOrEqual(12);
        expect(lines.filter((l) => /^reindex counters scan: /.test(l)).length).toBeGreaterThanOrEqual(12);
        expect(lines.filter((l) => /^reindex counters apply: /.test(l)).length).toBeGreaterThanOrEqual(2);
        for (const index of summary.indexes)
          expect(lines.join('\n')).toMatch(new RegExp(`reindex index ${index}: rebuilt in`));
        expect(lines.at(-1)).toMatch(/^reindex done in [\d.]+ s: ranks [\d,]+, facet keys/);
        // Nothing invalid left, and the planner's statistics of the expression indexes kept.
        const invalid = await client.query('select indexrelid::regclass from pg_index where not indisvalid');
        expect(invalid.rows).toEqual([]);
        const stats = await client.query<{ n: number }>(
          "select count(*)::int n from pg_statistic where starelid = 'products_title_words_idx'::regclass",
        );
        expect(stats.rows[0]!.n).toBeGreaterThan(0);

        const again = await reindex(url, { batchSize: 400, indexes: [], log: () => {} });
        expect(again.corrected).toEqual({ ranks: 0, facetKeys: 0, searchWords: 0, facetCounts: 0 });
      },
      { env: { SEED_PRODUCTS: '1200' }, log: () => {} },
    );
  });

  it('ends a batch that cannot get its locks, and an index rebuild that cannot wait out an old transaction, in time with a message', async () => {
    await withSeededPostgres(
      'reindex-lock-test',
      async ({ client, primaryUrl: url }) => {
        const old = new pg.Client({ connectionString: url });
        await old.connect();
        try {
          // A batch whose rows another transaction holds: tried three times, then a message.
          await old.query('begin');
          await old.query(
            'select 1 from product_ranks where product_id = (select id from products order by id limit 1) for update',
          );
          // One run at a time: a second run while one holds the lock is refused before it does anything.
          const other = new pg.Client({ connectionString: url });
          await other.connect();
          await other.query('select pg_advisory_lock($1)', [REINDEX_LOCK]);
          await expect(reindex(url, { indexes: [], log: () => {} })).rejects.toThrow(/another reindex is running/);
          await other.end();
          // An index that does not exist stops the run before its first batch.
          const early: string[] = [];
          await expect(reindex(url, { indexes: ['no_such_idx'], log: (l) => early.push(l) })).rejects.toThrow(
            /index no_such_idx does not exist/,
          );
          expect(early).toEqual([]);
          await expect(reindex(url, { lockTimeoutMs: 200, indexes: [], log: () => {} })).rejects.toThrow(
            /^reindex: ranks of the 1,200 products after the first: could not get its locks within 200 ms \(3 tries\); nothing of this batch was written/,
          );
          await old.query('rollback');
          await old.query('begin isolation level repeatable read');
          await old.query('select count(*) from products');
          const lines: string[] = [];
          await expect(
            reindex(url, {
              indexes: ['products_search_idx'],
              lockTimeoutMs: 500,
              indexLockTimeoutMs: 500,
              indexTimeoutMs: 20_000,
              log: (l) => lines.push(l),
            }),
          ).rejects.toThrow(
            /index products_search_idx: could not get a lock .* within 500 ms; the index is as it was \(products_search_idx_ccnew is left invalid: .*the next run drops it first\)/,
          );
          await old.query('rollback');
          const invalid = () => client.query('select indexrelid::regclass::text i from pg_index where not indisvalid');
          expect((await invalid()).rows).toEqual([{ i: 'products_search_idx_ccnew' }]);
          // The next run drops the leftover first, then rebuilds.
          const next = await reindex(url, { indexes: ['products_search_idx'], log: () => {} });
          expect(next.indexes).toEqual(['products_search_idx']);
          expect((await invalid()).rows).toEqual([]);
          const valid = await client.query(
            "select count(*)::int n from pg_class c join pg_index i on i.indexrelid = c.oid where c.relname = 'products_search_idx' and i.indisvalid",
          );
          expect(valid.rows[0].n).toBe(1);
        } finally {
          await old.end();
        }
      },
      { env: { SEED_PRODUCTS: '1200' }, log: () => {} },
    );
  });

  it('keeps a stock write and a variant write that land in the middle of a batch', async () => {
    await withSeededPostgres(
      'reindex-race-test',
      async ({ client, primaryUrl: url }) => {
        const p = (
          await client.query<{ id: string; sku: string }>(
            `select v.product_id id, v.sku from product_variants v join inventory_levels l on l.sku = v.sku
             where v.options ? 'size' order by v.product_id, v.sku limit 1`,
          )
        ).rows[0]!;
        // The product's keys wrong, so that the batch rewrites its row.
        await client.query('set session_replication_role = replica');
        await client.query(
          `update products set facet_keys = '{}', facet_labels = '{}', facet_combos = '{}' where id = $1`,
          [p.id],
        );
        await client.query('set session_replication_role = origin');
        const stock = new pg.Client({ connectionString: url });
        const variants = new pg.Client({ connectionString: url });
        await stock.connect();
        await variants.connect();
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        let stockDone: Promise<unknown> | undefined;
        let variantDone: Promise<unknown> | undefined;
        try {
          await reindex(url, {
            indexes: [],
            log: () => {},
            hooks: {
              // A stock write of the product begins after the batch locked its rank rows and commits after the
              // batch has read the levels: it waits for the batch, then ranks the product with its own levels.
              afterRanksLocked: async (ids) => {
                if (stockDone || !ids.includes(p.id)) return;
                await stock.query('begin');
                const update = stock.query(
                  'update inventory_levels set available = 0, sold = sold + 77, version = version + 1 where sku = $1',
                  [p.sku],
                );
                await sleep(200);
                stockDone = Promise.all([update, sleep(300).then(() => stock.query('commit'))]);
              },
              // A variant write of the product, its keys rewritten by its trigger, commits while the batch's first
              // refresh waits for that row with keys computed before it: the second refresh reads it.
              beforeFacetKeys: async (ids) => {
                if (variantDone || !ids.includes(p.id)) return;
                await variants.query('begin');
                await variants.query(
                  `update product_variants set options = options || '{"size": "XXL"}' where sku = $1`,
                  [p.sku],
                );
                variantDone = sleep(300).then(() => variants.query('commit'));
              },
            },
          });
          await stockDone;
          await variantDone;
        } finally {
          await stock.end();
          await variants.end();
        }
        expect(stockDone).toBeDefined();
        expect(variantDone).toBeDefined();
        const keys = await client.query<{ facet_keys: string[] }>('select facet_keys from products where id = $1', [
          p.id,
        ]);
        expect(keys.rows[0]!.facet_keys).toContain('size:xxl');
        const after = await differences(client);
        expect(after.ranks.sample).toBeNull();
        expect(after.facetKeys).toBe(0);
        expect(after.facetCounts.sample).toBeNull();
      },
      { env: { SEED_PRODUCTS: '1200' }, log: () => {} },
    );
  });

  it('takes --dry-run, --batch=N and --skip-indexes, and refuses anything else', () => {
    expect(parseReindexArgs(['--dry-run', '--batch=200', '--skip-indexes'])).toEqual({
      dryRun: true,
      batchSize: 200,
      indexes: [],
    });
    expect(() => parseReindexArgs(['--batch=0'])).toThrow(/bad argument "--batch=0"/);
    expect(() => parseReindexArgs(['--dryrun'])).toThrow(/unknown or bad argument/);
  });
});
