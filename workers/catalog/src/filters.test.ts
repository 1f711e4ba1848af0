// The list query's filters and facets: parsing and normalization, the one cache key of equal queries, the cursor's
// fingerprint, and the facets' shape.
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { ProductListQuery } from '../../../lib/catalog/schemas';
import { decodeCursor, encodeCursor } from './cursor';
import { aroundKey, FACET_SCAN_LIMIT, FACET_TOP, priceBand, shapeFacets } from './facets';
import { combos, filterConditions, filterFingerprint, productListPath, selectedKinds } from './filters';

const parse = (input: Record<string, unknown>) => ProductListQuery.parse(input);
const keyOf = (search: string) => {
  // As the gateway's validator hands a query over: a repeated parameter as an array.
  const input: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(search)) {
    const had = input[k];
    input[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return productListPath(parse(input));
};
const issues = (input: Record<string, unknown>) => {
  const r = ProductListQuery.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('filter parameters', () => {
  it('take several values, comma-separated or repeated, normalized to one sorted lower-case list', () => {
    expect(parse({ brand: ' Northfold , vusa  Studio' }).brand).toEqual(['northfold', 'vusa studio']);
    expect(parse({ brand: ['Vusa Studio', 'northfold', 'NORTHFOLD'] }).brand).toEqual(['northfold', 'vusa studio']);
    expect(parse({ size: 'XL,m', colour: 'Navy' })).toMatchObject({ size: ['m', 'xl'], colour: ['navy'] });
    expect(parse({ category: 'shirts,Apparel' }).category).toEqual(['apparel', 'shirts']);
    expect(parse({ price_min: '2500', price_max: ' 4999 ' })).toMatchObject({ price_min: 2500, price_max: 4999 });
    expect(parse({ facets: 'size,brand,size' }).facets).toEqual(['brand', 'size']);
    expect(parse({ facets: 'all' }).facets).toEqual(['brand', 'category', 'colour', 'price', 'size']);
  });

  it('refuse bad values, naming the parameter', () => {
    expect(issues({ brand: '' })).toEqual(['brand.0']);
    expect(issues({ brand: 'a,,b' })).toEqual(['brand.0']); // sorted: the empty value first
    expect(issues({ brand: Array.from({ length: 21 }, (_, i) => `b${i}`) })).toEqual(['brand']);
    expect(issues({ size: 'x'.repeat(81) })).toEqual(['size.0']);
    expect(issues({ colour: 'na\u0000vy' })).toEqual(['colour.0']);
    expect(issues({ category: 'Not a slug!' })).toEqual(['category.0']);
    for (const bad of ['-1', '1.5', 'abc', '', '99999999999', '1e3'])
      expect(issues({ price_min: bad }), bad).toEqual(['price_min']);
    expect(issues({ price_min: '5000', price_max: '4999' })).toEqual(['price_max']);
    expect(issues({ facets: 'brand,weight' })).toEqual(['facets.1']);
    expect(issues({ facets: 'all', sort: 'trending' })).toEqual(['facets']);
    expect(issues({ color: 'navy' })).toEqual(['']); // an unknown parameter
  });
});

describe('the cache key of a list query', () => {
  it('is one for the same filters in any order, case or form', () => {
    const key = keyOf('brand=a&size=m');
    expect(keyOf('size=m&brand=a')).toBe(key);
    expect(keyOf('size=M&brand=A')).toBe(key);
    expect(keyOf('brand=b,a&size=m,l&facets=size,brand')).toBe(
      keyOf('facets=brand,size&size=l&size=m&brand=a&brand=b'),
    );
    expect(keyOf('facets=all')).toBe(keyOf('facets=size,price,colour,category,brand'));
    expect(keyOf('price_max=10&price_min=5')).toBe(keyOf('price_min=5&price_max=10'));
  });

  it('differs when a filter or the facets asked differ', () => {
    const keys = [
      'brand=a',
      'brand=a,b',
      'brand=a&size=m',
      'brand=a&colour=m',
      'brand=a&facets=brand',
      'brand=a&facets=size',
      'brand=a&price_min=5',
      'brand=a&price_max=5',
      'category=a',
    ].map(keyOf);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is unchanged for a query without the new parameters', () => {
    expect(keyOf('q=linen&category=apparel&limit=5')).toBe('/products?category=apparel&limit=5&q=linen');
  });
});

describe('a cursor', () => {
  const cursorFor = (input: Record<string, unknown>) =>
    encodeCursor({
      sort: 'newest',
      filter: filterFingerprint(parse(input)),
      key: ['2026-01-01 00:00:00+00', '0f8e0c1a-0000-4000-8000-000000000000'],
    });

  it('works with the same filters, whatever their order, and with or without facets', () => {
    const cursor = cursorFor({ brand: 'a,b', size: 'm' });
    for (const same of [
      { brand: 'b,a', size: 'M' },
      { brand: ['a', 'b'], size: 'm', facets: 'all' },
    ])
      expect(decodeCursor(cursor, { sort: 'newest', filter: filterFingerprint(parse(same)) }).sort).toBe('newest');
  });

  it('is refused when a filter changes under it', () => {
    const cursor = cursorFor({ brand: 'a', size: 'm' });
    for (const other of [
      { brand: 'a' },
      { brand: 'a,b', size: 'm' },
      { brand: 'a', size: 'm', colour: 'navy' },
      { brand: 'a', size: 'm', price_min: '1' },
      { brand: 'a', size: 'm', price_max: '1' },
      { brand: 'a', size: 'm', category: 'shirts' },
      { brand: 'a', size: 'm', q: 'linen' },
    ])
      expect(() => decodeCursor(cursor, { sort: 'newest', filter: filterFingerprint(parse(other)) })).toThrow(
        /another search or other filters/,
      );
  });

  it('keeps its old fingerprint for a query with only q and a category', () => {
    expect(filterFingerprint(parse({ q: 'linen', category: 'apparel' }))).toBe('["linen","apparel"]');
    expect(filterFingerprint(parse({}))).toBe('["",""]');
  });

  it('read `\\,` as a comma within a value, and keep such a value one value in the cache key', () => {
    const parsed = parse({ brand: 'Smith\\, Jones  &  Co,northfold' });
    expect(parsed.brand).toEqual(['northfold', 'smith\\, jones & co']);
    // The catalog validates again what the gateway parsed: the same values.
    expect(parse(parsed)).toEqual(parsed);
    expect(keyOf('brand=smith%5C%2C%20jones')).toBe(keyOf('brand=Smith%5C%2C++Jones'));
    expect(keyOf('brand=smith%5C%2C%20jones')).not.toBe(keyOf('brand=smith%2C%20jones'));
    expect(keyOf('brand=a%5C%5C%2Cb')).not.toBe(keyOf('brand=a%5C%2Cb'));
    expect(parse({ brand: 'a\\\\,b' }).brand).toEqual(['a\\\\', 'b']);
  });
});

describe('filter conditions', () => {
  const dialect = new PgDialect();
  const cols = {
    brandKey: sql.raw('p.brand_key'),
    priceAmount: sql.raw('p.price_amount'),
    facetKeys: sql.raw('p.facet_keys'),
    facetCombos: sql.raw('p.facet_combos'),
    categoryPath: sql.raw('c.path'),
  };
  const render = (input: Record<string, unknown>, except?: Parameters<typeof filterConditions>[2]) =>
    filterConditions(parse(input), cols, except).map((c) => dialect.sqlToQuery(c));

  it('AND the kinds, OR the values of one kind, and leave out the kind excepted', () => {
    const query = { brand: 'a,b', size: 'm', colour: 'navy,black', price_min: '100', price_max: '200', category: 'x' };
    expect(selectedKinds(parse(query)).sort()).toEqual(['brand', 'category', 'colour', 'price', 'size']);
    const all = render(query);
    expect(all).toHaveLength(5); // brand, category, min, max, size and colour on one variant
    expect(all.flatMap((c) => c.params)).toEqual(
      expect.arrayContaining(['a', 'b', 'x', 100, 200, 'colour:black\nsize:m', 'colour:navy\nsize:m']),
    );
    expect(render(query, 'price')).toHaveLength(3);
    expect(render(query, 'colour').flatMap((c) => c.params)).not.toContain('colour:navy');
    expect(render(query, 'colour').flatMap((c) => c.params)).toContain('size:m');
    expect(render({})).toEqual([]);
    // A value's escaped comma is a comma in the condition.
    expect(render({ brand: 'smith\\, jones' })[0]!.params).toEqual(['smith, jones']);
    expect(render({ size: 'tall\\, wide' })[0]!.params).toEqual(['size:tall, wide']);
  });

  it('ask for options selected together on one variant: its combination of them, in key order', () => {
    const query = parse({ size: 'm,l', colour: 'red' });
    const [only] = render({ size: 'm,l', colour: 'red' });
    expect(only!.sql).toContain('p.facet_combos &&');
    expect(only!.params).toEqual(['colour:red\nsize:l', 'colour:red\nsize:m']);
    expect(combos(query, ['size', 'colour'])).toEqual(combos(query, ['colour', 'size']));
    // One kind alone is any variant's value: the product's keys.
    expect(render({ size: 'm,l' })[0]!.sql).toContain('p.facet_keys &&');
    // What surrounds a size key in its combinations with the selected colours, and a colour key with the sizes.
    expect(aroundKey(query, 'size', ['colour'])).toEqual([['colour:red\n', '']]);
    expect(aroundKey(query, 'colour', ['size'])).toEqual([
      ['', '\nsize:l'],
      ['', '\nsize:m'],
    ]);
  });
});

describe('facets as answered', () => {
  const query = parse({ brand: 'rare', facets: 'brand,price,size' });
  const rows = [
    ...Array.from({ length: 25 }, (_, i) => ({
      kind: 'brand',
      value: `b${i}`,
      label: `B${i}`,
      path: null,
      n: 100 - i,
    })),
    { kind: 'price', value: '2', label: null, path: null, n: 3 },
    { kind: 'price', value: '0', label: null, path: null, n: 7 },
    { kind: 'size', value: 'm', label: 'M', path: null, n: 4 },
    { kind: 'size', value: 'xl', label: 'XL', path: null, n: 9 },
    { kind: '#', value: 'all', label: null, path: null, n: 12 },
    { kind: '#', value: 'brand', label: null, path: null, n: FACET_SCAN_LIMIT },
  ];

  it('lists each kind most first, the top values and every selected one (at 0 when it matched none)', () => {
    const { facets, exhaustive } = shapeFacets(query, ['brand', 'price', 'size'], rows);
    expect(exhaustive).toBe(true);
    expect(facets.brand).toHaveLength(FACET_TOP.brand + 1);
    expect(facets.brand![0]).toEqual({ value: 'b0', label: 'B0', count: 100 });
    expect(facets.brand!.at(-1)).toEqual({ value: 'rare', label: 'rare', count: 0 });
    expect(facets.size!.map((s) => s.value)).toEqual(['xl', 'm']);
    expect(facets.price).toEqual([
      { band: '0-2499', min: 0, max: 2499, count: 7 },
      { band: '5000-9999', min: 5000, max: 9999, count: 3 },
    ]);
    expect(facets).not.toHaveProperty('colour');
  });

  it('answers each value as a filter takes it: a comma in it escaped, the label as spelt', () => {
    const withComma = [{ kind: 'brand', value: 'smith, jones & co', label: 'Smith,  Jones & Co', path: null, n: 2 }];
    const chosen = parse({ brand: 'smith\\, jones & co,other', facets: 'brand' });
    expect(shapeFacets(chosen, ['brand'], withComma).facets.brand).toEqual([
      { value: 'smith\\, jones & co', label: 'Smith,  Jones & Co', count: 2 },
      { value: 'other', label: 'other', count: 0 },
    ]);
  });

  it('says when a match set was over the scan limit', () => {
    const over = [...rows, { kind: '#', value: 'size', label: null, path: null, n: FACET_SCAN_LIMIT + 1 }];
    expect(shapeFacets(query, ['size'], over).exhaustive).toBe(false);
  });

  it('names the last price band open-ended', () => {
    expect(priceBand(6)).toEqual({ band: '100000-', min: 100000, max: null });
  });
});
