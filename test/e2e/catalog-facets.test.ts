// Filters and facets of GET /v1/products through the gateway, on products of this file's own (a unique word in
// every title, so `q` keeps to them): counts that respect the other filters, filters that combine, keyset pages
// that stay stable under filters, a cursor refused when the filters change, and bad filters refused with a 400.
import { beforeAll, describe, expect, it } from 'vitest';
import type { paths, Schemas } from '../../lib/client';
import { api, client, ok, primary, uniqueWord } from './helpers';

type ListQuery = NonNullable<paths['/v1/products']['get']['parameters']['query']>;
type Facets = Schemas['Facets'];
const list = (query: ListQuery) => ok('product list', client().GET('/v1/products', { params: { query } }));

const word = uniqueWord('facet');
const brands = { aster: `Aster ${word}`, birch: `Birch ${word}`, cedar: `Cedar ${word}` };
const key = (brand: string) => brand.toLowerCase();

interface Made {
  slug: string;
  brand: string;
  price: number;
}

/** A published product whose title has `word`, with the variants' options given (one variant per entry). */
async function make(
  name: string,
  brand: string,
  category: string,
  price: number,
  variants: Record<string, string>[],
  status = 'published',
  titleWord = word,
): Promise<Made> {
  const slug = `${titleWord}-${name}`;
  const [row] = await primary<{ id: string }>(
    `insert into products (slug, title, description, brand, category_id, status, price_amount, currency, images)
     values ($1, $2, 'A facet test product.', $3, (select id from categories where slug = $4), $5, $6, 'USD', '[]')
     returning id`,
    [slug, `${titleWord} ${name}`, brand, category, status, price],
  );
  // One statement for all of a product's variants, as the admin API writes them (the facets' trigger runs once).
  const rows = variants.length ? variants : [{}];
  await primary(
    `insert into product_variants (product_id, sku, title, options, price_amount, currency, position)
     select $1, $2 || '-' || i, 'V' || i, o, $3, 'USD', i
     from unnest($4::jsonb[]) with ordinality as t(o, i)`,
    [row!.id, `FCT-${slug}`.slice(0, 50).toUpperCase(), price, rows.map((o) => JSON.stringify(o))],
  );
  return { slug, brand, price };
}

let p: Record<'p1' | 'p2' | 'p3' | 'p4' | 'p5' | 'p6', Made>;

beforeAll(async () => {
  const [p1, p2, p3, p4, p5, p6] = [
    await make('one', brands.aster, 'kitchen', 1000, [
      { size: 'S', colour: 'Navy' },
      { size: 'M', colour: 'Navy' },
    ]),
    await make('two', brands.aster, 'kitchen', 3000, [{ size: 'M', colour: 'Black' }]),
    await make('three', brands.birch, 'kitchen', 6000, [{ size: 'L', colour: 'Navy' }]),
    // Options named as a merchant may: `Size` and `Color` count as size and colour.
    await make('four', brands.birch, 'lighting', 1500, [{ Size: 'm', Color: 'NAVY' }]),
    await make('five', brands.cedar, 'lighting', 12000, []),
    await make('six', brands.aster, 'lighting', 2600, [{ size: 'S', colour: 'Black' }]),
  ];
  p = { p1: p1!, p2: p2!, p3: p3!, p4: p4!, p5: p5!, p6: p6! };
  // Never counted: a draft.
  await make('draft', brands.aster, 'kitchen', 1000, [{ size: 'M', colour: 'Navy' }], 'draft');
});

const counts = (values: { value: string; count: number }[] | undefined) =>
  Object.fromEntries((values ?? []).map((v) => [v.value, v.count]));
const slugs = (items: { slug: string }[]) => items.map((i) => i.slug).sort();

