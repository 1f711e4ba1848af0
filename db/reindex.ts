// A full rebuild of the search's derived structures from the source tables (issue 16), without blocking reads or
// merchant writes and correct under concurrent writes. The "search index" is Postgres itself (docs/catalog.md
// "Reindexing"); this rebuilds, in order:
//  1. per product, in keyset batches of ids (each its own short transaction): the static rank (`product_ranks`,
//     product_rank_refresh of migration 0012, and 0 for a product with no stock levels) and the facet keys
//     (`products.facet_keys`/`facet_labels`/`facet_combos`, product_facets_refresh of 0013/0014);
//  2. the counters kept by deltas: the lexicon's `search_words.ndoc` (0011) and the kept facet counts
//     (`facet_counts`, 0015), recounted from one REPEATABLE READ snapshot and corrected by `true - stored` (both read
//     in that snapshot), so that what the triggers added since is kept;
//  3. the search indexes, each by REINDEX INDEX CONCURRENTLY (no lock that stops reads or writes).
// CLI: DATABASE_URL=postgres://... npm run search:reindex [-- --dry-run] [--batch=5000] [--skip-indexes]
//      (against Neon: the primary's direct URL, as for db:migrate)
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The indexes step 3 rebuilds: the full-text, title, facet, rank and lexicon indexes. */
export const SEARCH_INDEXES = [
  'products_search_idx',
  'products_search_title_idx',
  'products_search_title_brand_idx',
  'products_title_words_idx',
  'products_facet_keys_idx',
  'products_facet_combos_idx',
  'products_brand_key_idx',
  'product_ranks_rank_idx',
  'search_words_prefix_idx',
  'search_words_trgm_idx',
  // The derived tables' own keys: every rank and lexicon write rewrites their rows, and they bloat as the others do.
  'product_ranks_pkey',
  'search_words_pkey',
] as const;

export interface ReindexOptions {
  /** Report what would be corrected, write nothing (step 1 runs each batch's correction and rolls it back). */
  dryRun?: boolean;
  /** Products per batch of step 1 and of step 2's scan (default 5,000). */
  batchSize?: number;
  /** Counter rows per correcting transaction of step 2 (default 1,000). */
  applyBatch?: number;
  /** The indexes of step 3 (default SEARCH_INDEXES; [] skips the step). */
  indexes?: readonly string[];
  /** lock_timeout of every statement that takes row or table locks (default 5,000 ms). */
  lockTimeoutMs?: number;
  /** statement_timeout of the batches' statements and the snapshot's scans (default 120,000 ms). */
  statementTimeoutMs?: number;
  /**
   * lock_timeout of one REINDEX INDEX CONCURRENTLY (default 60,000 ms): how long it may wait out the transactions older
   * than each of its phases (a bulk import, a long report). Its lock stops no read or write, so it may wait longer
   * than a batch.
   */
  indexLockTimeoutMs?: number;
  /** statement_timeout of one REINDEX INDEX CONCURRENTLY (default 3,600,000 ms). */
  indexTimeoutMs?: number;
  /** How often a long step prints a progress line at least (default 2,000 ms; a line per batch at most). */
  progressEveryMs?: number;
  log?: (line: string) => void;
  /** Tests: points between the steps' statements, where a concurrent write can be made to land. */
  hooks?: ReindexHooks;
}

export interface ReindexHooks {
  /** In each rank batch's transaction, after its rank rows are locked and before they are recomputed. */
  afterRanksLocked?: (ids: string[]) => Promise<void>;
  /** In each facet keys batch's transaction, before the first refresh. */
  beforeFacetKeys?: (ids: string[]) => Promise<void>;
  /** After step 2's snapshot has been read, before its corrections are applied. */
  afterCountersScanned?: () => Promise<void>;
  /** Before step 3. */
  beforeIndexes?: () => Promise<void>;
}

