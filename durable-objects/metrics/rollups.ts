// MetricsDO's request rollups in SQLite: one row per minute × key (latency histogram) for the recent past, and one
// per hour × key for the long windows (the SLO window, figures reaching back days), so that a 7-day or 30-day
// window is served without keeping every minute. An hour's row is made from its minutes once the hour has ended
// (ROLL_AFTER_MS later, when no flush of it can still arrive), by one INSERT ... SELECT that adds the minutes'
// histograms bucket by bucket: an hour row is exactly the sum of its minute rows. A flush that still arrives for a
// rolled hour is added to its hour row as well. Minutes are deleted after FIGURES_RETENTION_HOURS, hours after
// FIGURES_HOURLY_RETENTION_DAYS; the roll-up always runs before the pruning, so no minute goes before its hour has it.
import type { FigureSummary, RollupRow } from '../../lib/contracts/figures';
import { type Histogram, mergeInto } from '../../lib/metrics/histogram';

export const HOUR = 3_600_000;
/** An hour is rolled up this long after it ended: flushes come FIGURES_FLUSH_MS late, waitUntil ends ~30 s later. */
export const ROLL_AFTER_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;
const KEY = 'method, route, status, cache, code, event';

export interface Retention {
  /** Minute rows are kept this long (ms); at least 2 hours, so an hour is rolled before its minutes go. */
  minutesMs: number;
  /** Hour rows are kept this long (ms). */
  hoursMs: number;
}

