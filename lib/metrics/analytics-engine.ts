// The production source of the request figures: the Workers Analytics Engine SQL API over the data points the
// gateway writes (index1 route; blob1 method, blob2 route, blob3 status, blob4 cache outcome, blob5 error code,
// blob6 business event, blob7 "console" for the /admin console's own traffic, left out here, blob8 the cache tier
// that answered (figures.ts CACHE_TIERS); double1 ms, double2 status). It answers the same RequestFigures / JourneyCounts as the
// MetricsDO source. Sampling is honoured by weighting every row with `_sample_interval`; percentiles are weighted
// exact quantiles, so a sampled window's figures are estimates (the DO's are exact counts, 2%-precise latencies).
// The other workers' points (dataset storefront_events, lib/metrics/events.ts) are read by `aeSql.calls` (per
// worker × class × method) and `aeSql.trace` (one trace's calls in order), through `analyticsEngineCalls`.
import type { FigureWindow } from '../contracts/figures';
import { AE_EVENTS_DATASET } from './events';
import {
  CACHE_TIERS,
  type FigureSource,
  type JourneyCounts,
  type JourneySpec,
  type Latency,
  type RequestFigures,
  type RouteFigures,
  tierFigures,
} from './figures';

export const AE_DATASET = 'storefront_requests';

/** A string literal for AE SQL (single quotes doubled, backslashes escaped). */
const lit = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
/** `YYYY-MM-DD hh:mm:ss` in UTC, as AE's toDateTime reads it. */
const at = (ms: number) => lit(new Date(ms).toISOString().slice(0, 19).replace('T', ' '));
const where = (w: FigureWindow, extra = '') =>
  `WHERE timestamp >= toDateTime(${at(w.from)}) AND timestamp < toDateTime(${at(w.to)})${extra ? ` AND ${extra}` : ''}`;
/** The request points of the figures: the console's own traffic (blob7 "console") is not the shop's. */
const whereRequests = (w: FigureWindow, extra = '') =>
  where(w, ["blob7 != 'console'", extra].filter(Boolean).join(' AND '));
const W = '_sample_interval';
const counts =
  `SUM(${W}) AS requests, SUM(IF(double2 >= 400 AND double2 < 500, ${W}, 0)) AS s4xx, ` +
  `SUM(IF(double2 >= 500, ${W}, 0)) AS s5xx, quantileExactWeighted(0.5)(double1, ${W}) AS p50, ` +
  `quantileExactWeighted(0.95)(double1, ${W}) AS p95, quantileExactWeighted(0.99)(double1, ${W}) AS p99`;

