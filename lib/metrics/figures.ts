// The request figures the ops API serves, and the two sources that answer them in the same typed shape: the
// MetricsDO shards (summaries of per-minute rollups; works under `wrangler dev` and in production) and the
// Analytics Engine SQL API (production; ./analytics-engine.ts). A route is `METHOD pattern` (the router's pattern).
import type { FigureSummary, FigureWindow } from '../contracts/figures';
import { countAtMost, type Histogram, mergeInto, quantile, total } from './histogram';

export interface Latency {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface RouteFigures extends Latency {
  route: string;
  requests: number;
  /** Requests per minute over the window. */
  perMinute: number;
  status4xx: number;
  status5xx: number;
  /** Shares of requests, 0..1 (0 with no requests). */
  rate4xx: number;
  rate5xx: number;
}

export interface MinuteFigures extends Latency {
  /** ISO start of the minute. */
  minute: string;
  requests: number;
  status4xx: number;
  status5xx: number;
}

/**
 * The tiers of the catalog's cache, outermost first (lib/contracts/catalog.ts CacheTier). A request is counted at
 * the outermost tier that answered it: `browser` is a 304 to If-None-Match, `shared` the Upstash Redis tier that every
 * location shares, `origin` a load from Postgres.
 */
export const CACHE_TIERS = ['browser', 'memo', 'memory', 'cache-api', 'shared', 'origin'] as const;

/** One tier's share of the lookups: those it answered of those that reached it (the misses of every outer tier). */
export interface TierFigures {
  tier: (typeof CACHE_TIERS)[number];
  hits: number;
  reached: number;
  /** hits / reached, 0..1; null when nothing reached it. `origin` answers all it is reached by. */
  hitRatio: number | null;
}

/**
 * The figures' `cache` dimension: the edge cache outcome (HIT, STALE, MISS), with the tier that answered after a
 * colon when known (`HIT:memory`); '' for an answer without one. One dimension, so the rollups keep their key.
 */
export const cacheDimension = (outcome: string | undefined, tier?: string) =>
  outcome ? (tier ? `${outcome}:${tier}` : outcome) : '';

export function parseCacheDimension(cache: string): { outcome: string; tier: string } {
  const i = cache.indexOf(':');
  return i < 0 ? { outcome: cache, tier: '' } : { outcome: cache.slice(0, i), tier: cache.slice(i + 1) };
}

/** The per-tier figures from the count each tier answered (outermost first) and all lookups. */
export function tierFigures(answered: (tier: string) => number): TierFigures[] {
  let reached = CACHE_TIERS.reduce((n, t) => n + answered(t), 0);
  return CACHE_TIERS.map((tier) => {
    const hits = answered(tier);
    const f = { tier, hits, reached, hitRatio: reached > 0 ? share(hits, reached) : null };
    reached -= hits;
    return f;
  });
}

export interface RequestFigures {
  total: RouteFigures;
  /**
   * Of the answers with an edge cache outcome: HIT or STALE. `tiers`: the catalog answers per cache tier that
   * answered them (those recorded with their tier), outermost first.
   */
  cache: { hits: number; lookups: number; hitRatio: number | null; tiers: TierFigures[] };
  /** Answers 429. */
  rateLimited: { count: number; share: number };
  routes: RouteFigures[];
  minutes: MinuteFigures[];
  /** Refused requests by route, status and public error code (checkout refusals by reason among them). */
  refusals: { route: string; status: number; code: string; count: number }[];
  /** Adds to cart that turned an empty cart into a non-empty one. */
  cartsStarted: number;
}

/** A customer journey as the gateway sees it: its routes and its latency objective's threshold. */
export interface JourneySpec {
  name: string;
  routes: string[];
  latencyMs: number;
}

export interface JourneyCounts {
  name: string;
  /** All requests of the journey's routes. */
  requests: number;
  /** Not answered 5xx (the availability SLI's good events). */
  available: number;
  /** Not 5xx and answered within latencyMs (the latency SLI's good events; its valid events are `available`). */
  fast: number;
}

export interface FigureSource {
  requests(w: FigureWindow): Promise<RequestFigures>;
  journeys(w: FigureWindow, specs: JourneySpec[]): Promise<JourneyCounts[]>;
}

const share = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 1e6) / 1e6 : 0);
const minutesOf = (w: FigureWindow) => Math.max((w.to - w.from) / 60_000, 1 / 60);
const latencyOf = (h: Histogram): Latency => ({
  p50: quantile(h, 0.5),
  p95: quantile(h, 0.95),
  p99: quantile(h, 0.99),
});