export class RollupBook {
  private rolledTo: number | undefined;
  private prunedAt = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
    private readonly retention: () => Retention,
  ) {
    for (const [table, time] of [
      ['rollup', 'minute'],
      ['rollup_hour', 'hour'],
    ])
      sql.exec(`create table if not exists ${table} (
        ${time} integer not null, method text not null, route text not null, status integer not null,
        cache text not null, code text not null, event text not null, count integer not null, hist text not null,
        primary key (${time}, ${KEY})) without rowid`);
    sql.exec('create table if not exists rollup_meta (k text primary key, v integer not null)');
  }

  /** Adds a flush: per row, one read and one write (and the same into its hour if that hour is rolled already). */
  record(rows: RollupRow[], now = Date.now()): void {
    const rolledTo = this.rolledUpTo();
    for (const r of rows) {
      this.add('rollup', 'minute', r.minute, r);
      const hour = r.minute - (r.minute % HOUR);
      if (hour < rolledTo) this.add('rollup_hour', 'hour', hour, r);
    }
    // After the writes, so that a late flush of minutes past retention never outlives its own call.
    const late = rows.some((r) => r.minute < now - this.retention().minutesMs);
    if (late || now - this.prunedAt > PRUNE_EVERY_MS) this.maintain(now);
  }

  private add(table: string, col: string, at: number, r: RollupRow) {
    const key = [at, r.method, r.route, r.status, r.cache, r.code, r.event];
    const old = this.sql
      .exec<{ hist: string }>(
        `select hist from ${table} where ${col} = ? and method = ? and route = ? and status = ? and cache = ?
         and code = ? and event = ?`,
        ...key,
      )
      .toArray()[0];
    const hist = old ? mergeInto(JSON.parse(old.hist) as Histogram, r.hist) : { ...r.hist };
    const count = Object.values(hist).reduce((s, n) => s + n, 0);
    this.sql.exec(
      `insert or replace into ${table} (${col}, ${KEY}, count, hist) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ...key,
      count,
      JSON.stringify(hist),
    );
  }

  /** Hours before this (epoch ms) have their rows in rollup_hour. */
  private rolledUpTo(): number {
    this.rolledTo ??=
      this.sql.exec<{ v: number }>("select v from rollup_meta where k = 'rolled_to'").toArray()[0]?.v ?? 0;
    return this.rolledTo;
  }

  /** Rolls every ended hour not rolled yet into rollup_hour (one statement; nothing to do: one comparison). */
  rollUp(now = Date.now()): void {
    const until = now - ROLL_AFTER_MS - ((now - ROLL_AFTER_MS) % HOUR);
    let from = this.rolledUpTo();
    if (from >= until) return;
    if (from === 0) {
      // First roll-up of this object (or of one that kept only minutes so far): from its oldest minute.
      const oldest = this.sql.exec<{ m: number | null }>('select min(minute) as m from rollup').one().m;
      from = oldest === null ? until : oldest - (oldest % HOUR);
    }
    this.storage.transactionSync(() => {
      this.sql.exec(
        `insert or replace into rollup_hour (hour, ${KEY}, count, hist)
         select hour, ${KEY}, sum(n), json_group_object(b, n) from (
           select minute - minute % ${HOUR} as hour, ${KEY}, j.key as b, sum(j.value) as n
           from rollup, json_each(rollup.hist) as j where minute >= ? and minute < ?
           group by hour, ${KEY}, j.key)
         group by hour, ${KEY}`,
        from,
        until,
      );
      this.sql.exec(
        "insert into rollup_meta (k, v) values ('rolled_to', ?) on conflict (k) do update set v = excluded.v",
        until,
      );
    });
    this.rolledTo = until;
  }

  /** Rolls ended hours up, then deletes minutes and hours past their retention. */
  maintain(now = Date.now()): void {
    this.rollUp(now);
    const r = this.retention();
    this.sql.exec('delete from rollup where minute < ?', now - r.minutesMs);
    this.sql.exec('delete from rollup_hour where hour < ?', now - r.hoursMs);
    this.prunedAt = now;
  }

  /**
   * The rollups of [from, to), merged per key and per minute × status class (2 for 2xx, …). The part of the window
   * older than the kept minutes is read from the hours, widened to whole hours (its byMinute points are then one
   * per hour, at the hour's start); the rest from the minutes.
   */
  summary(from: number, to: number, now = Date.now()): FigureSummary {
    this.rollUp(now);
    // From this whole hour on, every minute is still kept (minutes go after retention, at most 10 minutes late).
    const split = Math.ceil((now - this.retention().minutesMs) / HOUR) * HOUR;
    const byKey = new Map<string, FigureSummary['byKey'][number]>();
    const byMinute = new Map<string, FigureSummary['byMinute'][number]>();
    if (from < split) {
      const hoursTo = Math.min(split, Math.ceil(to / HOUR) * HOUR);
      this.read('rollup_hour', 'hour', from - (from % HOUR), hoursTo, byKey, byMinute);
    }
    if (to > split) this.read('rollup', 'minute', Math.max(from, split), to, byKey, byMinute);
    return { byKey: [...byKey.values()], byMinute: [...byMinute.values()] };
  }

  private read(
    table: string,
    col: string,
    from: number,
    to: number,
    byKey: Map<string, FigureSummary['byKey'][number]>,
    byMinute: Map<string, FigureSummary['byMinute'][number]>,
  ) {
    for (const r of this.sql.exec<{
      method: string;
      route: string;
      status: number;
      cache: string;
      code: string;
      event: string;
      b: string;
      n: number;
    }>(
      `select ${KEY}, j.key as b, sum(j.value) as n from ${table}, json_each(${table}.hist) as j
       where ${col} >= ? and ${col} < ? group by ${KEY}, j.key`,
      from,
      to,
    )) {
      const k = `${r.method}|${r.route}|${r.status}|${r.cache}|${r.code}|${r.event}`;
      let entry = byKey.get(k);
      if (!entry) {
        const { b: _b, n: _n, ...key } = r;
        entry = { ...key, hist: {} };
        byKey.set(k, entry);
      }
      entry.hist[r.b] = (entry.hist[r.b] ?? 0) + r.n;
    }
    for (const r of this.sql.exec<{ at: number; cls: number; b: string; n: number }>(
      `select ${col} as at, status / 100 as cls, j.key as b, sum(j.value) as n
       from ${table}, json_each(${table}.hist) as j where ${col} >= ? and ${col} < ?
       group by ${col}, cls, j.key`,
      from,
      to,
    )) {
      const k = `${r.at}|${r.cls}`;
      let entry = byMinute.get(k);
      if (!entry) {
        entry = { minute: r.at, statusClass: r.cls, hist: {} };
        byMinute.set(k, entry);
      }
      entry.hist[r.b] = (entry.hist[r.b] ?? 0) + r.n;
    }
  }
}
