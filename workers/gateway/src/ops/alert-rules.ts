// The alert rules: one typed table over the signals the system already keeps (request figures of the last minutes,
// SLO burn rates over two window pairs, the business figures' dead letters, outbox and replica, the health checks
// and breakers; and whether those could be read at all), each with its threshold from config (alerts.config.ts, the SLO latency bounds from
// figures.config.ts). readRules turns the signals of one evaluation into readings; AlertsDO keeps the state.
import type { RuleReading } from '../../../../lib/contracts/alerts';
import type { BusinessFigures } from '../../../../lib/contracts/figures';
import type { JourneySpec, RequestFigures } from '../../../../lib/metrics/figures';
import { burnRate, type Counts } from '../../../../lib/metrics/slo';
import type { AlertConfig } from './alerts.config';

/** The burn windows the multi-window rules read, in minutes (fast: 60 and 5, slow: 360 and 30). */
export const ALERT_BURN_WINDOWS = { '5m': 5, '30m': 30, '1h': 60, '6h': 360 } as const;
export type BurnWindow = keyof typeof ALERT_BURN_WINDOWS;

export interface JourneyObjectives extends JourneySpec {
  availability: number;
  latency: number;
}

/** One journey's good/valid counts per burn window: availability (not 5xx) and latency (fast, of the available). */
export interface JourneyBurnCounts {
  name: string;
  availability: Record<BurnWindow, Counts>;
  latency: Record<BurnWindow, Counts>;
}

/** What one evaluation read; a source that failed is absent and named in `errors`. */
export interface Signals {
  now: number;
  /** Request figures of the last ALERT_WINDOW_MINUTES. */
  recent?: RequestFigures;
  burns?: JourneyBurnCounts[];
  business?: BusinessFigures;
  /** Required checks down (a worker that did not answer included). */
  health?: { down: string[] };
  /** Every breaker not closed in an isolate that reported within the stale bound (MetricsDO `breakers`). */
  breakers?: { worker: string; name: string; state: string; since: string }[];
  /** Slow Postgres queries per worker over the last ALERT_SLOW_QUERIES_MINUTES (MetricsDO `breakers`). */
  slowQueries?: { worker: string; count: number }[];
  errors: Partial<Record<SignalName, string>>;
}
export type SignalName = 'recent' | 'burns' | 'business' | 'health' | 'breakers' | 'slowQueries';

/** What a rule measured: the value compared with its threshold, and whether there were enough events to judge. */
interface Measure {
  value: number;
  detail?: string;
  /** false: too few events; the rule does not fire whatever the value. */
  enough?: boolean;
}

export interface AlertRule {
  rule: string;
  summary: string;
  /** The source it reads (its rules read null when that source failed); none: it reads the evaluation itself. */
  source?: SignalName;
  threshold: (c: AlertConfig) => number;
  measure: (s: Signals, c: AlertConfig) => Measure;
  /** Fires only once its condition has held this many minutes (AlertsDO keeps since when). */
  forMinutes?: (c: AlertConfig) => number;
}

/** What each source is called in the docs and the ops API. */
const SOURCE_NAMES: Record<SignalName, string> = {
  recent: 'figures',
  burns: 'slo',
  business: 'business figures',
  health: 'health',
  breakers: 'breakers',
  slowQueries: 'slow queries',
};

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const minutesSince = (iso: string | null, now: number) => (iso ? round((now - Date.parse(iso)) / 60_000, 1) : 0);
const slug = (name: string) => name.toLowerCase().replaceAll(' ', '-');

/** A rule reading one source: its measure sees that source present (readRules skips it when it failed). */
function rule<K extends SignalName>(
  source: K,
  def: Omit<AlertRule, 'source' | 'measure'> & {
    measure: (x: NonNullable<Signals[K]>, c: AlertConfig, now: number) => Measure;
  },
): AlertRule {
  return { ...def, source, measure: (s, c) => def.measure(s[source]!, c, s.now) };
}