export interface ReindexSummary {
  dryRun: boolean;
  products: number;
  /** Rows corrected (or, with dryRun, that would be) per structure. */
  corrected: { ranks: number; facetKeys: number; searchWords: number; facetCounts: number };
  /** Counter rows already at 0 (that no product has) removed: the triggers leave them, they are not wrong. */
  emptyRemoved: { searchWords: number; facetCounts: number };
  /** Indexes rebuilt (with dryRun: found, not rebuilt). */
  indexes: string[];
  /** Milliseconds per step. */
  ms: { products: number; counters: number; indexes: number; total: number };
}

/** The advisory lock a run holds (one run per database at a time). */
export const REINDEX_LOCK = 1_601_160_016;

/** The Postgres errors a batch is tried again after: a deadlock, a lock wait over lock_timeout, a product deleted under it. */
const RETRIED = new Set(['40P01', '55P03', '23503']);
const TRIES = 3;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A progress line: what is done of the total, the rate, the time spent and what is left at that rate. */
export function reindexProgressLine(step: string, done: number, total: number, elapsedMs: number, unit: string) {
  const rate = done / Math.max(elapsedMs / 1000, 0.001);
  const left = (total - done) / Math.max(rate, 1);
  return `reindex ${step}: ${fmt(done)}/${fmt(total)} ${unit}, ${fmt(rate)}/s, ${secs(elapsedMs)} elapsed, ~${Math.ceil(left)} s left`;
}

/** Byte order of UTF-8, as COLLATE "C" sorts (the order the triggers keep the smallest label in). */
const cLess = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;

async function connect(url: string, name: string, statementTimeoutMs: number, lockTimeoutMs: number) {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    application_name: `search-reindex ${name}`,
  });
  await client.connect();
  await client.query(`set statement_timeout = ${Math.trunc(statementTimeoutMs)}`);
  await client.query(`set lock_timeout = ${Math.trunc(lockTimeoutMs)}`);
  return client;
}