describe('facets', () => {
  it('count brand, category, price band, size and colour over the matches, with labels as spelt', async () => {
    const page = await list({ q: word, facets: 'all' });
    expect(page.items).toHaveLength(6);
    expect(page.facetsExhaustive).toBe(true);
    const f = page.facets as Facets;
    expect(counts(f.brand)).toEqual({ [key(brands.aster)]: 3, [key(brands.birch)]: 2, [key(brands.cedar)]: 1 });
    expect(f.brand![0]).toEqual({ value: key(brands.aster), label: brands.aster, count: 3 });
    expect(counts(f.category)).toEqual({ kitchen: 3, lighting: 3 });
    expect(f.category!.find((c) => c.value === 'kitchen')).toMatchObject({ label: 'Kitchen', path: 'home/kitchen' });
    expect(f.price).toEqual([
      { band: '0-2499', min: 0, max: 2499, count: 2 },
      { band: '2500-4999', min: 2500, max: 4999, count: 2 },
      { band: '5000-9999', min: 5000, max: 9999, count: 1 },
      { band: '10000-19999', min: 10000, max: 19999, count: 1 },
    ]);
    expect(counts(f.size)).toEqual({ s: 2, m: 3, l: 1 });
    expect(counts(f.colour)).toEqual({ navy: 3, black: 2 });
    expect(f.size!.find((s) => s.value === 'm')!.label).toBe('M');
    // Without `facets`, none; with some kinds, only those.
    expect((await list({ q: word })).facets).toBeUndefined();
    expect(Object.keys((await list({ q: word, facets: 'size,brand' })).facets!).sort()).toEqual(['brand', 'size']);
  });

  it('count each kind under every OTHER selected filter, and the items under all of them', async () => {
    const page = await list({ q: word, brand: brands.aster.toUpperCase(), size: 'm', facets: 'all' });
    expect(slugs(page.items)).toEqual(slugs([p.p1, p.p2]));
    const f = page.facets as Facets;
    // Brand: not its own filter (birch's four has size m), but size m.
    expect(counts(f.brand)).toEqual({ [key(brands.aster)]: 2, [key(brands.birch)]: 1 });
    // Size: not its own filter, but aster.
    expect(counts(f.size)).toEqual({ s: 2, m: 2 });
    // The others: both filters.
    expect(counts(f.colour)).toEqual({ navy: 1, black: 1 });
    expect(counts(f.category)).toEqual({ kitchen: 2 });
    expect(f.price!.map((b) => [b.band, b.count])).toEqual([
      ['0-2499', 1],
      ['2500-4999', 1],
    ]);
  });

  it('list a selected value even when the other filters leave none, and a parent category by its subtree', async () => {
    const page = await list({ q: word, brand: key(brands.cedar), size: 'm', category: 'home', facets: 'all' });
    expect(page.items).toEqual([]);
    const f = page.facets as Facets;
    expect(f.brand!.find((b) => b.value === key(brands.cedar))).toMatchObject({ count: 0 });
    // Cedar's five has no size: nothing to count, and the selected m is listed at 0.
    expect(f.size).toEqual([{ value: 'm', label: 'm', count: 0 }]);
    const home = await list({ q: word, category: 'home', facets: 'category' });
    expect(counts(home.facets!.category)).toEqual({ home: 6, kitchen: 3, lighting: 3 });
  });
});

