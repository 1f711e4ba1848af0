// What the ops API's figures and SLO routes compute: request figures from the configured source (MetricsDO shards
// or the Analytics Engine SQL API, same shape), business figures from the admin worker (Postgres), the funnel
// derived from both, and the SLO reports per customer journey. Alerts and the console read these same answers.

import { metricsConfig } from '../../../../durable-objects/metrics/config';
import type { Identity } from '../../../../lib/auth/tokens';
import { ConfigError } from '../../../../lib/config';
import type { BusinessFigures, FigureWindow } from '../../../../lib/contracts/figures';
import { AppError } from '../../../../lib/errors';
import { log } from '../../../../lib/log';
import {
  analyticsEngineCalls,
  analyticsEngineSource,
  type CallFigures,
} from '../../../../lib/metrics/analytics-engine';
import { type FigureSource, type JourneySpec, summarySource } from '../../../../lib/metrics/figures';
import { MINUTE } from '../../../../lib/metrics/recorder';
import { type ObjectiveReport, objectiveReport } from '../../../../lib/metrics/slo';
import { withTimeout } from '../../../../lib/resilience';
import { unwrap } from '../../../../lib/rpc';
import { shardName } from '../middleware/figures';
import type { GatewayBindings } from '../types';
import { slowQueryMinutes } from './breakers.service';
import { type FiguresConfig, figuresConfig } from './figures.config';

/** A window of whole minutes: `from` floored, `to` ceiled (so "now" includes the minute under way). */
export function wholeMinutes(from: number, to: number): FigureWindow {
  return { from: from - (from % MINUTE), to: Math.ceil(to / MINUTE) * MINUTE };
}

/** The SQL API's options from the settings (FIGURES_SOURCE=analytics-engine). */
function aeOptions(c: FiguresConfig) {
  if (!c.CF_ACCOUNT_ID || !c.CF_ANALYTICS_TOKEN)
    throw new Error('FIGURES_SOURCE=analytics-engine needs the CF_ACCOUNT_ID and CF_ANALYTICS_TOKEN secrets');
  return {
    accountId: c.CF_ACCOUNT_ID,
    apiToken: c.CF_ANALYTICS_TOKEN,
    apiBase: c.CF_API_BASE,
    timeoutMs: c.FIGURES_QUERY_TIMEOUT_MS,
  };
}

export function sourceOf(env: GatewayBindings, c: FiguresConfig): FigureSource {
  if (c.FIGURES_SOURCE === 'analytics-engine') return analyticsEngineSource(aeOptions(c));
  return summarySource((w) =>
    Promise.all(
      Array.from({ length: c.FIGURES_SHARDS }, (_, i) =>
        withTimeout(
          env.METRICS.get(env.METRICS.idFromName(shardName(i))).summary(w.from, w.to),
          c.FIGURES_QUERY_TIMEOUT_MS,
          'figures summary',
        ),
      ),
    ),
  );
}

const ratio = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 1e6) / 1e6 : null);

export async function business(
  env: GatewayBindings,
  identity: Identity,
  w: FigureWindow,
  top: number,
  c: FiguresConfig,
) {
  const query = { ...w, top, paidWithinSeconds: c.SLO_ORDER_PAID_WITHIN_SECONDS };
  const answer = await withTimeout(
    env.ADMIN.opsFigures(identity, query),
    c.FIGURES_QUERY_TIMEOUT_MS,
    'business figures',
  );
  return unwrap(answer) as BusinessFigures;
}

/**
 * The other workers' calls over the window (storefront_events, lib/metrics/events.ts), from the Analytics Engine SQL
 * API; null with the durable-object source (`wrangler dev` keeps no Analytics Engine data, and the rollups hold the
 * gateway's requests only) or when the API fails (logged; the other figures still answer).
 */
export async function workerCalls(c: FiguresConfig, w: FigureWindow): Promise<CallFigures[] | null> {
  if (c.FIGURES_SOURCE !== 'analytics-engine') return null;
  try {
    return await analyticsEngineCalls(aeOptions(c)).calls(w);
  } catch (err) {
    log.warn('worker calls unavailable', { error: String(err) });
    return null;
  }
}

/** GET /v1/admin/ops/figures. */
export async function opsFigures(env: GatewayBindings, identity: Identity, w: FigureWindow, top: number) {
  const config = figuresConfig(env);
  const [requests, biz, slow, workers] = await Promise.all([
    sourceOf(env, config).requests(w),
    business(env, identity, w, top, config),
    // Kept an hour by MetricsDO `breakers`; unreadable, the other figures still answer.
    slowQueryMinutes(env, w.from).then(
      (minutes) => minutes.filter((m) => m.minute < w.to),
      () => null,
    ),
    workerCalls(config, w),
  ]);
  const started = requests.cartsStarted;
  return {
    window: {
      from: new Date(w.from).toISOString(),
      to: new Date(w.to).toISOString(),
      minutes: (w.to - w.from) / MINUTE,
    },
    source: config.FIGURES_SOURCE,
    requests,
    business: biz,
    slowQueries: slow && {
      total: slow.reduce((n, m) => n + m.count, 0),
      perMinute: slow.map((m) => ({ minute: new Date(m.minute).toISOString(), worker: m.worker, count: m.count })),
    },
    workers,
    funnel: {
      cartsStarted: started,
      ordersAccepted: biz.orders.accepted,
      ordersPaid: biz.orders.paid,
      // Orders paid per cart started; carts started that reached no accepted order (docs/operations.md#funnel).
      conversionRate: ratio(biz.orders.paid, started),
      abandonmentRate: started > 0 ? Math.max(0, Math.round((1 - biz.orders.accepted / started) * 1e6) / 1e6) : null,
    },
  };
}

