// AlertsDO: the alert rules' state and their notifications, in one object (`alerts`) so that evaluations are
// serialized: a rule that starts firing is notified once however many evaluations overlap, reminded at most every
// ALERT_RENOTIFY_MINUTES while it fires, and resolved once when it has been clear for ALERT_RESOLVE_AFTER_EVALUATIONS
// evaluations in a row (lib/alerts/state.ts). Every notification is recorded first (the ops API's history, also
// without a webhook), then delivered by the alarm in order, each call with a deadline and retried with doubling
// waits until ALERT_WEBHOOK_ATTEMPTS; a receiver that is down delays the later ones behind it rather than
// reordering a rule's "firing" and "resolved".
import { DurableObject } from 'cloudflare:workers';
import { type StoredState, step } from '../../lib/alerts/state';
import type { AlertEvent, AlertsReport, NotificationKind, RuleReading, RuleState } from '../../lib/contracts/alerts';
import { log } from '../../lib/log';
import { alertsObjectConfig } from './config';
import { sendWebhook } from './webhook';

/** Deliveries per alarm run; more wait for the next run (scheduled at once), so one run stays short. */
const DELIVERIES_PER_RUN = 20;
const MAX_RETRY_WAIT_MS = 5 * 60_000;

type StateRow = {
  rule: string;
  summary: string;
  status: 'ok' | 'firing';
  since: number | null;
  notified_at: number | null;
  clear_streak: number;
  last_value: number | null;
  threshold: number;
  detail: string | null;
  evaluated_at: number;
};
type EventRow = {
  id: number;
  rule: string;
  kind: NotificationKind;
  at: number;
  since: number | null;
  summary: string;
  value: number | null;
  threshold: number;
  detail: string | null;
  delivery: AlertEvent['delivery'];
  attempts: number;
  next_at: number | null;
  last_error: string | null;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const eventOf = (r: EventRow): AlertEvent => ({
  id: r.id,
  rule: r.rule,
  kind: r.kind,
  at: iso(r.at)!,
  since: iso(r.since),
  summary: r.summary,
  value: r.value,
  threshold: r.threshold,
  detail: r.detail,
  delivery: r.delivery,
  attempts: r.attempts,
  lastError: r.last_error,
});

export class AlertsDO extends DurableObject<GatewayEnv> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: GatewayEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`create table if not exists rule_state (rule text primary key, summary text not null,
      status text not null, since integer, notified_at integer, clear_streak integer not null default 0,
      last_value real, threshold real not null,
      detail text, evaluated_at integer not null)`);
    this.sql.exec(`create table if not exists alert_event (id integer primary key autoincrement, rule text not null,
      kind text not null, at integer not null, since integer, summary text not null, value real, threshold real not null,
      detail text, delivery text not null, attempts integer not null default 0, next_at integer, last_error text)`);
    this.sql.exec('create index if not exists alert_event_pending on alert_event (delivery, id)');
    // The history's pruning, at every evaluation, reads by age.
    this.sql.exec('create index if not exists alert_event_at on alert_event (at)');
    this.sql.exec(`create table if not exists evaluation (id integer primary key check (id = 1),
      at integer not null, count integer not null)`);
    // Rules with a `forMinutes`: since when their condition has held at every evaluation (gone once it does not).
    this.sql.exec('create table if not exists condition_since (rule text primary key, since integer not null)');
  }

  /**
   * A reading of a rule with `forMinutes`, as the state machine is to see it: its condition counts only once it has
   * held at every evaluation for that long (before that it reads clear, saying for how long it has held).
   */
  private sustained(r: RuleReading, now: number): RuleReading {
    if (r.forMinutes === undefined || r.value === null) return r;
    if (!r.firing) {
      this.sql.exec('delete from condition_since where rule = ?', r.rule);
      return r;
    }
    this.sql.exec('insert or ignore into condition_since (rule, since) values (?, ?)', r.rule, now);
    const since = this.sql.exec<{ since: number }>('select since from condition_since where rule = ?', r.rule).one();
    const heldMinutes = (now - since.since) / 60_000;
    if (heldMinutes >= r.forMinutes) return r;
    const held = `held ${Math.round(heldMinutes * 10) / 10} of ${r.forMinutes} min`;
    return { ...r, firing: false, detail: r.detail ? `${r.detail} (${held})` : held };
  }

  /**
   * One evaluation's readings: each rule's state moves (one synchronous stretch, so evaluations never interleave),
   * the notifications it calls for are recorded, and the alarm delivers them. Rules no longer read are forgotten.
   * One older than the last applied changes nothing.
   */
  async evaluate(readings: RuleReading[], now: number): Promise<{ notified: { rule: string; kind: string }[] }> {
    const last = this.sql.exec<{ at: number }>('select at from evaluation').toArray()[0];
    // A late evaluation (a slow run overtaken by the next minute's) read older signals: applying it would undo the
    // newer one's moves. One of the same time (overlapping runs) is applied in turn.
    if (last && now < last.at) return { notified: [] };
    const c = alertsObjectConfig(this.env);
    const options = { renotifyMs: c.ALERT_RENOTIFY_MINUTES * 60_000, resolveAfter: c.ALERT_RESOLVE_AFTER_EVALUATIONS };
    const delivery = c.ALERT_WEBHOOK_URL ? 'pending' : 'unsent';
    const notified: { rule: string; kind: string }[] = [];
    for (const read of readings) {
      const r = this.sustained(read, now);
      const row = this.sql.exec<StateRow>('select * from rule_state where rule = ?', r.rule).toArray()[0];
      const prev: StoredState | undefined = row && {
        status: row.status,
        since: row.since,
        notifiedAt: row.notified_at,
        clearStreak: row.clear_streak,
      };
      const { next, notify } = step(prev, r, now, options);
      this.sql.exec(
        `insert or replace into rule_state (rule, summary, status, since, notified_at, clear_streak, last_value,
         threshold, detail, evaluated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.rule,
        r.summary,
        next.status,
        next.since,
        next.notifiedAt,
        next.clearStreak,
        r.value,
        r.threshold,
        r.detail ?? null,
        now,
      );
      if (!notify) continue;
      this.sql.exec(
        `insert into alert_event (rule, kind, at, since, summary, value, threshold, detail, delivery, next_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.rule,
        notify,
        now,
        // A resolved notification tells when the rule had started firing; the others, since when it fires.
        notify === 'resolved' ? (prev?.since ?? null) : next.since,
        r.summary,
        r.value,
        r.threshold,
        r.detail ?? null,
        delivery,
        delivery === 'pending' ? now : null,
      );
      notified.push({ rule: r.rule, kind: notify });
    }
    const known = JSON.stringify(readings.map((r) => r.rule));
    // A rule gone from the table (a journey renamed, a rule removed) while firing would never resolve: say so first.
    const gone = this.sql
      .exec<StateRow>(
        `select * from rule_state where status = 'firing' and rule not in (select value from json_each(?))`,
        known,
      )
      .toArray();
    for (const g of gone) {
      this.sql.exec(
        `insert into alert_event (rule, kind, at, since, summary, value, threshold, detail, delivery, next_at)
         values (?, 'resolved', ?, ?, ?, null, ?, 'the rule is no longer evaluated', ?, ?)`,
        g.rule,
        now,
        g.since,
        g.summary,
        g.threshold,
        delivery,
        delivery === 'pending' ? now : null,
      );
      notified.push({ rule: g.rule, kind: 'resolved' });
    }
    this.sql.exec(`delete from rule_state where rule not in (select value from json_each(?))`, known);
    this.sql.exec(`delete from condition_since where rule not in (select value from json_each(?))`, known);
    this.sql.exec(
      `insert into evaluation (id, at, count) values (1, ?, 1)
       on conflict (id) do update set at = excluded.at, count = evaluation.count + 1`,
      now,
    );
    this.sql.exec(
      `delete from alert_event where at < ? and delivery != 'pending'`,
      now - c.ALERT_HISTORY_DAYS * 86_400_000,
    );
    // Also without a new notification: a pending one whose alarm was lost (never set, or deleted) is picked up.
    const pending = this.sql.exec(`select 1 from alert_event where delivery = 'pending' limit 1`).toArray().length;
    if (pending && (notified.length || (await this.ctx.storage.getAlarm()) === null))
      await this.ctx.storage.setAlarm(Date.now());
    return { notified };
  }

  /** Every rule's state, in the order of the last evaluation's readings, and the latest notifications. */
  async report(limit = 50): Promise<AlertsReport> {
    const ev = this.sql.exec<{ at: number; count: number }>('select at, count from evaluation').toArray()[0];
    const rules: RuleState[] = this.sql
      .exec<StateRow>('select * from rule_state order by rowid')
      .toArray()
      .map((r) => ({
        rule: r.rule,
        summary: r.summary,
        status: r.status,
        since: iso(r.since),
        lastValue: r.last_value,
        threshold: r.threshold,
        detail: r.detail,
        evaluatedAt: iso(r.evaluated_at)!,
        notifiedAt: iso(r.notified_at),
      }));
    const history = this.sql
      .exec<EventRow>('select * from alert_event order by id desc limit ?', Math.min(Math.max(limit, 1), 500))
      .toArray()
      .map(eventOf);
    return {
      evaluatedAt: iso(ev?.at ?? null),
      evaluations: ev?.count ?? 0,
      webhook: { configured: Boolean(alertsObjectConfig(this.env).ALERT_WEBHOOK_URL) },
      rules,
      history,
    };
  }

  /** Delivers pending notifications in order; the first that fails waits (doubling) and holds the rest behind it. */
  override async alarm(): Promise<void> {
    const c = alertsObjectConfig(this.env);
    // Too old to be worth sending; in order still, so what follows is sent as it would have been (a "resolved"
    // whose "firing" expired still tells the receiver, with its `since`, that it happened and ended).
    const expired = this.sql
      .exec<{ id: number; rule: string }>(
        `update alert_event set delivery = 'expired', next_at = null where delivery = 'pending' and at < ?
         returning id, rule`,
        Date.now() - c.ALERT_DELIVERY_MAX_AGE_MINUTES * 60_000,
      )
      .toArray();
    if (expired.length) log.error('alert notifications not delivered; expired', { expired });
    for (let sent = 0; sent < DELIVERIES_PER_RUN; sent++) {
      const head = this.sql
        .exec<EventRow>(`select * from alert_event where delivery = 'pending' order by id limit 1`)
        .toArray()[0];
      if (!head) return;
      if (!c.ALERT_WEBHOOK_URL) {
        // The webhook was removed since: what waits is recorded, never sent.
        this.sql.exec(`update alert_event set delivery = 'unsent', next_at = null where delivery = 'pending'`);
        return;
      }
      if (head.next_at !== null && head.next_at > Date.now())
        return void (await this.ctx.storage.setAlarm(head.next_at));
      try {
        await sendWebhook(c, eventOf(head));
        this.sql.exec(
          `update alert_event set delivery = 'sent', attempts = attempts + 1, next_at = null, last_error = null
           where id = ?`,
          head.id,
        );
      } catch (err) {
        const attempts = head.attempts + 1;
        const error = String(err);
        if (attempts >= c.ALERT_WEBHOOK_ATTEMPTS) {
          log.error('alert notification not delivered; given up', { id: head.id, rule: head.rule, attempts, error });
          this.sql.exec(
            `update alert_event set delivery = 'failed', attempts = ?, next_at = null, last_error = ? where id = ?`,
            attempts,
            error,
            head.id,
          );
          continue;
        }
        const wait = Math.min(MAX_RETRY_WAIT_MS, c.ALERT_WEBHOOK_RETRY_BASE_MS * 2 ** (attempts - 1));
        const nextAt = Date.now() + wait / 2 + Math.random() * (wait / 2);
        log.warn('alert notification failed; retrying', { id: head.id, rule: head.rule, attempts, error });
        this.sql.exec(
          'update alert_event set attempts = ?, next_at = ?, last_error = ? where id = ?',
          attempts,
          Math.round(nextAt),
          error,
          head.id,
        );
        return void (await this.ctx.storage.setAlarm(nextAt));
      }
    }
    await this.ctx.storage.setAlarm(Date.now());
  }
}