describe('values and variants', () => {
  it('select every brand its facet lists: one with a comma, one spelt with two spaces', async () => {
    const w = uniqueWord('facetb');
    const comma = await make('comma', `Quill,  Ink & Co ${w}`, 'kitchen', 1000, [], 'published', w);
    const spaced = await make('spaced', `Double  Space ${w}`, 'kitchen', 2000, [], 'published', w);
    const plain = await make('plain', `Quill ${w}`, 'kitchen', 3000, [], 'published', w);
    const f = (await list({ q: w, facets: 'brand' })).facets as Facets;
    const value = (label: string) => f.brand!.find((b) => b.label === label)!.value;
    // The value a filter takes: normalized, its comma escaped (`\,`), so that it joins a comma list.
    expect(value(comma.brand)).toBe(`quill\\, ink & co ${w}`);
    expect(value(spaced.brand)).toBe(`double space ${w}`);
    expect(slugs((await list({ q: w, brand: value(comma.brand) })).items)).toEqual([comma.slug]);
    expect(slugs((await list({ q: w, brand: value(spaced.brand) })).items)).toEqual([spaced.slug]);
    expect(slugs((await list({ q: w, brand: `${value(comma.brand)},${value(plain.brand)}` })).items)).toEqual(
      slugs([comma, plain]),
    );
    // As spelt, in another case and with its spaces, it is the same filter (and a selected value keeps its count).
    const chosen = await list({ q: w, brand: `DOUBLE   Space ${w}`, facets: 'brand' });
    expect(slugs(chosen.items)).toEqual([spaced.slug]);
    expect(counts(chosen.facets!.brand)[value(spaced.brand)]).toBe(1);
  });

  it('match options selected together on one variant, count them likewise, and page stably', async () => {
    const w = uniqueWord('facetv');
    // Blue in M and red in S: not an M in red. The others have an M in red.
    const split = await make(
      'split',
      `Split ${w}`,
      'kitchen',
      1000,
      [
        { size: 'M', colour: 'Blue' },
        { size: 'S', colour: 'Red' },
      ],
      'published',
      w,
    );
    const both = await Promise.all(
      [1, 2, 3].map((i) =>
        make(`both${i}`, `Both ${w}`, 'kitchen', 1000 + i, [{ Size: 'm', Color: 'RED' }], 'published', w),
      ),
    );
    const page = await list({ q: w, size: 'm', colour: 'red', facets: 'size,colour' });
    expect(slugs(page.items)).toEqual(slugs(both));
    // Colours over size=m: the colours of size-m variants. Sizes over colour=red: the sizes of red variants.
    expect(counts(page.facets!.colour)).toEqual({ blue: 1, red: 3 });
    expect(counts(page.facets!.size)).toEqual({ m: 3, s: 1 });
    // Two values of a kind: any of them on the same variant as the other kind's.
    expect(slugs((await list({ q: w, size: 's,m', colour: 'red' })).items)).toEqual(slugs([split, ...both]));
    expect(slugs((await list({ q: w, size: 'm', colour: 'blue,red' })).items)).toEqual(slugs([split, ...both]));
    // Keyset pages under every sort give the whole list once, in order.
    for (const sort of ['relevance', 'newest', 'price_asc', 'price_desc'] as const) {
      const query = { q: w, size: 'm', colour: 'red', sort };
      const whole = (await list({ ...query, limit: 10 })).items.map((i) => i.slug);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 5; i++) {
        const next = await list({ ...query, limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...next.items.map((x) => x.slug));
        if (!next.nextCursor) break;
        cursor = next.nextCursor;
      }
      expect(seen, sort).toEqual(whole);
      expect(whole.sort(), sort).toEqual(slugs(both));
    }
  });
});

