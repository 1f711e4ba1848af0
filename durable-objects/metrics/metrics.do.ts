// MetricsDO: the durable half of the request figures that also works under `wrangler dev` (which keeps no Analytics
// Engine data). Gateway isolates hand it their per-minute rollups (minute × key → latency histogram) at most once
// per flush interval; it adds them into SQLite rows, one per minute × key, rolled up per hour × key once the hour
// has ended (rollups.ts), and answers a window's summary merged in SQL (json_each over the histograms). One object per shard (`figures-<n>`); the ops API asks every shard and adds
// the answers, so a hot object is relieved by raising FIGURES_SHARDS, never by losing counts. The object named
// `breakers` also keeps every isolate's circuit breakers as they push them (breakers.ts): gauges of the same kind
// as the outbox reports (newest report per source wins), rare writes, read by ops; no new class or migration. It
// keeps the isolates' slow-query counts (slow-queries.ts) for the same reasons.
import { DurableObject } from 'cloudflare:workers';
import type { FigureSummary, LevelCopies, OutboxCounts, OutboxFigures, RollupRow } from '../../lib/contracts/figures';
import type { BreakerPush } from '../../lib/contracts/ops';
import type { SlowQueryPush } from '../../lib/db/slow-queries';
import { BreakerBook, type BreakerView, mergeBreakers } from './breakers';
import { metricsConfig } from './config';
import { RollupBook } from './rollups';
import { SlowQueryBook, type SlowQueryMinute } from './slow-queries';

/** OrdersDOs report their outbox to one of this many objects (`outbox-<n>`, by their id); readers ask them all. */
export const OUTBOX_SHARDS = 4;
export function outboxShardName(source: string): string {
  let h = 0;
  for (let i = 0; i < source.length; i++) h = (h * 31 + source.charCodeAt(i)) >>> 0;
  return `outbox-${h % OUTBOX_SHARDS}`;
}

export class MetricsDO extends DurableObject<GatewayEnv> {
  private sql: SqlStorage;
  private readonly rollups: RollupBook;
  private book: BreakerBook | undefined;
  private slow: SlowQueryBook | undefined;

  constructor(ctx: DurableObjectState, env: GatewayEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.rollups = new RollupBook(this.sql, ctx.storage, () => {
      const c = metricsConfig(this.env);
      return {
        minutesMs: c.FIGURES_RETENTION_HOURS * 3_600_000,
        hoursMs: c.FIGURES_HOURLY_RETENTION_DAYS * 86_400_000,
      };
    });
    // Gauges: each OrdersDO's task outbox as it last reported it; a row with nothing pending is deleted.
    this.sql.exec(`create table if not exists outbox (source text primary key, pending integer not null,
      failing integer not null, copies integer not null, at integer not null, due_at integer)`);
    // Objects created before the reports carried the next due time, the oldest unconfirmed copy's creation.
    const columns = this.sql.exec<{ name: string }>('pragma table_info(outbox)').toArray();
    for (const column of ['due_at', 'copy_at'])
      if (!columns.some((c) => c.name === column)) this.sql.exec(`alter table outbox add column ${column} integer`);
    // Gauges: each InventoryDO whose level or ledger copies failed, as it last reported (levels-report.ts).
    this.sql.exec(`create table if not exists levels (sku text primary key, failing integer not null,
      since integer, due_at integer, at integer not null)`);
  }

  /** Created on first use: only the `breakers` object has the table. */
  private get breakerBook() {
    this.book ??= new BreakerBook(this.sql);
    return this.book;
  }

  /** One isolate's breakers, pushed on first use, each transition and a heartbeat (lib/metrics/breaker-reports). */
  async pushBreakers(push: BreakerPush): Promise<void> {
    this.breakerBook.push(push);
  }

  /** One isolate's slow-query counts per minute (lib/db/slow-queries.ts); kept by the `breakers` object too. */
  async pushSlowQueries(push: SlowQueryPush): Promise<void> {
    this.slow ??= new SlowQueryBook(this.sql);
    this.slow.push(push);
  }

