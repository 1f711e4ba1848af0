// Mergeable latency histograms with log-spaced buckets: bucket i holds values in (γ^(i-1), γ^i] ms, γ = 1.04, so
// any quantile read from it is within 2% of a value actually seen (relative error ≤ (γ-1)/2 at the bucket's middle,
// ≤ γ-1 at worst). Values ≤ 1 ms share bucket 0. Sparse: only buckets with counts are kept, as plain objects
// (bucket index → count) so a histogram crosses RPC and JSON unchanged, and two histograms merge by adding counts.
// Used by the in-isolate recorder, the MetricsDO rollups and the ops API alike, so every figure rounds the same way.

/** Bucket index → count. */
export type Histogram = Record<string, number>;

export const GROWTH = 1.04;
const LOG_GROWTH = Math.log(GROWTH);

/** The bucket of a latency in ms. */
export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.ceil(Math.log(ms) / LOG_GROWTH - 1e-9);
}

/** The value a bucket stands for: the geometric middle of its range (bucket 0: 1 ms). */
export function middleOf(bucket: number): number {
  if (bucket <= 0) return 1;
  return GROWTH ** (bucket - 0.5);
}

/** Upper bound of a bucket's range. */
export const upperOf = (bucket: number) => (bucket <= 0 ? 1 : GROWTH ** bucket);

export function add(h: Histogram, ms: number, n = 1): Histogram {
  const b = bucketOf(ms);
  h[b] = (h[b] ?? 0) + n;
  return h;
}

/** Adds `from` into `into` (in place) and returns it. */
export function mergeInto(into: Histogram, from: Histogram): Histogram {
  for (const [b, n] of Object.entries(from)) into[b] = (into[b] ?? 0) + n;
  return into;
}

export const total = (h: Histogram) => Object.values(h).reduce((s, n) => s + n, 0);

const sortedBuckets = (h: Histogram) =>
  Object.entries(h)
    .map(([b, n]) => [Number(b), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);

/**
 * The q-quantile (0 < q ≤ 1) in ms, rounded to 0.1 ms: the value of the bucket holding the ⌈q·n⌉-th smallest
 * recording (nearest rank). Null for an empty histogram.
 */
export function quantile(h: Histogram, q: number): number | null {
  const buckets = sortedBuckets(h);
  const n = buckets.reduce((s, [, c]) => s + c, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (const [b, c] of buckets) {
    seen += c;
    if (seen >= rank) return Math.round(middleOf(b) * 10) / 10;
  }
  return Math.round(middleOf(buckets.at(-1)![0]) * 10) / 10;
}

/**
 * How many recordings were at most `ms` (for a latency objective). Exact except in the one bucket that straddles
 * `ms`, which counts as fast when its middle is: the error is at most that bucket's count (a ±4% band around `ms`).
 */
export function countAtMost(h: Histogram, ms: number): number {
  let n = 0;
  for (const [b, c] of Object.entries(h)) if (middleOf(Number(b)) <= ms * (1 + 1e-9)) n += c;
  return n;
}