describe('filters', () => {
  it('combine: AND across kinds, OR within one', async () => {
    const range = { q: word, category: 'lighting', price_min: 1500, price_max: 2600 };
    expect(slugs((await list(range)).items)).toEqual(slugs([p.p4, p.p6]));
    expect(slugs((await list({ ...range, colour: 'navy' })).items)).toEqual(slugs([p.p4]));
    expect(slugs((await list({ q: word, brand: `${key(brands.aster)},${key(brands.cedar)}` })).items)).toEqual(
      slugs([p.p1, p.p2, p.p6, p.p5]),
    );
    expect(slugs((await list({ q: word, size: 'l,s', colour: 'navy' })).items)).toEqual(slugs([p.p1, p.p3]));
    // Repeated parameters are the same filter as a comma list.
    const repeated = await api(`/v1/products?q=${word}&size=l&size=s&colour=navy`);
    expect(slugs(repeated.body.items)).toEqual(slugs([p.p1, p.p3]));
    // The same filters under every sort (relevance walks another query).
    for (const sort of ['relevance', 'newest', 'price_asc', 'price_desc'] as const)
      expect(slugs((await list({ q: word, sort, size: 'l,s', colour: 'navy' })).items), sort).toEqual(
        slugs([p.p1, p.p3]),
      );
  });

  it('keep keyset pages stable, and a cursor is refused once the filters change under it', async () => {
    const filters = { q: word, brand: `${key(brands.aster)},${key(brands.birch)}` };
    for (const sort of ['price_asc', 'relevance'] as const) {
      const whole = (await list({ ...filters, sort, limit: 10 })).items.map((i) => i.slug);
      expect(whole.length).toBe(sort === 'price_asc' ? 5 : 6); // and the first round's late product
      const first = await list({ ...filters, sort, limit: 2 });
      // A new match that sorts first under both orders (cheapest; title words alike, newest id is random).
      await make(`late-${sort}`, brands.aster, 'kitchen', 10, [{ size: 'M' }]);
      const seen = first.items.map((i) => i.slug);
      let cursor = first.nextCursor;
      for (let i = 0; cursor && i < 5; i++) {
        const next = await list({ ...filters, sort, limit: 2, cursor });
        seen.push(...next.items.map((x) => x.slug));
        cursor = next.nextCursor;
      }
      const old = seen.filter((s) => !s.endsWith(`-late-${sort}`));
      expect(old, sort).toEqual(whole);
      const changed = await api(
        `/v1/products?q=${word}&brand=${encodeURIComponent(key(brands.aster))}&sort=${sort}&limit=2&cursor=${first.nextCursor}`,
      );
      expect(changed.status).toBe(400);
      expect(changed.body.error.code).toBe('BAD_CURSOR');
    }
    // Facets asked or not, and the filters' order, do not change what a cursor belongs to.
    const first = await list({ ...filters, sort: 'price_asc', limit: 2 });
    const reordered = await api(
      `/v1/products?sort=price_asc&limit=2&facets=brand&brand=${encodeURIComponent(`${key(brands.birch)},${key(brands.aster)}`)}&q=${word}&cursor=${first.nextCursor}`,
    );
    expect(reordered.status).toBe(200);
  });

  it('refuse a bad value with a 400 naming the parameter', async () => {
    for (const [query, name] of [
      ['price_min=abc', 'price_min'],
      ['price_min=-5', 'price_min'],
      ['price_min=500&price_max=100', 'price_max'],
      ['brand=', 'brand'],
      [`size=${'x'.repeat(81)}`, 'size'],
      ['colour=a%00b', 'colour'],
      ['category=Not%20a%20slug', 'category'],
      ['facets=brand,weight', 'facets'],
      ['facets=all&sort=trending', 'facets'],
      ['color=navy', 'color'],
    ] as const) {
      const res = await api(`/v1/products?q=${word}&${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe('VALIDATION_FAILED');
      expect(res.body.error.message, query).toContain(name);
    }
  });

  it('follow a merchant-style change of a variant’s options (the write path keeps the facet keys)', async () => {
    const made = await make('seven', brands.cedar, 'kitchen', 4000, [{ size: 'XS', colour: 'Olive' }]);
    await primary(
      `update product_variants set options = '{"size": "XL", "colour": "Olive"}'
       where product_id = (select id from products where slug = $1)`,
      [made.slug],
    );
    const [row] = await primary<{ keys: string[]; labels: string[] }>(
      'select facet_keys as keys, facet_labels as labels from products where slug = $1',
      [made.slug],
    );
    expect(row).toEqual({ keys: ['colour:olive', 'size:xl'], labels: ['Olive', 'XL'] });
    expect(slugs((await list({ q: word, size: 'xl' })).items)).toEqual([made.slug]);
  });
});
