// One alert evaluation (the gateway's Cron Trigger, every minute): read the signals the ops API serves, all at once
// and each bounded in time (request figures of the last minutes, the journeys' counts over the four burn windows,
// the business figures, every worker's health, the breakers every isolate pushed), turn them into the rules' readings, and hand those to
// AlertsDO, which keeps each rule's state, records the notifications and delivers them. GET /v1/admin/ops/alerts
// reads AlertsDO's report.
import type { Identity } from '../../../../lib/auth/tokens';
import type { AlertsReport } from '../../../../lib/contracts/alerts';
import { log } from '../../../../lib/log';
import { MINUTE } from '../../../../lib/metrics/recorder';
import { withTimeout } from '../../../../lib/resilience';
import { collectHealth, mergeChecks, WORKER_HEALTH_TIMEOUT_MS } from '../health';
import type { GatewayBindings } from '../types';
import {
  ALERT_BURN_WINDOWS,
  alertRules,
  type BurnWindow,
  type JourneyBurnCounts,
  readRules,
  type SignalName,
  type Signals,
} from './alert-rules';
import { alertsConfig } from './alerts.config';
import { breakerViews, openBreakers, slowQueriesByWorker, slowQueryMinutes } from './breakers.service';
import { figuresConfig } from './figures.config';
import { business, journeysOf, sourceOf, wholeMinutes } from './figures.service';

/** The Cron Trigger that runs the evaluation (wrangler.toml [triggers]); the other one prunes refresh tokens. */
export const ALERTS_CRON = '* * * * *';
/** The one AlertsDO: a single writer, so two evaluations at once still notify a rule's start once. */
export const ALERTS_OBJECT = 'alerts';
/** Who the evaluation is to the admin worker's ops RPC (the gateway is the only caller it trusts). */
const SYSTEM: Identity = { sub: 'system:alerts', role: 'admin' };
const OBJECT_TIMEOUT_MS = 5000;

const alertsObject = (env: GatewayBindings) => env.ALERTS.get(env.ALERTS.idFromName(ALERTS_OBJECT));

async function readSignals(env: GatewayBindings, now: number): Promise<Signals> {
  const c = alertsConfig(env);
  const figures = figuresConfig(env);
  const source = sourceOf(env, figures);
  const journeys = journeysOf(figures);
  const last = (minutes: number) => wholeMinutes(now - minutes * MINUTE, now);
  const windows = Object.entries(ALERT_BURN_WINDOWS) as [BurnWindow, number][];
  const reads = {
    recent: () => source.requests(last(c.ALERT_WINDOW_MINUTES)),
    burns: async (): Promise<JourneyBurnCounts[]> => {
      const counts = await Promise.all(windows.map(([, minutes]) => source.journeys(last(minutes), journeys)));
      const per = (j: number, pick: (x: (typeof counts)[0][0]) => { total: number; good: number }) =>
        Object.fromEntries(windows.map(([w], i) => [w, pick(counts[i]![j]!)])) as JourneyBurnCounts['latency'];
      return journeys.map((journey, j) => ({
        name: journey.name,
        availability: per(j, (x) => ({ total: x.requests, good: x.available })),
        latency: per(j, (x) => ({ total: x.available, good: x.fast })),
      }));
    },
    business: () => business(env, SYSTEM, last(c.ALERT_WINDOW_MINUTES), 1, figures),
    health: async () => {
      const collected = await withTimeout(collectHealth(env), WORKER_HEALTH_TIMEOUT_MS + 500, 'health for alerts');
      const { checks, failing } = mergeChecks(collected);
      return { down: failing.filter((n) => checks[n]!.required) };
    },
    breakers: async () => openBreakers(await breakerViews(env)),
    slowQueries: async () => slowQueriesByWorker(await slowQueryMinutes(env, last(c.ALERT_SLOW_QUERIES_MINUTES).from)),
  } satisfies Record<SignalName, () => Promise<unknown>>;
  const names = Object.keys(reads) as SignalName[];
  const settled = await Promise.allSettled(names.map((n) => reads[n]()));
  const signals: Signals = { now, errors: {} };
  settled.forEach((r, i) => {
    const name = names[i]!;
    if (r.status === 'fulfilled') (signals as unknown as Record<string, unknown>)[name] = r.value;
    else {
      signals.errors[name] = String(r.reason);
      log.warn('alert signal unavailable', { signal: name, error: String(r.reason) });
    }
  });
  return signals;
}

/** Reads every rule and lets AlertsDO move their state; answers what it notified. */
export async function evaluateAlerts(env: GatewayBindings, now = Date.now()) {
  const c = alertsConfig(env);
  const signals = await readSignals(env, now);
  const readings = readRules(alertRules(journeysOf(figuresConfig(env))), signals, c);
  const result = await withTimeout(alertsObject(env).evaluate(readings, now), OBJECT_TIMEOUT_MS, 'alert evaluation');
  if (result.notified.length) log.info('alerts evaluated', { notified: result.notified });
  return result;
}

/** GET /v1/admin/ops/alerts: every rule's state and the latest `limit` notifications. */
export async function alertsReport(env: GatewayBindings, limit: number): Promise<AlertsReport> {
  return withTimeout(alertsObject(env).report(limit), OBJECT_TIMEOUT_MS, 'alerts report');
}