  /** Slow queries per worker and minute since `from` (epoch ms). */
  async slowQueries(from: number): Promise<SlowQueryMinute[]> {
    this.slow ??= new SlowQueryBook(this.sql);
    return this.slow.since(from);
  }

  /** Every worker × breaker: the worst state among isolates reported within `staleMs`, and their counts. */
  async breakers(staleMs: number): Promise<BreakerView[]> {
    return mergeBreakers(this.breakerBook.records(), Date.now(), staleMs);
  }

  /** An OrdersDO's outbox now (reports can arrive out of order: an older one never replaces a newer one). */
  async report(source: string, counts: OutboxCounts, at: number): Promise<void> {
    if (counts.pending === 0) {
      this.sql.exec('delete from outbox where source = ? and at <= ?', source, at);
      return;
    }
    this.sql.exec(
      `insert into outbox (source, pending, failing, copies, at, due_at, copy_at) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (source) do update set pending = excluded.pending, failing = excluded.failing,
         copies = excluded.copies, at = excluded.at, due_at = excluded.due_at, copy_at = excluded.copy_at
         where excluded.at >= outbox.at`,
      source,
      counts.pending,
      counts.failing,
      counts.copies,
      at,
      counts.nextDueAt ?? null,
      counts.oldestCopyAt ?? null,
    );
  }

  /** An InventoryDO's copies now; one with nothing pending is taken out (an older report never wins). */
  async reportLevels(sku: string, copies: LevelCopies, at: number): Promise<void> {
    if (!copies.pending) {
      this.sql.exec('delete from levels where sku = ? and at <= ?', sku, at);
      return;
    }
    this.sql.exec(
      `insert into levels (sku, failing, since, due_at, at) values (?, ?, ?, ?, ?)
       on conflict (sku) do update set failing = excluded.failing, since = excluded.since,
         due_at = excluded.due_at, at = excluded.at where excluded.at >= levels.at`,
      sku,
      copies.failing ? 1 : 0,
      copies.pendingSince,
      copies.nextDueAt,
      at,
    );
  }

  /** Every outbox reported to this shard, added up. */
  async outbox(): Promise<OutboxFigures> {
    const r = this.sql
      .exec<{
        objects: number;
        pending: number | null;
        failing: number | null;
        copies: number | null;
        oldest: number | null;
        due: number | null;
        copy: number | null;
      }>(
        `select count(*) as objects, sum(pending) as pending, sum(failing) as failing, sum(copies) as copies,
         min(at) as oldest, min(due_at) as due, min(copy_at) as copy from outbox`,
      )
      .one();
    return {
      objects: r.objects,
      pending: r.pending ?? 0,
      failing: r.failing ?? 0,
      copies: r.copies ?? 0,
      oldestReportAt: r.oldest === null ? null : new Date(r.oldest).toISOString(),
      oldestDueAt: r.due === null ? null : new Date(r.due).toISOString(),
      oldestCopyAt: r.copy === null ? null : new Date(r.copy).toISOString(),
      levels: this.levelCopies(),
    };
  }

  private levelCopies(): OutboxFigures['levels'] {
    const l = this.sql
      .exec<{ pending: number; failing: number | null; since: number | null }>(
        'select count(*) as pending, sum(failing) as failing, min(since) as since from levels',
      )
      .one();
    return {
      pending: l.pending,
      failing: l.failing ?? 0,
      oldestPendingAt: l.since === null ? null : new Date(l.since).toISOString(),
    };
  }

  /** The OrdersDOs (their ids) that last reported a failing task: where the admin view of stuck tasks looks. */
  async failingSources(limit: number): Promise<string[]> {
    return this.sql
      .exec<{ source: string }>('select source from outbox where failing > 0 order by at limit ?', limit)
      .toArray()
      .map((r) => r.source);
  }

  /** Adds a flush of rollups: per row, one read and one write, in one synchronous stretch (no interleaving). */
  async record(rows: RollupRow[]): Promise<void> {
    this.rollups.record(rows);
  }

  /** The rollups of [from, to), merged per key and per minute × status class (hours for the part past minutes). */
  async summary(from: number, to: number): Promise<FigureSummary> {
    return this.rollups.summary(from, to);
  }
}
