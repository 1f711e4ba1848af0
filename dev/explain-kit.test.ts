// dev/explain-kit.ts, what the explain scripts share: a seeded, migrated Postgres that is removed afterwards, the
// statements a catalog call sends, their median Execution Time, and which of a list's statements counts facets.
// Run: npx vitest run --project tools dev/explain-kit.test.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ProductListQuery } from '../lib/catalog/schemas';
import { listProducts } from '../workers/catalog/src/products.repo';
import { captured, isFacetStatement, medianMs, planText, withSeededPostgres } from './explain-kit';

vi.setConfig({ testTimeout: 60_000 });

describe('the explain kit', () => {
  it('seeds a throwaway Postgres, captures a call’s statements and times them, then removes it', async () => {
    const before = new Set(fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('explain-kit-test-')));
    const lines: string[] = [];
    const seen = await withSeededPostgres(
      'explain-kit-test',
      async ({ count, client }) => {
        const products = (await client.query<{ n: number }>('select count(*)::int n from products')).rows[0]!.n;
        // The catalog's own statements for a category list with facets: the page's and the kept counts'.
        const kept = ProductListQuery.parse({ category: 'apparel', facets: 'all' });
        const { sent, answer } = await captured(client, (db) => listProducts(db, kept));
        expect(answer.items.length).toBeGreaterThan(0);
        expect(sent).toHaveLength(2);
        expect(sent.filter(isFacetStatement)).toHaveLength(1);
        // With a word, the counts read match sets (materialized), still one statement of the two.
        const searched = await captured(client, (db) =>
          listProducts(db, ProductListQuery.parse({ q: 'shirt', facets: 'all' })),
        );
        expect(searched.sent.filter(isFacetStatement)).toHaveLength(1);
        const facet = sent.find(isFacetStatement)!;
        expect(await medianMs(client, facet.sql, facet.params)).toBeGreaterThan(0);
        expect(await planText(client, facet.sql, facet.params)).toMatch(/Execution Time/);
        return { count, products };
      },
      { env: { SEED_PRODUCTS: '40' }, log: (line) => lines.push(line) },
    );
    expect(seen).toEqual({ count: 40, products: 40 });
    expect(lines.at(-1)).toMatch(/^seed \{.*"products":40.*\} ready in/);
    const after = fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('explain-kit-test-') && !before.has(d));
    expect(after.map((d) => path.join(os.tmpdir(), d))).toEqual([]);
  });
});