/** A percentage var as a share, without float noise (99.9 → 0.999, not 0.9990000000000001). */
const pct = (p: number) => Number((p / 100).toFixed(8));

export function journeysOf(c: FiguresConfig): (JourneySpec & { availability: number; latency: number })[] {
  return [
    {
      name: 'catalog read',
      routes: ['GET /v1/products', 'GET /v1/products/suggest', 'GET /v1/products/:slug', 'GET /v1/categories'],
      latencyMs: c.SLO_CATALOG_LATENCY_MS,
      availability: pct(c.SLO_CATALOG_AVAILABILITY),
      latency: pct(c.SLO_CATALOG_LATENCY),
    },
    {
      name: 'add to cart',
      routes: ['POST /v1/cart/items'],
      latencyMs: c.SLO_CART_LATENCY_MS,
      availability: pct(c.SLO_CART_AVAILABILITY),
      latency: pct(c.SLO_CART_LATENCY),
    },
    {
      name: 'checkout accepted',
      routes: ['POST /v1/checkout'],
      latencyMs: c.SLO_CHECKOUT_LATENCY_MS,
      availability: pct(c.SLO_CHECKOUT_AVAILABILITY),
      latency: pct(c.SLO_CHECKOUT_LATENCY),
    },
  ];
}

export const BURN_WINDOWS = [
  { window: '5m', minutes: 5 },
  { window: '1h', minutes: 60 },
] as const;

export interface JourneySlo {
  name: string;
  routes: string[];
  availability: ObjectiveReport;
  latency: ObjectiveReport & { thresholdMs: number };
}

/** GET /v1/admin/ops/slo: every journey's two objectives over the SLO window, with the two burn windows. */
export async function sloReport(env: GatewayBindings, identity: Identity, now: number) {
  const config = figuresConfig(env);
  // The SLO window is read from the MetricsDO's hourly rollups past the kept minutes: it must fit in them.
  const hoursKept = metricsConfig(env).FIGURES_HOURLY_RETENTION_DAYS * 24;
  if (config.FIGURES_SOURCE === 'durable-object' && config.SLO_WINDOW_HOURS > hoursKept)
    throw new ConfigError('storefront-gateway figures', [
      `SLO_WINDOW_HOURS (${config.SLO_WINDOW_HOURS}) is longer than FIGURES_HOURLY_RETENTION_DAYS keeps (${hoursKept} h)`,
    ]);
  const source = sourceOf(env, config);
  const specs = journeysOf(config);
  const windows = [
    wholeMinutes(now - config.SLO_WINDOW_HOURS * 60 * MINUTE, now),
    ...BURN_WINDOWS.map((b) => wholeMinutes(now - b.minutes * MINUTE, now)),
  ];
  const [requestCounts, paidCounts] = await Promise.all([
    Promise.all(windows.map((w) => source.journeys(w, specs))),
    Promise.all(windows.map((w) => business(env, identity, w, 1, config).then((b) => b.paidWithin))),
  ]);
  const report = (objective: number, counts: { total: number; good: number }[]) =>
    objectiveReport(
      objective,
      counts[0]!,
      BURN_WINDOWS.map((b, i) => ({ window: b.window, counts: counts[i + 1]! })),
    );
  const journeys: JourneySlo[] = specs.map((s, j) => ({
    name: s.name,
    routes: s.routes,
    availability: report(
      s.availability,
      requestCounts.map((w) => ({ total: w[j]!.requests, good: w[j]!.available })),
    ),
    latency: {
      ...report(
        s.latency,
        requestCounts.map((w) => ({ total: w[j]!.available, good: w[j]!.fast })),
      ),
      thresholdMs: s.latencyMs,
    },
  }));
  journeys.push({
    name: 'order paid',
    routes: [],
    availability: report(
      pct(config.SLO_ORDER_PAID_AVAILABILITY),
      paidCounts.map((p) => ({ total: p.eligible - p.closed, good: p.paid })),
    ),
    latency: {
      ...report(
        pct(config.SLO_ORDER_PAID_LATENCY),
        paidCounts.map((p) => ({ total: p.paid, good: p.paidInTime })),
      ),
      thresholdMs: config.SLO_ORDER_PAID_WITHIN_SECONDS * 1000,
    },
  });
  return { at: new Date(now).toISOString(), windowHours: config.SLO_WINDOW_HOURS, journeys };
}

/** A figures window from the query, or a 400 naming what is wrong. */
export function windowOf(q: { from?: string; to?: string; minutes?: number }, now: number): FigureWindow {
  if (q.from && q.minutes !== undefined)
    throw new AppError('VALIDATION_FAILED', 'Give either from or minutes, not both.');
  const to = q.to ? Date.parse(q.to) : now;
  const from = q.from ? Date.parse(q.from) : to - (q.minutes ?? 60) * MINUTE;
  if (!(from < to)) throw new AppError('VALIDATION_FAILED', 'from must be before to.');
  const w = wholeMinutes(from, to);
  if (w.to - w.from > 7 * 24 * 60 * MINUTE)
    throw new AppError('VALIDATION_FAILED', 'The window is at most 7 days (10080 minutes).');
  return w;
}
