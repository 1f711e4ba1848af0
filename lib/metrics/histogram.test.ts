import { describe, expect, it } from 'vitest';
import { add, bucketOf, countAtMost, GROWTH, type Histogram, mergeInto, quantile, total } from './histogram';

/** The exact nearest-rank quantile of a sample. */
function exact(values: number[], q: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

// A deterministic generator (mulberry32), so a failure reproduces.
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('latency histogram', () => {
  it('keeps every quantile within the bucket precision of the exact one (log-normal latencies)', () => {
    const rand = prng(7);
    for (let trial = 0; trial < 20; trial++) {
      const values = Array.from({ length: 2000 }, () => {
        const normal = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
        return 2 + Math.exp(3 + 1.2 * normal);
      });
      const h: Histogram = {};
      for (const v of values) add(h, v);
      for (const q of [0.5, 0.9, 0.95, 0.99, 1]) {
        const want = exact(values, q);
        const got = quantile(h, q)!;
        // Half a bucket either side of the true value, plus the 0.1 ms rounding.
        expect(Math.abs(got - want) / want).toBeLessThanOrEqual(Math.sqrt(GROWTH) - 1 + 0.1 / want + 1e-9);
      }
    }
  });

  it('merges: the quantiles of merged shards equal those of one histogram of everything', () => {
    const rand = prng(11);
    const all: Histogram = {};
    const shards: Histogram[] = [{}, {}, {}];
    for (let i = 0; i < 3000; i++) {
      const v = 1 + rand() * rand() * 900;
      add(all, v);
      add(shards[i % 3]!, v);
    }
    const merged = shards.reduce((into, s) => mergeInto(into, s), {} as Histogram);
    expect(merged).toEqual(all);
    expect(total(merged)).toBe(3000);
    for (const q of [0.5, 0.95, 0.99]) expect(quantile(merged, q)).toBe(quantile(all, q));
  });

  it('puts sub-millisecond and zero values in bucket 0, and answers null when empty', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.4)).toBe(0);
    expect(bucketOf(1)).toBe(0);
    expect(bucketOf(1.03)).toBe(1);
    expect(quantile({}, 0.5)).toBeNull();
    const h = add(add({}, 0), 1);
    expect(quantile(h, 0.99)).toBe(1);
  });

  it('counts values at most a threshold, off by at most the one bucket around it', () => {
    const h: Histogram = {};
    for (const v of [5, 50, 100, 200, 290, 310, 400, 1000]) add(h, v);
    expect(countAtMost(h, 300)).toBe(5);
    expect(countAtMost(h, 4)).toBe(0);
    expect(countAtMost(h, 10_000)).toBe(8);
  });
});