/** Adds shard summaries into one (histograms merge by adding bucket counts). */
export function mergeSummaries(parts: FigureSummary[]): FigureSummary {
  const byKey = new Map<string, FigureSummary['byKey'][number]>();
  const byMinute = new Map<string, FigureSummary['byMinute'][number]>();
  for (const p of parts) {
    for (const k of p.byKey) {
      const id = `${k.method}|${k.route}|${k.status}|${k.cache}|${k.code}|${k.event}`;
      const e = byKey.get(id);
      if (e) mergeInto(e.hist, k.hist);
      else byKey.set(id, { ...k, hist: { ...k.hist } });
    }
    for (const m of p.byMinute) {
      const id = `${m.minute}|${m.statusClass}`;
      const e = byMinute.get(id);
      if (e) mergeInto(e.hist, m.hist);
      else byMinute.set(id, { ...m, hist: { ...m.hist } });
    }
  }
  return { byKey: [...byKey.values()], byMinute: [...byMinute.values()] };
}

interface Acc {
  hist: Histogram;
  requests: number;
  s4: number;
  s5: number;
}
const acc = (): Acc => ({ hist: {}, requests: 0, s4: 0, s5: 0 });
function addTo(a: Acc, status: number, h: Histogram) {
  const n = total(h);
  mergeInto(a.hist, h);
  a.requests += n;
  if (status >= 400 && status < 500) a.s4 += n;
  if (status >= 500) a.s5 += n;
}
const routeFigures = (route: string, a: Acc, w: FigureWindow): RouteFigures => ({
  route,
  requests: a.requests,
  perMinute: Math.round((a.requests / minutesOf(w)) * 1000) / 1000,
  status4xx: a.s4,
  status5xx: a.s5,
  rate4xx: share(a.s4, a.requests),
  rate5xx: share(a.s5, a.requests),
  ...latencyOf(a.hist),
});

/** The request figures of a window from its (merged) summary. */
export function figuresOfSummary(s: FigureSummary, w: FigureWindow): RequestFigures {
  const all = acc();
  const routes = new Map<string, Acc>();
  const refusals = new Map<string, RequestFigures['refusals'][number]>();
  let hits = 0;
  let lookups = 0;
  const byTier = new Map<string, number>();
  let limited = 0;
  let cartsStarted = 0;
  for (const k of s.byKey) {
    const route = `${k.method} ${k.route}`;
    const n = total(k.hist);
    addTo(all, k.status, k.hist);
    const r = routes.get(route) ?? acc();
    routes.set(route, r);
    addTo(r, k.status, k.hist);
    if (k.cache) {
      const { outcome, tier } = parseCacheDimension(k.cache);
      lookups += n;
      if (outcome === 'HIT' || outcome === 'STALE') hits += n;
      if (tier) byTier.set(tier, (byTier.get(tier) ?? 0) + n);
    }
    if (k.status === 429) limited += n;
    if (k.event === 'cart.started') cartsStarted += n;
    if (k.status >= 400) {
      const id = `${route}|${k.status}|${k.code}`;
      const e = refusals.get(id);
      if (e) e.count += n;
      else refusals.set(id, { route, status: k.status, code: k.code, count: n });
    }
  }
  const minutes = new Map<number, Acc>();
  for (const m of s.byMinute) {
    const a = minutes.get(m.minute) ?? acc();
    minutes.set(m.minute, a);
    addTo(a, m.statusClass * 100, m.hist);
  }
  return {
    total: routeFigures('*', all, w),
    cache: {
      hits,
      lookups,
      hitRatio: lookups > 0 ? share(hits, lookups) : null,
      tiers: tierFigures((t) => byTier.get(t) ?? 0),
    },
    rateLimited: { count: limited, share: share(limited, all.requests) },
    routes: [...routes].map(([route, a]) => routeFigures(route, a, w)).sort((a, b) => b.requests - a.requests),
    minutes: [...minutes]
      .sort((a, b) => a[0] - b[0])
      .map(([minute, a]) => ({
        minute: new Date(minute).toISOString(),
        requests: a.requests,
        status4xx: a.s4,
        status5xx: a.s5,
        ...latencyOf(a.hist),
      })),
    refusals: [...refusals.values()].sort((a, b) => b.count - a.count),
    cartsStarted,
  };
}

/** Journey counts from a (merged) summary. */
export function journeysOfSummary(s: FigureSummary, specs: JourneySpec[]): JourneyCounts[] {
  return specs.map((spec) => {
    const c: JourneyCounts = { name: spec.name, requests: 0, available: 0, fast: 0 };
    for (const k of s.byKey) {
      if (!spec.routes.includes(`${k.method} ${k.route}`)) continue;
      const n = total(k.hist);
      c.requests += n;
      if (k.status < 500) {
        c.available += n;
        c.fast += countAtMost(k.hist, spec.latencyMs);
      }
    }
    return c;
  });
}

/** The local source: every MetricsDO shard's summary of the window, added up. */
export function summarySource(summaries: (w: FigureWindow) => Promise<FigureSummary[]>): FigureSource {
  return {
    requests: async (w) => figuresOfSummary(mergeSummaries(await summaries(w)), w),
    journeys: async (w, specs) => journeysOfSummary(mergeSummaries(await summaries(w)), specs),
  };
}