/** Fires when both windows of the pair burn the budget at least `threshold` times the sustainable rate. */
function burnRule(j: JourneyObjectives, objective: 'availability' | 'latency', speed: 'fast' | 'slow'): AlertRule {
  const [long, short]: [BurnWindow, BurnWindow] = speed === 'fast' ? ['1h', '5m'] : ['6h', '30m'];
  return rule('burns', {
    rule: `burn-${speed}:${slug(j.name)}:${objective}`,
    summary: `${j.name}: ${objective} error budget burning ${speed} (${long} and ${short})`,
    threshold: (c) => (speed === 'fast' ? c.ALERT_BURN_FAST : c.ALERT_BURN_SLOW),
    measure: (burns, c) => {
      const counts = burns.find((b) => b.name === j.name)![objective];
      const target = j[objective];
      const [l, s] = [burnRate(counts[long], target), burnRate(counts[short], target)];
      const [badLong, badShort] = [counts[long].total - counts[long].good, counts[short].total - counts[short].good];
      return {
        value: Math.min(l, s),
        // Both windows must each hold several bad events: at a 99.9% objective, one 5xx of 20 is a burn of 50.
        enough: badLong >= c.ALERT_MIN_BAD_EVENTS && badShort >= c.ALERT_MIN_BAD_EVENTS,
        detail:
          `burn ${long} ${l} (${badLong} bad of ${counts[long].total}), ` +
          `${short} ${s} (${badShort} bad of ${counts[short].total})`,
      };
    },
  });
}

/**
 * The slowest p99 among the journey's routes with ALERT_MIN_REQUESTS requests, against its latency SLO's bound:
 * over fewer samples the p99 is the slowest request or next to it, so one slow request would page.
 */
function p99Rule(j: JourneyObjectives): AlertRule {
  return rule('recent', {
    rule: `latency-p99:${slug(j.name)}`,
    summary: `${j.name}: p99 latency over the SLO bound (${j.latencyMs} ms)`,
    threshold: () => j.latencyMs,
    measure: (recent, c) => {
      const judged = recent.routes.filter((r) => j.routes.includes(r.route) && r.requests >= c.ALERT_MIN_REQUESTS);
      const slowest = judged.sort((a, b) => (b.p99 ?? 0) - (a.p99 ?? 0))[0];
      if (!slowest) return { value: 0, enough: false, detail: `no route with ${c.ALERT_MIN_REQUESTS} requests` };
      return { value: slowest.p99 ?? 0, detail: `${slowest.route}: p99 ${slowest.p99} ms of ${slowest.requests}` };
    },
  });
}