/** The AE SQL statements behind RequestFigures and JourneyCounts (pure: unit-tested as text). */
export const aeSql = {
  total: (w: FigureWindow, dataset = AE_DATASET) =>
    `SELECT ${counts}, SUM(IF(blob4 IN ('HIT', 'STALE'), ${W}, 0)) AS hits, SUM(IF(blob4 != '', ${W}, 0)) AS lookups, ` +
    `SUM(IF(double2 = 429, ${W}, 0)) AS limited, SUM(IF(blob6 = 'cart.started', ${W}, 0)) AS carts, ` +
    CACHE_TIERS.map((t, i) => `SUM(IF(blob8 = ${lit(t)}, ${W}, 0)) AS tier${i}`).join(', ') +
    ' ' +
    `FROM ${dataset} ${whereRequests(w)} FORMAT JSON`,
  routes: (w: FigureWindow, dataset = AE_DATASET) =>
    `SELECT blob1 AS method, blob2 AS route, ${counts} FROM ${dataset} ${whereRequests(w)} ` +
    'GROUP BY method, route ORDER BY requests DESC FORMAT JSON',
  minutes: (w: FigureWindow, dataset = AE_DATASET) =>
    `SELECT toStartOfInterval(timestamp, INTERVAL '1' MINUTE) AS minute, ${counts} FROM ${dataset} ${whereRequests(w)} ` +
    'GROUP BY minute ORDER BY minute FORMAT JSON',
  refusals: (w: FigureWindow, dataset = AE_DATASET) =>
    `SELECT blob1 AS method, blob2 AS route, double2 AS status, blob5 AS code, SUM(${W}) AS count ` +
    `FROM ${dataset} ${whereRequests(w, 'double2 >= 400')} GROUP BY method, route, status, code ORDER BY count DESC FORMAT JSON`,
  journeys: (w: FigureWindow, specs: JourneySpec[], dataset = AE_DATASET) => {
    const cols = specs.map((s, i) => {
      const match =
        s.routes
          .map((r) => {
            const [method, ...pattern] = r.split(' ');
            return `(blob1 = ${lit(method ?? '')} AND blob2 = ${lit(pattern.join(' '))})`;
          })
          .join(' OR ') || '0';
      const ms = Number(s.latencyMs);
      return (
        `SUM(IF(${match}, ${W}, 0)) AS j${i}_requests, SUM(IF((${match}) AND double2 < 500, ${W}, 0)) AS j${i}_available, ` +
        `SUM(IF((${match}) AND double2 < 500 AND double1 <= ${ms}, ${W}, 0)) AS j${i}_fast`
      );
    });
    return `SELECT ${cols.join(', ') || '0 AS none'} FROM ${dataset} ${whereRequests(w)} FORMAT JSON`;
  },
  /** The workers' calls (storefront_events): per worker × kind × class × method, weighted, with percentiles. */
  calls: (w: FigureWindow, dataset = AE_EVENTS_DATASET) =>
    `SELECT blob1 AS worker, blob2 AS kind, blob3 AS class, blob4 AS method, SUM(${W}) AS calls, ` +
    `SUM(double2 * ${W}) AS items, SUM(IF(blob5 = 'refused', ${W}, 0)) AS refused, ` +
    `SUM(IF(blob5 = 'error', ${W}, 0)) AS errors, quantileExactWeighted(0.5)(double1, ${W}) AS p50, ` +
    `quantileExactWeighted(0.95)(double1, ${W}) AS p95, quantileExactWeighted(0.99)(double1, ${W}) AS p99 ` +
    `FROM ${dataset} ${where(w)} GROUP BY worker, kind, class, method ORDER BY calls DESC FORMAT JSON`,
  /** One trace's calls in every worker, oldest first (the trace id is blob7). */
  trace: (w: FigureWindow, traceId: string, dataset = AE_EVENTS_DATASET) =>
    'SELECT timestamp, blob1 AS worker, blob2 AS kind, blob3 AS class, blob4 AS method, blob5 AS outcome, ' +
    `blob6 AS code, blob8 AS requestId, double1 AS ms, double2 AS items FROM ${dataset} ` +
    `${where(w, `blob7 = ${lit(traceId)}`)} ORDER BY timestamp LIMIT 1000 FORMAT JSON`,
};

/** One worker method's calls over a window (Analytics Engine, storefront_events). */
export interface CallFigures {
  worker: string;
  kind: string;
  className: string;
  method: string;
  calls: number;
  /** Queue messages for a batch, else one per call. */
  items: number;
  refused: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** The storefront_events answers mapped (pure: unit-tested with recorded answers). */
export function callsOfAe(rows: Row[]): CallFigures[] {
  return rows.map((r) => ({
    worker: String(r.worker ?? ''),
    kind: String(r.kind ?? ''),
    className: String(r.class ?? ''),
    method: String(r.method ?? ''),
    calls: num(r.calls),
    items: num(r.items),
    refused: num(r.refused),
    errors: num(r.errors),
    ...latency(r, num(r.calls)),
  }));
}

type Row = Record<string, string | number | null>;
const num = (v: unknown) => (v === null || v === undefined || v === '' ? 0 : Number(v));
const ms = (v: unknown): number | null => {
  const n = Number(v);
  return v === null || v === undefined || !Number.isFinite(n) ? null : Math.round(n * 10) / 10;
};
const share = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 1e6) / 1e6 : 0);
const latency = (r: Row, requests: number): Latency =>
  requests > 0 ? { p50: ms(r.p50), p95: ms(r.p95), p99: ms(r.p99) } : { p50: null, p95: null, p99: null };

function routeFigures(route: string, r: Row, minutes: number): RouteFigures {
  const requests = num(r.requests);
  return {
    route,
    requests,
    perMinute: Math.round((requests / minutes) * 1000) / 1000,
    status4xx: num(r.s4xx),
    status5xx: num(r.s5xx),
    rate4xx: share(num(r.s4xx), requests),
    rate5xx: share(num(r.s5xx), requests),
    ...latency(r, requests),
  };
}

