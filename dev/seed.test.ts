// dev/seed.test.ts — the sized seed (db/seed.ts, db/seed.scale.ts): the same N products every time, the classic
// 1,200 first, Zipf-like word frequencies, and a load into a throwaway Postgres that is exact and idempotent.
// Run: npx vitest run --project tools dev/seed.test.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runMigrations } from '../db/migrate';
import { SEED_PRODUCTS, seed, seedData, seedSize } from '../db/seed';
import { normalizeFilterValue } from '../lib/catalog/filter-values';
import { ProductListQuery, skuSchema } from '../lib/catalog/schemas';
import { facetCounts } from '../workers/catalog/src/facets';
import { freePorts } from './ports';
import { type PgCluster, startPostgres } from './postgres';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const words = (title: string) =>
  title
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

describe('the sized seed', () => {
  it('takes SEED_PRODUCTS as a whole number (default 1,200) and refuses anything else, naming it', () => {
    expect(seedSize(undefined)).toBe(1200);
    expect(seedSize('')).toBe(1200);
    expect(seedSize('100_000')).toBe(100_000);
    expect(seedSize(' 1000000 ')).toBe(1_000_000);
    for (const bad of ['0', '-5', '1.5', 'many', '1e9', '5000001'])
      expect(() => seedSize(bad), bad).toThrow(/SEED_PRODUCTS must be a whole number from 1 to 5000000/);
  });

  it('is N products, the same every time, the classic 1,200 first, with unique slugs, ids and valid SKUs', () => {
    const classic = seedData();
    expect(classic.products).toHaveLength(SEED_PRODUCTS);
    const slugs = new Set(classic.products.map((p) => p.slug));
    expect(slugs.has('mireille-heritage-viscose-slip-dress-1200')).toBe(true);
    expect(classic.products.flatMap((p) => p.variants.map((v) => v.sku))).toContain('WDR-01200-XS-BLAC');

    const a = seedData(3000);
    const b = seedData(3000);
    expect(a.products).toHaveLength(3000);
    expect(b.products).toEqual(a.products);
    expect(a.products.slice(0, SEED_PRODUCTS)).toEqual(classic.products);
    expect(new Set(a.products.map((p) => p.slug)).size).toBe(3000);
    expect(new Set(a.products.map((p) => p.id)).size).toBe(3000);
    const skus = a.products.flatMap((p) => p.variants.map((v) => v.sku));
    expect(new Set(skus).size).toBe(skus.length);
    for (const sku of skus) expect(skuSchema.safeParse(sku).success, sku).toBe(true);
    // The tail carries its own starting stock, some of it none; prices are whole cents within the leaf's range.
    const tail = a.products.slice(SEED_PRODUCTS);
    const stock = tail.flatMap((p) => p.variants.map((v) => v.stock!));
    expect(stock.every((n) => Number.isInteger(n) && n >= 0 && n <= 300)).toBe(true);
    expect(stock.filter((n) => n === 0).length / stock.length).toBeGreaterThan(0.02);
    expect(tail.every((p) => Number.isInteger(p.priceAmount) && p.priceAmount > 0)).toBe(true);
  });

  it('has Zipf-like word frequencies: a few words in many titles, a long tail of rare ones', () => {
    const { products } = seedData(20_000);
    const df = new Map<string, number>();
    for (const p of products.slice(SEED_PRODUCTS))
      for (const w of new Set(words(p.title))) df.set(w, (df.get(w) ?? 0) + 1);
    const counts = [...df.values()].sort((x, y) => y - x);
    const n = products.length - SEED_PRODUCTS;
    expect(counts[0]! / n).toBeGreaterThan(0.05); // the commonest word is in over 5% of titles
    expect(counts[0]! / counts[99]!).toBeGreaterThan(20); // and much commoner than the 100th
    expect(counts.length).toBeGreaterThan(3000); // thousands of distinct words
    expect(counts.filter((c) => c === 1).length / counts.length).toBeGreaterThan(0.3); // a third seen once
    // House brands beside the leaves' own, also Zipf: the commonest brand is far commoner than the median one.
    const brands = new Map<string, number>();
    for (const p of products) brands.set(p.brand, (brands.get(p.brand) ?? 0) + 1);
    const byBrand = [...brands.values()].sort((x, y) => y - x);
    expect(byBrand.length).toBeGreaterThan(500);
    expect(byBrand[0]! / byBrand[Math.floor(byBrand.length / 2)]!).toBeGreaterThan(50);
  });
});