/** Every rule, in the order the ops API lists them. */
export function alertRules(journeys: JourneyObjectives[]): AlertRule[] {
  return [
    rule('recent', {
      rule: 'error-rate',
      summary: 'Share of requests answered 5xx (percent)',
      threshold: (c) => c.ALERT_ERROR_RATE_PERCENT,
      measure: ({ total }, c) => ({
        value: round(total.rate5xx * 100),
        enough: total.status5xx >= c.ALERT_MIN_BAD_EVENTS,
        detail: `${total.status5xx} of ${total.requests} requests in the last ${c.ALERT_WINDOW_MINUTES} min`,
      }),
    }),
    ...journeys.map(p99Rule),
    ...journeys.flatMap((j) =>
      (['availability', 'latency'] as const).flatMap((o) => [burnRule(j, o, 'fast'), burnRule(j, o, 'slow')]),
    ),
    rule('business', {
      rule: 'dead-letters',
      summary: 'Dead letters waiting for a replay',
      threshold: (c) => c.ALERT_DEAD_LETTERS,
      measure: (b) => ({ value: b.deadLetters.waiting }),
    }),
    rule('business', {
      rule: 'dead-letter-age',
      summary: 'Minutes since the oldest waiting dead letter died',
      threshold: (c) => c.ALERT_DEAD_LETTER_AGE_MINUTES,
      measure: (b, _c, now) => ({ value: minutesSince(b.deadLetters.oldestFirstSeenAt, now) }),
    }),
    rule('business', {
      rule: 'outbox-stuck',
      // Not how long an object has not changed: every checkout keeps an `expire` task due 15 minutes ahead.
      summary: 'Minutes the most overdue OrdersDO task is past its due time',
      threshold: (c) => c.ALERT_OUTBOX_STUCK_MINUTES,
      measure: (b, _c, now) => ({
        value: Math.max(0, minutesSince(b.outbox.oldestDueAt, now)),
        detail:
          `${b.outbox.pending} tasks pending in ${b.outbox.objects} objects` +
          (b.outbox.oldestDueAt ? `, the earliest due at ${b.outbox.oldestDueAt}` : ''),
      }),
    }),
    rule('business', {
      rule: 'outbox-failing',
      summary: 'OrdersDO tasks whose last run failed',
      threshold: (c) => c.ALERT_OUTBOX_FAILING,
      measure: (b) => ({ value: b.outbox.failing, detail: `${b.outbox.pending} tasks pending` }),
    }),
    rule('business', {
      rule: 'queue-oldest-age',
      // Local Queues expose no depth: the backlog is what the objects still wait to have copied. The OrdersDOs'
      // unconfirmed order copies, and the InventoryDOs' stock changes waiting after a failed copy (levels to the
      // same Queue, ledger events to Postgres): the older of the two is the age.
      summary: 'Seconds the oldest order copy or stock change has waited to be copied',
      threshold: (c) => c.ALERT_QUEUE_OLDEST_SECONDS,
      measure: ({ outbox }, _c, now) => {
        const age = (since: string | null) => (since ? Math.max(0, Math.round((now - Date.parse(since)) / 1000)) : 0);
        const { oldestCopyAt, levels } = outbox;
        const parts = [
          oldestCopyAt ? `${outbox.copies} order copies unconfirmed, the oldest since ${oldestCopyAt}` : '',
          levels.oldestPendingAt ? `${levels.pending} SKUs' stock changes waiting since ${levels.oldestPendingAt}` : '',
        ].filter(Boolean);
        return {
          value: Math.max(age(oldestCopyAt), age(levels.oldestPendingAt)),
          detail: parts.length ? parts.join('; ') : 'nothing waiting to be copied',
        };
      },
    }),
    rule('business', {
      rule: 'replica-lag',
      summary: 'Seconds the Postgres replica is behind the primary',
      threshold: (c) => c.ALERT_REPLICA_LAG_SECONDS,
      measure: ({ replica }) =>
        replica.configured
          ? { value: replica.lagSeconds ?? 0, detail: `${replica.lagBytes ?? 'unknown'} bytes of WAL to replay` }
          : { value: 0, detail: 'no replica configured' },
    }),
    rule('breakers', {
      rule: 'breakers-open',
      summary: 'Circuit breakers not closed',
      threshold: (c) => c.ALERT_BREAKERS_OPEN,
      measure: (open) => ({
        value: open.length,
        ...(open.length
          ? { detail: open.map((b) => `${b.worker}/${b.name} ${b.state} since ${b.since}`).join(', ') }
          : {}),
      }),
    }),
    rule('slowQueries', {
      rule: 'slow-queries',
      summary: 'Postgres queries at or over SLOW_QUERY_MS in the last ALERT_SLOW_QUERIES_MINUTES, all workers',
      threshold: (c) => c.ALERT_SLOW_QUERIES,
      measure: (byWorker) => {
        const total = byWorker.reduce((n, w) => n + w.count, 0);
        return {
          value: total,
          ...(total ? { detail: byWorker.map((w) => `${w.worker}: ${w.count}`).join(', ') } : {}),
        };
      },
    }),
    rule('health', {
      rule: 'dependencies-down',
      summary: 'Required health checks down',
      threshold: (c) => c.ALERT_DEPENDENCIES_DOWN,
      measure: ({ down }) => ({ value: down.length, ...(down.length ? { detail: down.join(', ') } : {}) }),
    }),
    {
      // The rules of a source that cannot be read keep their state (no "resolved" because a source is away), so a
      // dead source would silence them for good: this one reads the evaluation itself.
      rule: 'signals-unavailable',
      summary: 'Alert signal sources unreadable',
      threshold: () => 1,
      forMinutes: (c) => c.ALERT_SIGNALS_UNAVAILABLE_MINUTES,
      measure: (s) => {
        const failed = Object.entries(s.errors) as [SignalName, string][];
        return {
          value: failed.length,
          ...(failed.length ? { detail: failed.map(([n, e]) => `${SOURCE_NAMES[n]}: ${e}`).join('; ') } : {}),
        };
      },
    },
  ];
}

/** Every rule's reading of one evaluation's signals; a rule whose source failed reads null (it keeps its state). */
export function readRules(rules: AlertRule[], signals: Signals, c: AlertConfig): RuleReading[] {
  return rules.map((r) => {
    const base = {
      rule: r.rule,
      summary: r.summary,
      threshold: r.threshold(c),
      ...(r.forMinutes ? { forMinutes: r.forMinutes(c) } : {}),
    };
    if (r.source && signals[r.source] === undefined)
      return { ...base, value: null, firing: false, detail: `${r.source} unavailable: ${signals.errors[r.source]}` };
    const m = r.measure(signals, c);
    return {
      ...base,
      value: m.value,
      firing: m.enough !== false && m.value >= base.threshold,
      ...(m.enough === false ? { enough: false } : {}),
      ...(m.detail ? { detail: m.enough === false ? `too few events to judge; ${m.detail}` : m.detail } : {}),
    };
  });
}
