// The slow-query counts every isolate pushes (lib/db/slow-queries.ts), kept by MetricsDO `breakers` next to the
// breaker reports: one row per worker × isolate × minute holding the isolate's cumulative count for that minute (a
// repeated push changes nothing, a later one only raises it), pruned after an hour. Read per worker and minute.
import type { SlowQueryPush } from '../../lib/db/slow-queries';

const KEEP_MS = 60 * 60_000;

export interface SlowQueryMinute {
  worker: string;
  /** Epoch ms of the minute's start. */
  minute: number;
  count: number;
}

export class SlowQueryBook {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists slow_query (worker text not null, isolate text not null,
      minute integer not null, count integer not null, primary key (worker, isolate, minute)) without rowid`);
  }

  push(p: SlowQueryPush, now = Date.now()) {
    for (const m of p.minutes)
      this.sql.exec(
        `insert into slow_query (worker, isolate, minute, count) values (?, ?, ?, ?)
         on conflict (worker, isolate, minute) do update set count = max(count, excluded.count)`,
        p.worker,
        p.isolate,
        m.minute,
        m.count,
      );
    this.sql.exec('delete from slow_query where minute < ?', now - KEEP_MS);
  }

  /** Slow queries per worker and minute, of the minutes from `from` on (oldest first). */
  since(from: number): SlowQueryMinute[] {
    return this.sql
      .exec<{ worker: string; minute: number; count: number }>(
        `select worker, minute, sum(count) as count from slow_query where minute >= ?
         group by worker, minute order by minute, worker`,
        from,
      )
      .toArray();
  }
}