describe('loading it into Postgres', () => {
  let cluster: PgCluster | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-test-'));
  afterAll(async () => {
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes exactly the generated catalog with its stock, reports progress, and changes nothing when re-run', async () => {
    const [primaryPort, replicaPort] = await freePorts(2);
    cluster = await startPostgres({
      dataDir: dir,
      primaryPort: primaryPort!,
      replicaPort: replicaPort!,
      log: () => {},
    });
    await runMigrations(cluster.primaryUrl);
    const data = seedData(2500);
    const progress: number[] = [];
    const counts = await seed(cluster.primaryUrl, { products: 2500, progress: (done) => progress.push(done) });
    const variants = data.products.reduce((n, p) => n + p.variants.length, 0);
    expect(counts).toEqual({ categories: 32, products: 2500, variants });
    expect(progress).toEqual([2500]);
    const c = new pg.Client({ connectionString: cluster.primaryUrl });
    await c.connect();
    try {
      // A sized load is analyzed before it answers (the planner's statistics for the search).
      const analyzed = await c.query<{ relname: string }>(
        `select relname from pg_stat_user_tables where relname in ('products', 'product_variants', 'product_ranks')
           and last_analyze is not null order by relname`,
      );
      expect(analyzed.rows.map((r) => r.relname)).toEqual(['product_ranks', 'product_variants', 'products']);
      const snapshot = async () =>
        (
          await c.query<{ p: string; v: string; s: string; zero: string; found: string }>(
            `select (select count(*) from products) p, (select count(*) from product_variants) v,
                    (select sum(on_hand) from inventory_levels) s,
                    (select count(*) from inventory_levels where on_hand = 0) zero,
                    (select count(*) from products where search @@ websearch_to_tsquery('english', $1)) found`,
            [words(data.products[2499]!.title).at(-1)],
          )
        ).rows[0]!;
      const first = await snapshot();
      const tailStock = data.products.slice(SEED_PRODUCTS).flatMap((p) => p.variants.map((v) => v.stock!));
      expect(Number(first.zero)).toBe(tailStock.filter((n) => n === 0).length);
      expect(Number(first.found)).toBeGreaterThan(0);
      expect(await seed(cluster.primaryUrl, { products: 2500 })).toEqual(counts);
      expect(await snapshot()).toEqual(first);
    } finally {
      await c.end();
    }
  });

  it('keeps each product’s facet keys from its variants’ options (migrations 0013, 0014); a price change rewrites nothing', async () => {
    const c = new pg.Client({ connectionString: cluster!.primaryUrl });
    await c.connect();
    /** The keys, labels and per-variant combinations of the options, as the migrations' function makes them. */
    const expected = (options: Record<string, string>[]) => {
      const kinds: Record<string, string> = { size: 'size', colour: 'colour', color: 'colour' };
      const labels = new Map<string, string>();
      const combos = new Set<string>();
      for (const o of options) {
        const mine = new Set<string>();
        for (const [name, value] of Object.entries(o)) {
          const kind = kinds[name.toLowerCase()];
          if (!kind || !normalizeFilterValue(value)) continue;
          const key = `${kind}:${normalizeFilterValue(value)}`;
          mine.add(key);
          const had = labels.get(key);
          if (had === undefined || value < had) labels.set(key, value);
        }
        const ks = [...mine].sort();
        if (ks.length === 2) combos.add(ks.join('\n'));
        if (ks.length > 2) throw new Error('the test knows pairs only');
      }
      const keys = [...labels.keys()].sort();
      return { keys, labels: keys.map((k) => labels.get(k)!), combos: [...combos].sort() };
    };
    const state = async (slug: string) =>
      (
        await c.query<{
          id: string;
          keys: string[];
          labels: string[];
          combos: string[];
          xmin: string;
          options: Record<string, string>[];
        }>(
          `select p.id, p.facet_keys keys, p.facet_labels labels, p.facet_combos combos, p.xmin::text xmin,
             (select jsonb_agg(v.options) from product_variants v where v.product_id = p.id) options
           from products p where p.slug = $1`,
          [slug],
        )
      ).rows[0]!;
    try {
      // The seed's products (written before the keys existed, and after), with and without options.
      const seeded = seedData(2500).products;
      for (const p of [seeded[0]!, seeded[1199]!, seeded[1200]!, seeded[2499]!]) {
        const now = await state(p.slug);
        expect({ keys: now.keys, labels: now.labels, combos: now.combos }, p.slug).toEqual(
          expected(p.variants.map((v) => v.options)),
        );
      }
      const slug = 'mireille-heritage-viscose-slip-dress-1200';
      const before = await state(slug);
      expect(before.keys).toContain('size:xs');
      // A variant whose options a merchant named otherwise: `SIZE`, `Color`.
      await c.query(
        `insert into product_variants (product_id, sku, title, options, price_amount, currency)
         values ($1, 'FCT-SEED-1', 'x', '{"SIZE": "XXXL", "Color": "Teal", "finish": "Matte"}', 100, 'USD')`,
        [before.id],
      );
      const added = await state(slug);
      expect(added.keys).toEqual([...before.keys, 'colour:teal', 'size:xxxl'].sort());
      expect(added.combos).toContain('colour:teal\nsize:xxxl');
      expect(added).toMatchObject(expected(added.options));
      // A price change leaves the product row as it was (no rewrite); an options change updates it.
      await c.query(`update product_variants set price_amount = 101 where sku = 'FCT-SEED-1'`);
      expect((await state(slug)).xmin).toBe(added.xmin);
      await c.query(`update product_variants set options = '{"size": "XXXS"}' where sku = 'FCT-SEED-1'`);
      expect((await state(slug)).keys).toEqual([...before.keys, 'size:xxxs'].sort());
      await c.query(`delete from product_variants where sku = 'FCT-SEED-1'`);
      expect(await state(slug)).toMatchObject({ keys: before.keys, labels: before.labels, combos: before.combos });
      // Values as filters normalize them (trimmed, spaces collapsed, lower case), and a comma kept.
      await c.query(
        `insert into product_variants (product_id, sku, title, options, price_amount, currency)
         values ($1, 'FCT-SEED-2', 'x', $2, 100, 'USD')`,
        [before.id, JSON.stringify({ size: ' Tall,  Wide\u00a0', colour: 'Ink ' })],
      );
      const spaced = await state(slug);
      expect(spaced.keys).toEqual(expect.arrayContaining(['colour:ink', 'size:tall, wide']));
      expect(spaced.combos).toContain('colour:ink\nsize:tall, wide');
      expect(spaced).toMatchObject(expected(spaced.options));
      await c.query(`delete from product_variants where sku = 'FCT-SEED-2'`);
      expect(await state(slug)).toMatchObject({ keys: before.keys, labels: before.labels, combos: before.combos });
    } finally {
      await c.end();
    }
  });

  it('normalizes stored values as filters do: facet_norm() (migration 0014) is normalizeFilterValue', async () => {
    const c = new pg.Client({ connectionString: cluster!.primaryUrl });
    await c.connect();
    try {
      // Every whitespace character JavaScript's \s knows, case mapping beyond ASCII (the database's locale is C).
      const spaces = [...'\t\n\v\f\r \u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'];
      const samples = [
        ...spaces.map((w) => `${w}Big${w}${w}Sky${w}`),
        'Smith,  Jones & Co',
        'ÉLAN İstanbul ΣΑΣ Straße ẞ',
        'ǅemal Ωmega',
        '',
        '   ',
      ];
      const { rows } = await c.query<{ n: string }>(
        'select facet_norm(v) n from unnest($1::text[]) with ordinality as t(v, i) order by i',
        [samples],
      );
      expect(rows.map((r) => r.n)).toEqual(samples.map(normalizeFilterValue));
      // The brand the filters compare with (a generated column).
      const [row] = (
        await c.query<{ k: string }>(
          `insert into products (slug, title, description, brand, category_id, price_amount, currency)
           values ('facet-norm-brand', 'x', '', ' Smith,  Jones ', (select min(id) from categories), 1, 'USD')
           returning brand_key k`,
        )
      ).rows;
      expect(row!.k).toBe('smith, jones');
      await c.query(`delete from products where slug = 'facet-norm-brand'`);
    } finally {
      await c.end();
    }
  });

  it('keeps the facet counts (migration 0015): sums equal to counting the products, after every kind of write', async () => {
    const c = new pg.Client({ connectionString: cluster!.primaryUrl });
    await c.connect();
    const sent: string[] = [];
    const db = drizzle({ client: c, logger: { logQuery: (q) => sent.push(q) } }) as never;
    const queries = [
      {},
      { category: 'apparel' },
      { category: 'mens-shirts,footwear' },
      { brand: 'northfold' },
      { category: 'apparel', size: 'm' },
      { price_min: '2500', price_max: '4999' },
    ].map((input) => ProductListQuery.parse({ ...input, facets: 'all' }));
    const same = async (when: string) => {
      for (const query of queries) {
        const kept = await facetCounts(db, query, query.facets!, undefined);
        const counted = await facetCounts(db, query, query.facets!, undefined, { kept: false });
        expect(kept, `${when}: ${JSON.stringify(query)}`).toEqual(counted);
      }
    };
    try {
      await same('seeded');
      // Without a filter but the category, the counts read no product row at all.
      sent.length = 0;
      const plain = await facetCounts(db, queries[1]!, queries[1]!.facets!, undefined);
      expect(plain.exhaustive).toBe(true);
      expect(sent.join('\n')).not.toMatch(/"products"/);
      expect(sent.join('\n')).toMatch(/"facet_counts"/);
      // A new product with variants (two statements, as the admin API writes them), then each kind of change.
      const [made] = (
        await c.query<{ id: string }>(
          `insert into products (slug, title, description, brand, category_id, price_amount, currency)
           values ('facet-counts-new', 'Counted shirt', '', 'Northfold', (select id from categories where slug = 'mens-shirts'), 2600, 'USD')
           returning id`,
        )
      ).rows;
      await c.query(
        `insert into product_variants (product_id, sku, title, options, price_amount, currency)
         values ($1, 'FCT-COUNT-1', 'x', '{"size": "M", "colour": "Navy"}', 2600, 'USD'),
                ($1, 'FCT-COUNT-2', 'x', '{"size": "XXL", "colour": "Navy"}', 2600, 'USD')`,
        [made!.id],
      );
      await same('a new product');
      await c.query(`update product_variants set options = '{"size": "S"}' where sku = 'FCT-COUNT-2'`);
      await same('an option changed');
      await c.query(
        `update products set price_amount = 120000, brand = 'Other  Brand', category_id = (select id from categories where slug = 'sneakers')
         where id = $1`,
        [made!.id],
      );
      await same('price, brand and category changed');
      await c.query(`update products set status = 'draft' where id = $1`, [made!.id]);
      await same('unpublished');
      await c.query(`update products set status = 'published' where id = $1`, [made!.id]);
      await c.query(`delete from products where id = $1`, [made!.id]);
      await same('deleted');
      expect(
        (
          await c.query(
            `select count(*)::int n from facet_counts where kind = 'brand' and value = 'other brand' and n <> 0`,
          )
        ).rows[0].n,
      ).toBe(0);
    } finally {
      await c.end();
    }
  });

  it('the lexicon triggers lock the words a write brings in word order, so two writers sharing words cannot deadlock', async () => {
    // Lock order observed: the middle word held elsewhere, a product with words on both sides of it is written. In
    // word order it has locked every word before the held one and none after it while it waits.
    const before = Array.from({ length: 30 }, (_, i) => `lexa${String(i).padStart(2, '0')}`);
    const after = Array.from({ length: 30 }, (_, i) => `lexz${String(i).padStart(2, '0')}`);
    const client = async () => {
      const x = new pg.Client({ connectionString: cluster!.primaryUrl, query_timeout: 10_000 });
      await x.connect();
      return x;
    };
    const [holder, writer, probe] = [await client(), await client(), await client()];
    try {
      await holder.query('insert into search_words (word) select unnest($1::text[]) on conflict do nothing', [
        [...before, 'lexm', ...after],
      ]);
      await holder.query('begin');
      await holder.query("select 1 from search_words where word = 'lexm' for update");
      const pid = (await writer.query('select pg_backend_pid() as p')).rows[0].p;
      await writer.query('begin');
      const title = [...after, 'lexm', ...before].reverse().join(' ');
      const write = writer.query(
        `insert into products (slug, title, description, brand, category_id, price_amount, currency)
         values ('lexicon-lock-order', $1, '', 'lexbrand', (select min(id) from categories), 100, 'EUR')`,
        [title],
      );
      const deadline = Date.now() + 5_000;
      while (
        (await probe.query('select wait_event_type as w from pg_stat_activity where pid = $1', [pid])).rows[0]?.w !==
        'Lock'
      ) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 20));
      }
      await probe.query('begin');
      const free = (
        await probe.query('select word from search_words where word = any($1) order by word for update skip locked', [
          [...before, ...after],
        ])
      ).rows.map((r) => r.word);
      await probe.query('rollback');
      expect(free).toEqual(after);
      await holder.query('rollback');
      await write;
      await writer.query('rollback');
    } finally {
      for (const x of [holder, writer, probe]) await x.end().catch(() => {});
    }
  });
});