/** Runs `body` in a transaction, tried again on a deadlock or a lock wait over lock_timeout; rolled back if `dry`. */
async function transaction<T>(
  client: pg.Client,
  what: string,
  lockTimeoutMs: number,
  dry: boolean,
  body: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await client.query('begin');
    try {
      const result = await body();
      await client.query(dry ? 'rollback' : 'commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      const code = (error as { code?: string }).code ?? '';
      if (!RETRIED.has(code)) {
        const why = code === '57014' ? 'a statement took longer than its statement_timeout' : (error as Error).message;
        throw new Error(`reindex: ${what}: ${why}; nothing of this batch was written`, { cause: error });
      }
      if (attempt >= TRIES) {
        throw new Error(
          `reindex: ${what}: ${code === '55P03' ? `could not get its locks within ${lockTimeoutMs} ms` : (error as Error).message} (${TRIES} tries); nothing of this batch was written, run it again when writes are quieter`,
          { cause: error },
        );
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** A throttled progress printer: a line when `every` ms have passed since the last one, and at the end. */
function progress(log: (line: string) => void, every: number) {
  let last = 0;
  return (line: () => string, force = false) => {
    const now = Date.now();
    if (force || now - last >= every) {
      last = now;
      log(line());
      return true;
    }
    return false;
  };
}

/** The first id of each batch's range after `after`: the upper bound of the next `size` products by id, or null. */
async function batchEnd(client: pg.Client, after: string | null, size: number): Promise<string | null> {
  const r = await client.query<{ id: string }>(
    'select id from products where ($1::uuid is null or id > $1) order by id offset $2 limit 1',
    [after, size - 1],
  );
  return r.rows[0]?.id ?? null;
}

/**
 * Step 1: each batch of products' rank and facet keys, recomputed by the migrations' own functions. Ranks: the
 * batch's rank rows are locked first (in id order), then recomputed by a statement whose snapshot is taken after
 * the locks: a stock write that committed before sees its levels read, one that did not waits for this
 * transaction and then writes its own rank (computed with its levels), so neither overwrites the other with an old
 * value. Facet keys: the function only writes (and locks) the rows that differ; if it wrote any, it is run again in
 * the same transaction, whose new snapshot sees any variant write that committed while the first run overwrote that row
 * with what it had read before (a later one waits for this transaction's lock and writes its own keys after).
 */
async function perProduct(
  client: pg.Client,
  total: number,
  o: Required<Pick<ReindexOptions, 'batchSize' | 'lockTimeoutMs' | 'dryRun' | 'progressEveryMs'>> & {
    log: (line: string) => void;
    hooks?: ReindexHooks;
  },
) {
  const started = Date.now();
  const show = progress(o.log, o.progressEveryMs);
  let after: string | null = null;
  let done = 0;
  let ranks = 0;
  let facetKeys = 0;
  let longest = 0;
  let shownAt = 0;
  const line = () =>
    `${reindexProgressLine('ranks and facet keys', done, Math.max(total, done), Date.now() - started, 'products')}; ${fmt(ranks)} ranks and ${fmt(facetKeys)} facet keys ${o.dryRun ? 'to correct' : 'corrected'}; longest rank batch (its rows locked) ${fmt(longest)} ms`;
  for (;;) {
    const ids: string[] | null = (
      await client.query<{ ids: string[] | null }>(
        `select array_agg(id order by id) ids
         from (select id from products where $1::uuid is null or id > $1 order by id limit $2) b`,
        [after, o.batchSize],
      )
    ).rows[0]!.ids;
    const last = (ids?.length ?? 0) < o.batchSize;
    if (!ids?.length) {
      if (done > shownAt) o.log(line());
      break;
    }
    const what = `ranks of the ${fmt(ids.length)} products after ${after ?? 'the first'}`;
    const t0 = Date.now();
    ranks += await transaction(client, what, o.lockTimeoutMs, o.dryRun, async () => {
      await client.query(
        `insert into product_ranks (product_id) select id from products where id = any($1::uuid[]) order by id
         on conflict do nothing`,
        [ids],
      );
      await client.query(
        'select 1 from product_ranks where product_id = any($1::uuid[]) order by product_id for update',
        [ids],
      );
      await o.hooks?.afterRanksLocked?.(ids);
      await client.query('select product_rank_refresh($1::uuid[])', [ids]);
      // product_rank_refresh ranks the products that have stock levels; one without any ranks as a new one: 0.
      await client.query(
        `update product_ranks r set rank = 0 where r.product_id = any($1::uuid[]) and r.rank <> 0
           and not exists (select 1 from product_variants v join inventory_levels l on l.sku = v.sku
                           where v.product_id = r.product_id)`,
        [ids],
      );
      return written(client, 'product_ranks', 'product_id', ids);
    });
    longest = Math.max(longest, Date.now() - t0);
    facetKeys += await transaction(
      client,
      `facet keys of the ${fmt(ids.length)} products after ${after ?? 'the first'}`,
      o.lockTimeoutMs,
      o.dryRun,
      async () => {
        await o.hooks?.beforeFacetKeys?.(ids);
        await client.query('select product_facets_refresh($1::uuid[])', [ids]);
        // Nothing written, nothing overwritten: the second run is only needed when the first wrote a row.
        if ((await written(client, 'products', 'id', ids)) === 0) return 0;
        await client.query('select product_facets_refresh($1::uuid[])', [ids]);
        return written(client, 'products', 'id', ids);
      },
    );
    done += ids.length;
    after = ids.at(-1)!;
    if (show(line, last)) shownAt = done;
    if (last) break;
  }
  if (done === 0) o.log('reindex ranks and facet keys: no products');
  return { done, ranks, facetKeys, ms: Date.now() - started };
}

/** The rows of `table` among `ids` that this transaction wrote (inserted or updated). */
async function written(client: pg.Client, table: string, key: string, ids: string[]): Promise<number> {
  const r = await client.query<{ n: number }>(
    `select count(*)::int n from ${table} where ${key} = any($1::uuid[]) and xmin = pg_current_xact_id()::xid`,
    [ids],
  );
  return r.rows[0]!.n;
}

interface CountRow {
  n: number;
  label: string;
}
interface Correction {
  key: string[];
  delta: number;
  label: string | null;
  storedLabel: string | null;
  /** A row at 0 that no product has: removed, not counted as a correction. */
  empty: boolean;
}

const count = (fixes: Correction[], empty: boolean) => fixes.filter((f) => f.empty === empty).length;

/**
 * Step 2's scan: in one REPEATABLE READ snapshot, the stored counters and the true ones (the products read in
 * keyset batches, each batch's words and facet values grouped in Postgres and summed here), and their differences.
 */
async function scanCounters(
  client: pg.Client,
  total: number,
  o: { batchSize: number; statementTimeoutMs: number; progressEveryMs: number; log: (line: string) => void },
) {
  const started = Date.now();
  const show = progress(o.log, o.progressEveryMs);
  const words = new Map<string, number>();
  const facets = new Map<string, CountRow>();
  const storedWords = new Map<string, number>();
  const storedFacets = new Map<string, CountRow>();
  await client.query('begin isolation level repeatable read read only');
  try {
    for (const r of (await client.query<{ word: string; ndoc: number }>('select word, ndoc from search_words')).rows)
      storedWords.set(r.word, r.ndoc);
    for (const r of (
      await client.query<{ kind: string; category_id: number; value: string; label: string; n: number }>(
        'select kind, category_id, value, label, n from facet_counts',
      )
    ).rows)
      storedFacets.set(JSON.stringify([r.kind, String(r.category_id), r.value]), { n: r.n, label: r.label });
    let after: string | null = null;
    let done = 0;
    for (;;) {
      const end = await batchEnd(client, after, o.batchSize);
      const range = [after, end];
      const where = '($1::uuid is null or p.id > $1) and ($2::uuid is null or p.id <= $2)';
      const w = await client.query<{ w: string; n: number }>(
        `select w, count(*)::int n
         from products p, unnest(tsvector_to_array(to_tsvector('simple', p.title || ' ' || p.brand))) as w
         where ${where} and length(w) between 2 and 32 group by w`,
        range,
      );
      for (const r of w.rows) words.set(r.w, (words.get(r.w) ?? 0) + r.n);
      const f = await client.query<{ kind: string; category_id: number; value: string; label: string; n: number }>(
        `select v.kind, p.category_id, v.value, min(v.label collate "C") label, count(*)::int n
         from products p
           cross join lateral product_facet_values(p.brand_key, p.brand, p.price_amount, p.facet_keys,
                                                   p.facet_labels) as v
         where ${where} and p.status = 'published'
         group by v.kind, p.category_id, v.value`,
        range,
      );
      for (const r of f.rows) {
        const key = JSON.stringify([r.kind, String(r.category_id), r.value]);
        const had = facets.get(key);
        if (!had) facets.set(key, { n: r.n, label: r.label });
        else facets.set(key, { n: had.n + r.n, label: cLess(r.label, had.label) ? r.label : had.label });
      }
      const n = (await client.query<{ n: number }>(`select count(*)::int n from products p where ${where}`, range))
        .rows[0]!.n;
      done += n;
      show(
        () => reindexProgressLine('counters scan', done, Math.max(total, done), Date.now() - started, 'products'),
        end === null,
      );
      if (end === null) break;
      after = end;
    }
  } finally {
    await client.query('rollback').catch(() => {});
  }
  const empty = (truth: number, stored: CountRow | number | undefined) =>
    truth === 0 && (typeof stored === 'number' ? stored : stored?.n) === 0;
  const wordFixes: Correction[] = [];
  for (const word of new Set([...words.keys(), ...storedWords.keys()])) {
    const truth = words.get(word) ?? 0;
    const stored = storedWords.get(word);
    // A word no product has any more goes (stored at 0 too); one whose count is right stays as it is.
    if (truth !== (stored ?? 0) || (truth === 0 && stored !== undefined))
      wordFixes.push({
        key: [word],
        delta: truth - (stored ?? 0),
        label: null,
        storedLabel: null,
        empty: empty(truth, stored),
      });
  }
  const facetFixes: Correction[] = [];
  for (const key of new Set([...facets.keys(), ...storedFacets.keys()])) {
    const truth = facets.get(key);
    const stored = storedFacets.get(key);
    const delta = (truth?.n ?? 0) - (stored?.n ?? 0);
    const labelWrong = truth !== undefined && stored !== undefined && truth.label !== stored.label;
    if (delta !== 0 || labelWrong || (truth === undefined && stored !== undefined))
      facetFixes.push({
        key: JSON.parse(key) as string[],
        delta,
        label: truth?.label ?? stored?.label ?? '',
        storedLabel: stored?.label ?? null,
        empty: empty(truth?.n ?? 0, stored),
      });
  }
  const byKey = (a: Correction, b: Correction) => {
    for (let i = 0; i < a.key.length; i++) {
      const x = a.key[i]!;
      const y = b.key[i]!;
      if (x !== y) return i === 1 ? Number(x) - Number(y) : x < y ? -1 : 1;
    }
    return 0;
  };
  return { wordFixes: wordFixes.sort(byKey), facetFixes: facetFixes.sort(byKey), ms: Date.now() - started };
}

/**
 * Step 2's corrections, in short transactions of `applyBatch` rows: each counter moved by its difference (the
 * triggers' own upsert, so that what they added since the snapshot stays), a missing one inserted, a label put
 * right if it is still the one the snapshot read, and rows that end at 0 removed. Each statement takes its rows in
 * key order, as the triggers do.
 */
async function applyCounters(
  client: pg.Client,
  fixes: { wordFixes: Correction[]; facetFixes: Correction[] },
  o: { applyBatch: number; lockTimeoutMs: number; log: (line: string) => void; progressEveryMs: number },
) {
  const show = progress(o.log, o.progressEveryMs);
  const started = Date.now();
  const all = fixes.wordFixes.length + fixes.facetFixes.length;
  let done = 0;
  for (let i = 0; i < fixes.wordFixes.length; i += o.applyBatch) {
    const part = fixes.wordFixes.slice(i, i + o.applyBatch);
    const words = part.map((c) => c.key[0]!);
    await transaction(client, `lexicon words from ${words[0]}`, o.lockTimeoutMs, false, async () => {
      await client.query(
        `insert into search_words as s (word, ndoc)
         select w, d from unnest($1::text[], $2::int[]) as x(w, d) order by w
         on conflict (word) do update set ndoc = s.ndoc + excluded.ndoc`,
        [words, part.map((c) => c.delta)],
      );
      await client.query('delete from search_words where word = any($1::text[]) and ndoc <= 0', [words]);
    });
    done += part.length;
    show(() => reindexProgressLine('counters apply', done, all, Date.now() - started, 'rows'));
  }
  for (let i = 0; i < fixes.facetFixes.length; i += o.applyBatch) {
    const part = fixes.facetFixes.slice(i, i + o.applyBatch);
    const cols = [0, 1, 2].map((k) => part.map((c) => c.key[k]!));
    const params = [...cols, part.map((c) => c.label), part.map((c) => c.delta), part.map((c) => c.storedLabel)];
    const rows = `unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[], $6::text[])
                  as x(kind, category_id, value, label, d, stored_label)`;
    await transaction(client, `facet counts from ${part[0]!.key.join(' ')}`, o.lockTimeoutMs, false, async () => {
      // A row missing at the snapshot and inserted since by a trigger keeps the smaller label, as the triggers do.
      await client.query(
        `insert into facet_counts as c (kind, category_id, value, label, n)
         select kind, category_id, value, label, d from ${rows}
         where exists (select 1 from categories k where k.id = x.category_id)
         order by kind, category_id, value
         on conflict (kind, category_id, value) do update
           set n = c.n + excluded.n, label = least(c.label, excluded.label collate "C")`,
        params,
      );
      await client.query(
        `update facet_counts c set label = x.label from ${rows}
         where (c.kind, c.category_id, c.value) = (x.kind, x.category_id, x.value)
           and c.label = x.stored_label and x.stored_label <> x.label`,
        params,
      );
      await client.query(
        `delete from facet_counts c using ${rows}
         where (c.kind, c.category_id, c.value) = (x.kind, x.category_id, x.value) and c.n <= 0`,
        params,
      );
    });
    done += part.length;
    show(() => reindexProgressLine('counters apply', done, all, Date.now() - started, 'rows'));
  }
  if (all > 0) o.log(reindexProgressLine('counters apply', done, all, Date.now() - started, 'rows'));
}

/** Invalid leftovers of an interrupted REINDEX CONCURRENTLY of `index` (`<index>_ccnew`, `_ccold`, numbered). */
async function leftovers(client: pg.Client, index: string): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `select c.relname name from pg_index i join pg_class c on c.oid = i.indexrelid
     where not i.indisvalid and c.relname ~ ('^' || $1 || '_cc(new|old)[0-9]*$')`,
    [index],
  );
  return r.rows.map((x) => x.name);
}

/** Drops the invalid leftovers of `index` (DROP INDEX CONCURRENTLY, under lock_timeout): the ones still there. */
async function dropLeftovers(client: pg.Client, index: string): Promise<string[]> {
  for (const name of await leftovers(client, index))
    await client.query(`drop index concurrently if exists "${name}"`).catch((error) => {
      if ((error as { code?: string }).code !== '55P03') throw error;
    });
  return leftovers(client, index);
}

/**
 * Step 3: REINDEX INDEX CONCURRENTLY of each index, outside any transaction (it cannot run in one), with the
 * progress Postgres reports for it (pg_stat_progress_create_index, read from a second connection). It takes no
 * lock that stops a read or a write; it waits for the transactions older than each of its phases, up to
 * lock_timeout: a wait over it ends the step with a message, and the unfinished copy it leaves is dropped.
 */
async function rebuildIndexes(
  client: pg.Client,
  watcher: pg.Client,
  indexes: readonly string[],
  o: {
    dryRun: boolean;
    lockTimeoutMs: number;
    indexLockTimeoutMs: number;
    indexTimeoutMs: number;
    progressEveryMs: number;
    log: (line: string) => void;
  },
) {
  const started = Date.now();
  const rebuilt: string[] = [];
  const pid = (await client.query<{ pid: number }>('select pg_backend_pid() pid')).rows[0]!.pid;
  for (const index of indexes) {
    const found = await client.query<{ size: string }>(
      "select pg_size_pretty(pg_relation_size(c.oid)) size from pg_class c where c.relname = $1 and c.relkind = 'i'",
      [index],
    );
    if (!found.rows[0]) throw new Error(`reindex: index ${index} does not exist (is the database migrated?)`);
    if (o.dryRun) {
      const stale = await leftovers(client, index);
      o.log(`reindex index ${index} (${found.rows[0].size}): would rebuild${stale.length ? `, drop ${stale}` : ''}`);
      rebuilt.push(index);
      continue;
    }
    const left = await dropLeftovers(client, index);
    if (left.length)
      throw new Error(
        `reindex: index ${index}: could not drop the unfinished copy ${left.join(', ')} of an earlier run within ${o.lockTimeoutMs} ms (an older transaction is still open); run the reindex again`,
      );
    const t0 = Date.now();
    let took = 0;
    let polling = true;
    let wake = () => {};
    const stopped = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const poll = (async () => {
      while (polling) {
        await Promise.race([
          new Promise((r) => {
            timer = setTimeout(r, Math.max(o.progressEveryMs, 100));
          }),
          stopped,
        ]);
        clearTimeout(timer);
        if (!polling) break;
        const p = await watcher
          .query<{ phase: string; bd: string; bt: string; td: string; tt: string }>(
            `select phase, blocks_done bd, blocks_total bt, tuples_done td, tuples_total tt
             from pg_stat_progress_create_index where pid = $1`,
            [pid],
          )
          .catch(() => ({ rows: [] }));
        const r = p.rows[0];
        if (r)
          o.log(
            `reindex index ${index}: ${r.phase}, blocks ${fmt(Number(r.bd))}/${fmt(Number(r.bt))}, tuples ${fmt(Number(r.td))}/${fmt(Number(r.tt))}, ${secs(Date.now() - t0)} elapsed`,
          );
      }
    })();
    try {
      await client.query(`set statement_timeout = ${Math.trunc(o.indexTimeoutMs)}`);
      await client.query(`set lock_timeout = ${Math.trunc(o.indexLockTimeoutMs)}`);
      await client.query(`reindex index concurrently "${index}"`);
      took = Date.now() - t0;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // The copy REINDEX CONCURRENTLY was building is left invalid: not read, but kept up by writes until dropped.
      // Dropping it concurrently waits for the same older transactions, so it may have to wait for the next run.
      const left = await dropLeftovers(client, index).catch(() => ['its unfinished copy']);
      const why =
        code === '55P03'
          ? `could not get a lock (or wait out older transactions) within ${o.indexLockTimeoutMs} ms`
          : code === '57014'
            ? `took longer than ${o.indexTimeoutMs} ms`
            : (error as Error).message;
      throw new Error(
        `reindex: index ${index}: ${why}; the index is as it was${left.length ? ` (${left.join(', ')} is left invalid: not read, kept up by writes; the next run drops it first)` : ' (its unfinished copy dropped)'}, run the reindex again`,
        { cause: error },
      );
    } finally {
      await client.query(`set lock_timeout = ${Math.trunc(o.lockTimeoutMs)}`).catch(() => {});
      polling = false;
      wake();
      await poll;
    }
    const size = await client.query<{ size: string }>('select pg_size_pretty(pg_relation_size($1::regclass)) size', [
      index,
    ]);
    o.log(`reindex index ${index}: rebuilt in ${secs(took)} (${found.rows[0].size} → ${size.rows[0]!.size})`);
    rebuilt.push(index);
  }
  return { rebuilt, ms: Date.now() - started };
}

/** Rebuilds every derived search structure of the database at `databaseUrl` (see the top of this file). */
export async function reindex(databaseUrl: string, options: ReindexOptions = {}): Promise<ReindexSummary> {
  const o = {
    dryRun: options.dryRun ?? false,
    batchSize: options.batchSize ?? 5000,
    applyBatch: options.applyBatch ?? 1000,
    indexes: options.indexes ?? SEARCH_INDEXES,
    lockTimeoutMs: options.lockTimeoutMs ?? 5000,
    statementTimeoutMs: options.statementTimeoutMs ?? 120_000,
    indexLockTimeoutMs: options.indexLockTimeoutMs ?? 60_000,
    indexTimeoutMs: options.indexTimeoutMs ?? 3_600_000,
    progressEveryMs: options.progressEveryMs ?? 2000,
    log: options.log ?? console.log,
    hooks: options.hooks,
  };
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1)
    throw new Error('reindex: batchSize must be a whole number ≥ 1');
  const started = Date.now();
  const client = await connect(databaseUrl, 'main', o.statementTimeoutMs, o.lockTimeoutMs);
  const watcher = await connect(databaseUrl, 'progress', 10_000, 1000);
  try {
    // One run at a time: two runs whose snapshots both precede either's apply would each add the same counter
    // correction. A session lock, released when this run's connection ends (however it ends).
    const alone = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) ok', [REINDEX_LOCK]);
    if (!alone.rows[0]!.ok)
      throw new Error('reindex: another reindex is running on this database; wait for it to end, then run it again');
    // Every index named exists before any work is done (a migration behind, or a renamed index, stops it here).
    const known = await client.query<{ relname: string }>(
      "select relname from pg_class where relkind = 'i' and relname = any($1::text[])",
      [[...o.indexes]],
    );
    const missing = o.indexes.filter((i) => !known.rows.some((r) => r.relname === i));
    if (missing.length)
      throw new Error(`reindex: index ${missing.join(', ')} does not exist (is the database migrated?)`);
    const total = (await client.query<{ n: number }>('select count(*)::int n from products')).rows[0]!.n;
    o.log(`reindex: ${fmt(total)} products${o.dryRun ? ' (dry run: nothing is written)' : ''}`);
    const step1 = await perProduct(client, total, o);
    const countersStarted = Date.now();
    const scan = await scanCounters(client, total, o).catch((error) => {
      const why = error.code === '57014' ? `a scan took longer than ${o.statementTimeoutMs} ms` : error.message;
      throw new Error(`reindex counters scan: ${why}; nothing was written by this step`, { cause: error });
    });
    o.log(
      `reindex counters: ${fmt(count(scan.wordFixes, false))} lexicon words and ${fmt(count(scan.facetFixes, false))} facet counts to correct, ${fmt(count(scan.wordFixes, true) + count(scan.facetFixes, true))} rows at 0 to remove${o.dryRun ? '' : '; applying'}`,
    );
    await options.hooks?.afterCountersScanned?.();
    if (!o.dryRun) await applyCounters(client, scan, o);
    const countersMs = Date.now() - countersStarted;
    await options.hooks?.beforeIndexes?.();
    const step3 = await rebuildIndexes(client, watcher, o.indexes, o);
    const summary: ReindexSummary = {
      dryRun: o.dryRun,
      products: step1.done,
      corrected: {
        ranks: step1.ranks,
        facetKeys: step1.facetKeys,
        searchWords: count(scan.wordFixes, false),
        facetCounts: count(scan.facetFixes, false),
      },
      emptyRemoved: { searchWords: count(scan.wordFixes, true), facetCounts: count(scan.facetFixes, true) },
      indexes: step3.rebuilt,
      ms: { products: step1.ms, counters: countersMs, indexes: step3.ms, total: Date.now() - started },
    };
    const c = summary.corrected;
    o.log(
      `reindex done in ${secs(summary.ms.total)}${o.dryRun ? ' (dry run: would correct)' : ''}: ranks ${fmt(c.ranks)}, facet keys ${fmt(c.facetKeys)} (${secs(summary.ms.products)}); lexicon words ${fmt(c.searchWords)}, facet counts ${fmt(c.facetCounts)} (and ${fmt(summary.emptyRemoved.searchWords + summary.emptyRemoved.facetCounts)} rows at 0 removed; ${secs(summary.ms.counters)}); ${summary.indexes.length} indexes ${o.dryRun ? 'to rebuild' : 'rebuilt'} (${secs(summary.ms.indexes)})`,
    );
    return summary;
  } finally {
    await watcher.end().catch(() => {});
    await client.end().catch(() => {});
  }
}

/** The CLI's arguments: `--dry-run`, `--batch=N`, `--skip-indexes`; anything else is refused. */
export function parseReindexArgs(args: readonly string[]): ReindexOptions {
  const options: ReindexOptions = {};
  for (const arg of args) {
    const batch = /^--batch=(\d+)$/.exec(arg);
    if (arg === '--dry-run') options.dryRun = true;
    else if (arg === '--skip-indexes') options.indexes = [];
    else if (batch && Number(batch[1]) >= 1 && Number(batch[1]) <= 100_000) options.batchSize = Number(batch[1]);
    else throw new Error(`unknown or bad argument "${arg}" (use --dry-run, --batch=1..100000, --skip-indexes)`);
  }
  return options;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set: give the primary connection string.');
    process.exit(2);
  }
  let options: ReindexOptions;
  try {
    options = parseReindexArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`search:reindex: ${(error as Error).message}`);
    process.exit(2);
  }
  try {
    await reindex(url, options);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
