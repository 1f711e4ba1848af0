// The sized seed's tail: products past the first 1,200 (which stay the classic seed, product for product, so the
// tests' slugs and SKUs do not move) for `SEED_PRODUCTS=N`. Word frequencies follow a Zipf-like law, as real
// catalogs do: each leaf's nouns, materials, adjectives and brands are drawn with weight 1/rank, a quarter of the
// products carry one of 2,000 house brands (Zipf), and titles and descriptions take "collection" names and
// descriptive words from a 40,000-word synthetic vocabulary (Zipf, s = 1.05), so a handful of words match a large
// share of the catalog and most words match a few products. Prices are log-uniform in the leaf's range; about 6%
// of the SKUs start out of stock. Deterministic: one PRNG stream, reset by every generation.
import type { Leaf } from './seed.data';

/** The product rows of the seed (db/seed.ts writes them). */
export interface SeedVariant {
  sku: string;
  title: string;
  options: Record<string, string>;
  priceAmount: number;
  position: number;
  /** Starting stock; absent: the classic seed's rule (25 to 224 units, from the SKU's hash). */
  stock?: number;
}
export interface SeedProduct {
  id: string;
  slug: string;
  title: string;
  description: string;
  brand: string;
  category: string;
  priceAmount: number;
  images: string[];
  createdAt: string;
  variants: SeedVariant[];
}

export function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const slugify = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** A sampler of ranks 0..n-1 with P(r) ∝ 1/(r+1)^s (cumulative table and binary search). */
export function zipf(n: number, s: number) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    sum += 1 / (r + 1) ** s;
    cdf[r] = sum;
  }
  return (u: number) => {
    const x = u * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const ONSETS = ['b', 'c', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'st', 'tr', 'gl'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'io'];
const CODAS = ['', '', 'n', 'r', 's', 'l', 'x', 'nd', 'rt'];

/** `n` distinct pronounceable words (2 to 3 syllables), the same every time. */
export function vocabulary(n: number, seed = 7): string[] {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const words = new Set<string>();
  while (words.size < n) {
    const syllables = 2 + Math.floor(rand() * 2);
    let w = '';
    for (let i = 0; i < syllables; i++) w += pick(ONSETS) + pick(VOWELS);
    words.add(w + pick(CODAS));
  }
  return [...words];
}

const DESCRIPTIVE = [
  'soft',
  'durable',
  'everyday',
  'lightweight',
  'recycled',
  'organic',
  'warm',
  'breathable',
  'versatile',
  'compact',
  'waterproof',
  'handmade',
  'washable',
  'adjustable',
  'stretch',
  'insulated',
  'matte',
  'brushed',
  'quilted',
  'ribbed',
  'packable',
  'reversible',
  'stackable',
  'cordless',
  'seamless',
  'tapered',
  'cropped',
  'oversized',
  'padded',
  'woven',
];

const capital = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

/** A generator of the products numbered from `first` (the classic seed's last number + 1) on. */
export function tailGenerator(leaves: { slug: string; leaf: Leaf }[], seed = 20261130) {
  const rand = rng(seed);
  const words = vocabulary(40_000);
  const wordRank = zipf(words.length, 1.05);
  const houseBrands = vocabulary(2_000, 11).map(
    (w) => `${capital(w)} ${['Studio', 'Goods', 'Supply', 'Co'][w.length % 4]}`,
  );
  const brandRank = zipf(houseBrands.length, 1.1);
  const descriptiveRank = zipf(DESCRIPTIVE.length, 1);
  const listRank = new Map<number, (u: number) => number>();
  const zpick = <T>(xs: readonly T[]) => {
    let f = listRank.get(xs.length);
    if (!f) {
      f = zipf(xs.length, 1);
      listRank.set(xs.length, f);
    }
    return xs[f(rand())]!;
  };
  const hex = (n: number) =>
    Math.floor(rand() * 16 ** n)
      .toString(16)
      .padStart(n, '0');
  const uuid = () =>
    `${hex(8)}-${hex(4)}-4${hex(3)}-${['8', '9', 'a', 'b'][Math.floor(rand() * 4)]}${hex(3)}-${hex(12)}`;
  const word = () => words[wordRank(rand())]!;
  const start = Date.UTC(2022, 10, 1);
  const span = Date.UTC(2025, 10, 1) - start;

  return function product(n: number): SeedProduct {
    const cat = leaves[n % leaves.length]!;
    const { leaf } = cat;
    const noun = zpick(leaf.nouns);
    const material = zpick(leaf.materials);
    const adjective = zpick(leaf.adjectives);
    const brand = rand() < 0.75 ? zpick(leaf.brands) : houseBrands[brandRank(rand())]!;
    const collection = capital(word());
    const title = rand() < 0.6 ? `${collection} ${adjective} ${material} ${noun}` : `${adjective} ${material} ${noun}`;
    const slug = `${slugify(`${brand} ${title}`)}-${n}`;
    const [lo, hi] = leaf.price;
    const base = Math.max(
      99,
      Math.round(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))) / 100) * 100 - 1,
    );
    const combos: Record<string, string>[] = [{}];
    for (const [axis, values] of Object.entries(leaf.options)) {
      const chosen = values.filter(() => rand() < 0.6);
      const use = chosen.length ? chosen : [zpick(values)];
      combos.splice(0, combos.length, ...combos.flatMap((c) => use.map((v) => ({ ...c, [axis]: v }))));
    }
    const variants = combos.slice(0, 8).map((options, position) => {
      const upcharge = Object.values(options).some((v) => /XL|XXL|1TB|Large|King/.test(v)) ? 500 : 0;
      const code = Object.values(options)
        .map((v) =>
          v
            .replace(/[^A-Za-z0-9]/g, '')
            .slice(0, 4)
            .toUpperCase(),
        )
        .join('-');
      const r = rand();
      return {
        sku: `${leaf.skuPrefix}-${String(n).padStart(5, '0')}${code ? `-${code}` : ''}`,
        title: Object.values(options).join(' / ') || 'Default',
        options,
        priceAmount: base + upcharge,
        position,
        stock: r < 0.06 ? 0 : 1 + Math.floor(300 * rand() ** 2),
      };
    });
    const extra = Array.from({ length: 3 }, () => (rand() < 0.5 ? DESCRIPTIVE[descriptiveRank(rand())]! : word()));
    const description =
      `The ${title.toLowerCase()} from ${brand}: ${zpick(leaf.pitches)} ` +
      `Made of ${material.toLowerCase()}; ${extra.join(', ')}. Part of the ${collection} collection.`;
    return {
      id: uuid(),
      slug,
      title,
      brand,
      category: cat.slug,
      description,
      priceAmount: Math.min(...variants.map((v) => v.priceAmount)),
      images: [1, 2, 3]
        .slice(0, 1 + Math.floor(rand() * 3))
        .map((i) => `https://images.storefront.example/products/${slug}/${i}.jpg`),
      createdAt: new Date(start + Math.floor(rand() * span)).toISOString(),
      variants,
    };
  };
}
