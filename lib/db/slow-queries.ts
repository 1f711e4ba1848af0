// Slow Postgres queries (issue 12, "slow queries"): every HTTP query of the Neon driver, which is how every worker
// and Durable Object reaches Postgres (lib/db/client.ts; the WebSocket Pool is not used by any worker), is timed
// at the driver's fetch: a query that took SLOW_QUERY_MS or more is logged as one JSON line (`slow query`, with the
// trace ids the logger adds, the duration and a statement tag, never the parameters nor literals) and counted per
// minute in this isolate. The counts reach the figures the way breaker states do (lib/metrics/breaker-reports.ts):
// the isolate pushes them, in the background, to MetricsDO `breakers` at most every PUSH_EVERY_MS after a slow
// query. A push carries the isolate's cumulative count of each recent minute, so a repeated or lost push (replaced
// by the next one) never adds up wrong. Cost for a query that is not slow: two clock reads.
import { log } from '../log';

/** An isolate pushes its counts at most this often (and only after a slow query). */
export const SLOW_PUSH_EVERY_MS = 5000;
/** The minutes an isolate keeps and pushes. */
const KEEP_MINUTES = 10;
const MINUTE = 60_000;

/** One isolate's slow queries per minute, as it pushes them. */
export interface SlowQueryPush {
  worker: string;
  isolate: string;
  at: number;
  minutes: { minute: number; count: number }[];
}

/**
 * A short name for a statement: its verb and first table (`select orders`, `insert order_events`, `transaction`),
 * from the words of the SQL only, so no parameter or literal ever reaches a log line.
 */
export function statementTag(body: unknown): string {
  let parsed: { query?: unknown; queries?: unknown[] } | undefined;
  try {
    parsed = typeof body === 'string' ? JSON.parse(body) : undefined;
  } catch {
    return 'unknown';
  }
  if (Array.isArray(parsed?.queries)) return `transaction of ${parsed.queries.length}`;
  const sql = typeof parsed?.query === 'string' ? parsed.query : '';
  const verb = /^\s*(?:with\b.*?\)\s*)?(\w+)/is.exec(sql)?.[1]?.toLowerCase() ?? 'unknown';
  const table = /\b(?:from|into|update|join)\s+"?(\w+)"?/i.exec(sql)?.[1]?.toLowerCase();
  return table ? `${verb} ${table}` : verb;
}

interface Reporting {
  worker: string;
  send: (push: SlowQueryPush) => Promise<void>;
  waitUntil: (p: Promise<unknown>) => void;
}

/** This isolate's counter: thresholds from the db settings, reporting from the worker's entry module. */
class SlowQueries {
  thresholdMs = 500;
  private readonly counts = new Map<number, number>();
  private reporting: Reporting | undefined;
  private isolate: string | undefined;
  private pushedAt = 0;
  private pending = false;

  report(r: Reporting) {
    this.reporting = r;
  }

  /** One query's duration; `body` is the driver's request body, read only when the query was slow. */
  observe(ms: number, body: unknown, now = Date.now()) {
    if (ms < this.thresholdMs) return;
    log.warn('slow query', { ms, statement: statementTag(body), thresholdMs: this.thresholdMs });
    const minute = Math.floor(now / MINUTE) * MINUTE;
    this.counts.set(minute, (this.counts.get(minute) ?? 0) + 1);
    for (const m of this.counts.keys()) if (m < minute - KEEP_MINUTES * MINUTE) this.counts.delete(m);
    this.schedulePush(now);
  }

  /** The counts kept now (tests, and what a push carries). */
  minutes(): { minute: number; count: number }[] {
    return [...this.counts].map(([minute, count]) => ({ minute, count }));
  }

  private schedulePush(now: number) {
    const r = this.reporting;
    if (!r || this.pending) return;
    this.pending = true;
    const wait = Math.max(0, this.pushedAt + SLOW_PUSH_EVERY_MS - now);
    r.waitUntil(
      new Promise((res) => setTimeout(res, wait)).then(async () => {
        this.pending = false;
        this.pushedAt = Date.now();
        // Workers allow no random values at module load: the id is made inside a request.
        this.isolate ??= crypto.randomUUID().slice(0, 8);
        try {
          await r.send({ worker: r.worker, isolate: this.isolate, at: this.pushedAt, minutes: this.minutes() });
        } catch (err) {
          // The next slow query pushes every kept minute again.
          log.warn('slow query report failed', { worker: r.worker, error: String(err) });
        }
      }),
    );
  }
}

export const slowQueries = new SlowQueries();

/**
 * The driver's fetch, timed (set as neonConfig.fetchFunction: global, like the local proxy's settings). Only a query
 * that got an answer counts: one cut by DB_TIMEOUT_MS or a connection refused is a failure, which the breakers,
 * /health and their rules report (an outage must not page twice).
 */
export const timedFetch: typeof fetch = async (input, init) => {
  const started = Date.now();
  const res = await fetch(input, init);
  slowQueries.observe(Date.now() - started, init?.body);
  return res;
};