/** The answers of the SQL API mapped into the shared shape (pure: unit-tested with recorded answers). */
export function figuresOfAe(
  w: FigureWindow,
  rows: { total: Row[]; routes: Row[]; minutes: Row[]; refusals: Row[] },
): RequestFigures {
  const minutes = Math.max((w.to - w.from) / 60_000, 1 / 60);
  const t = rows.total[0] ?? {};
  const lookups = num(t.lookups);
  return {
    total: routeFigures('*', t, minutes),
    cache: {
      hits: num(t.hits),
      lookups,
      hitRatio: lookups > 0 ? share(num(t.hits), lookups) : null,
      tiers: tierFigures((tier) => num(t[`tier${CACHE_TIERS.indexOf(tier as never)}`])),
    },
    rateLimited: { count: num(t.limited), share: share(num(t.limited), num(t.requests)) },
    routes: rows.routes.map((r) => routeFigures(`${r.method} ${r.route}`, r, minutes)),
    minutes: rows.minutes.map((r) => ({
      // AE answers "YYYY-MM-DD hh:mm:ss" in UTC.
      minute: new Date(`${String(r.minute).replace(' ', 'T')}Z`).toISOString(),
      requests: num(r.requests),
      status4xx: num(r.s4xx),
      status5xx: num(r.s5xx),
      ...latency(r, num(r.requests)),
    })),
    refusals: rows.refusals.map((r) => ({
      route: `${r.method} ${r.route}`,
      status: num(r.status),
      code: String(r.code ?? ''),
      count: num(r.count),
    })),
    cartsStarted: num(t.carts),
  };
}

/** Where the SQL API lives; tests point `apiBase` at a local server speaking its protocol. */
export const CF_API_BASE = 'https://api.cloudflare.com';

export interface AeOptions {
  accountId: string;
  /** The API's origin (default CF_API_BASE). */
  apiBase?: string;
  apiToken: string;
  dataset?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** One SQL API call with the deadline; the rows of its JSON answer. */
function aeQuery(o: AeOptions) {
  const doFetch = o.fetch ?? fetch;
  return async function query(sql: string): Promise<Row[]> {
    const base = (o.apiBase ?? CF_API_BASE).replace(/\/+$/, '');
    const res = await doFetch(`${base}/client/v4/accounts/${encodeURIComponent(o.accountId)}/analytics_engine/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.apiToken}` },
      body: sql,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    if (!res.ok)
      throw new Error(`Analytics Engine SQL API answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return ((await res.json()) as { data?: Row[] }).data ?? [];
  };
}

/** The Analytics Engine source: one SQL API call per statement, each with the deadline. */
export function analyticsEngineSource(o: AeOptions): FigureSource {
  const dataset = o.dataset ?? AE_DATASET;
  const query = aeQuery(o);
  return {
    async requests(w) {
      const [total, routes, minutes, refusals] = await Promise.all([
        query(aeSql.total(w, dataset)),
        query(aeSql.routes(w, dataset)),
        query(aeSql.minutes(w, dataset)),
        query(aeSql.refusals(w, dataset)),
      ]);
      return figuresOfAe(w, { total, routes, minutes, refusals });
    },
    async journeys(w, specs): Promise<JourneyCounts[]> {
      const r = (await query(aeSql.journeys(w, specs, dataset)))[0] ?? {};
      return specs.map((s, i) => ({
        name: s.name,
        requests: num(r[`j${i}_requests`]),
        available: num(r[`j${i}_available`]),
        fast: num(r[`j${i}_fast`]),
      }));
    },
  };
}

/** The workers' own points (storefront_events): calls per worker method, and one trace's calls. */
export function analyticsEngineCalls(o: Omit<AeOptions, 'dataset'> & { dataset?: string }) {
  const dataset = o.dataset ?? AE_EVENTS_DATASET;
  const query = aeQuery(o);
  return {
    calls: async (w: FigureWindow) => callsOfAe(await query(aeSql.calls(w, dataset))),
    trace: (w: FigureWindow, traceId: string) => query(aeSql.trace(w, traceId, dataset)),
  };
}
