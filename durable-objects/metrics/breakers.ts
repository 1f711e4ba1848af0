// The breakers table of MetricsDO's `breakers` object: each isolate's latest push of its circuit breakers (one row
// per worker × isolate × breaker; an older push never replaces a newer one), and the read that ops and the
// `breakers-open` rule use: per worker × breaker, the worst state among the isolates that reported within the stale
// bound, how many isolates are in each state, and the latest transitions. Rows not pushed again for KEEP_MS go.
import type { BreakerPush, BreakerRecord, BreakerState, BreakerTransition } from '../../lib/contracts/ops';

/** A row nobody pushed again for this long is deleted (a closed breaker of an isolate long gone). */
const KEEP_MS = 24 * 3_600_000;
/** At most this many rows are read per answer, newest first (bounds the read with many isolates). */
const READ_LIMIT = 2000;
const TRANSITIONS_SHOWN = 20;

export interface BreakerView {
  worker: string;
  name: string;
  /** The worst state among the fresh reports (open > half-open > closed); closed when every report is stale. */
  state: BreakerState;
  since: string;
  /** Isolates per state among the fresh reports, and the stale ones (not closed, not reported for too long). */
  isolates: { closed: number; open: number; halfOpen: number; stale: number };
  retryAt?: string;
  reportedAt: string;
  /** The latest transitions of any isolate, oldest first. */
  transitions: (BreakerTransition & { isolate: string })[];
}

const rank: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export class BreakerBook {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists breaker (worker text not null, isolate text not null, name text not null,
      snapshot text not null, state text not null, reported_at integer not null,
      primary key (worker, isolate, name)) without rowid`);
  }

  push(p: BreakerPush, now = Date.now()): void {
    for (const b of p.breakers) {
      this.sql.exec(
        `insert into breaker (worker, isolate, name, snapshot, state, reported_at) values (?, ?, ?, ?, ?, ?)
         on conflict (worker, isolate, name) do update set snapshot = excluded.snapshot, state = excluded.state,
           reported_at = excluded.reported_at where excluded.reported_at >= breaker.reported_at`,
        p.worker,
        p.isolate,
        b.name,
        JSON.stringify(b),
        b.state,
        p.at,
      );
    }
    this.sql.exec('delete from breaker where reported_at < ?', now - KEEP_MS);
  }

  /** Every isolate's latest report (newest first, at most READ_LIMIT). */
  records(): BreakerRecord[] {
    return this.sql
      .exec<{ worker: string; isolate: string; snapshot: string; reported_at: number }>(
        'select worker, isolate, snapshot, reported_at from breaker order by reported_at desc limit ?',
        READ_LIMIT,
      )
      .toArray()
      .map((r) => ({
        ...(JSON.parse(r.snapshot) as BreakerRecord),
        worker: r.worker,
        isolate: r.isolate,
        reportedAt: new Date(r.reported_at).toISOString(),
      }));
  }
}

/**
 * The reports merged per worker × breaker. A report not closed and older than `staleMs` counts as stale, not as
 * open: its isolate stopped reporting (died, or no call went through that breaker since).
 */
export function mergeBreakers(records: BreakerRecord[], now: number, staleMs: number): BreakerView[] {
  const views = new Map<string, BreakerView & { worstSince: number }>();
  for (const r of records) {
    const key = `${r.worker}|${r.name}`;
    let v = views.get(key);
    if (!v) {
      v = {
        worker: r.worker,
        name: r.name,
        state: 'closed',
        since: r.since,
        isolates: { closed: 0, open: 0, halfOpen: 0, stale: 0 },
        reportedAt: r.reportedAt,
        transitions: [],
        worstSince: Number.POSITIVE_INFINITY,
      };
      views.set(key, v);
    }
    if (r.reportedAt > v.reportedAt) v.reportedAt = r.reportedAt;
    v.transitions.push(...r.transitions.map((t) => ({ ...t, isolate: r.isolate })));
    const stale = r.state !== 'closed' && now - Date.parse(r.reportedAt) > staleMs;
    if (stale) {
      v.isolates.stale++;
      continue;
    }
    // An open breaker turns half-open by time alone (its isolate notices at its next call): say so from retryAt,
    // as the breaker's own snapshot does.
    const reopened = r.state === 'open' && r.retryAt !== undefined && Date.parse(r.retryAt) <= now;
    const state: BreakerState = reopened ? 'half-open' : r.state;
    v.isolates[state === 'half-open' ? 'halfOpen' : state]++;
    const since = reopened ? Date.parse(r.retryAt!) : Date.parse(r.since);
    // The worst state wins; among isolates in it, the earliest since (how long the dependency has been failing).
    if (rank[state] > rank[v.state] || (state === v.state && since < v.worstSince)) {
      v.state = state;
      v.since = new Date(since).toISOString();
      v.worstSince = since;
      if (state === 'open' && r.retryAt) v.retryAt = r.retryAt;
      else delete v.retryAt;
    }
  }
  return [...views.values()]
    .map(({ worstSince: _w, ...v }) => ({
      ...v,
      transitions: v.transitions.sort((a, b) => a.at.localeCompare(b.at)).slice(-TRANSITIONS_SHOWN),
    }))
    .sort((a, b) => a.worker.localeCompare(b.worker) || a.name.localeCompare(b.name));
}
