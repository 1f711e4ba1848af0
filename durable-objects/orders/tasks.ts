// OrdersDO's task outbox: every side effect that must happen eventually (copy to Postgres via the Queue, empty
// the cart, release holds, expire, refund) is a row in `task`, written in the same storage transaction as the
// change that needs it. The object's one alarm runs the due rows; a failed run is due again after a backoff
// that grows with its attempts, so nothing is lost when a call fails or the object is evicted. A task may also
// end "done for now, check again at": the copy to Postgres stays until the consumer confirms it (a Queue can lose
// a message after send() resolved), and is sent again when no confirmation comes. What each kind does is
// OrderLifecycle.runTask.

import type { OutboxCounts } from '../../lib/contracts/figures';
import { log } from '../../lib/log';
import { backoffMs } from '../../lib/resilience';

/**
 * `refund`: money for an order that cannot be filled goes back; `refunds`: a merchant's refunds (order-admin.ts);
 * `notify`: the order's emails and store events to the `notifications` Queue (notices.ts).
 */
export type TaskKind = 'publish' | 'cart' | 'release' | 'expire' | 'refund' | 'refunds' | 'notify';

export interface TaskRow extends Record<string, SqlStorageValue> {
  id: number;
  order_id: string;
  kind: TaskKind;
  payload: string;
  attempts: number;
}

/** Nothing waiting, its keys in the order counts() gives them. */
export const EMPTY_OUTBOX: OutboxCounts = { pending: 0, failing: 0, copies: 0, oldestCopyAt: null, nextDueAt: null };

/** Due tasks run by one alarm; the rest wait for the next one. */
const BATCH = 50;
/** What a task's run may answer: nothing (done, deleted) or when to run it again though it succeeded. */
export type TaskRun = undefined | { recheckAt: number };

/** From this many failures on (about half an hour of retries) a failing task is an error for ops. */
const LOUD_AFTER_ATTEMPTS = 10;

export class TaskOutbox {
  private readonly sql: SqlStorage;
  /** An `arm` is scheduled for the end of the current synchronous run (`armSoon`). */
  private arming = false;

  /** `changed` runs after every change of the table (the object reports its counts to the figures). */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly changed: () => void = () => {},
  ) {
    this.sql = storage.sql;
  }

  /**
   * What is waiting: every task, those whose last run failed, the order copies not yet confirmed and since when the
   * oldest of them waits, the next due.
   */
  counts(): OutboxCounts {
    const r = this.sql
      .exec<{
        pending: number;
        failing: number | null;
        copies: number | null;
        copy_at: number | null;
        due: number | null;
      }>(
        `select count(*) as pending, sum(last_error is not null) as failing, sum(kind = 'publish') as copies,
         min(case when kind = 'publish' then created_at end) as copy_at, min(due_at) as due from task`,
      )
      .one();
    return {
      pending: r.pending,
      failing: r.failing ?? 0,
      copies: r.copies ?? 0,
      oldestCopyAt: r.copy_at,
      nextDueAt: r.due,
    };
  }

  migrate() {
    this.sql.exec(`
      create table if not exists task (id integer primary key autoincrement, order_id text not null, kind text not null,
        payload text not null, attempts integer not null default 0, due_at integer not null, last_error text,
        created_at integer, unique (order_id, kind));
    `);
    // Since when a task waits (the queue backlog's age); objects whose table predates the column get it, and now
    // for their tasks. A new table has it already (a flash sale's winners are mostly new objects: no alter).
    const columns = this.sql.exec<{ name: string }>('pragma table_info(task)').toArray();
    if (!columns.some((c) => c.name === 'created_at')) {
      this.sql.exec('alter table task add column created_at integer');
      this.sql.exec('update task set created_at = ?', Date.now());
    }
  }

  /**
   * A task for later (or now); one per order and kind, so repeated requests coalesce (`keepPayload`: the waiting
   * task keeps its payload, e.g. the trace of the change that first asked for it). Asked for again, it is new
   * work (e.g. a newer version to copy): its attempts start again from zero, but it keeps its creation time (the
   * order's changes have waited since then: the age of the backlog, not of the newest message).
   */
  add(orderId: string, kind: TaskKind, payload: unknown, dueAt: number, opts: { keepPayload?: boolean } = {}) {
    this.sql.exec(
      `insert into task (order_id, kind, payload, due_at, created_at) values (?, ?, ?, ?, ?)
       on conflict (order_id, kind) do update
         set payload = case when ? then task.payload else excluded.payload end,
           due_at = min(task.due_at, excluded.due_at), attempts = 0, last_error = null`,
      orderId,
      kind,
      JSON.stringify(payload),
      dueAt,
      Date.now(),
      opts.keepPayload ? 1 : 0,
    );
    this.armSoon();
  }

  /**
   * One `arm` after the current synchronous run, however many tasks it added (an accepted order adds three or four
   * in a row: each arm is a read and an alarm lookup). It runs before anything else can: a microtask.
   */
  private armSoon() {
    if (this.arming) return;
    this.arming = true;
    queueMicrotask(() => {
      this.arming = false;
      void this.arm();
    });
  }

  remove(orderId: string, kind: TaskKind) {
    this.sql.exec('delete from task where order_id = ? and kind = ?', orderId, kind);
    this.changed();
  }

  /** Every task of an order (the order is gone). */
  removeAll(orderId: string) {
    this.sql.exec('delete from task where order_id = ?', orderId);
    this.changed();
  }

  /** Tasks whose last run failed, most attempts first (the admin view of stuck tasks). */
  failing(minAttempts: number, limit: number): (TaskRow & { due_at: number; last_error: string })[] {
    return this.sql
      .exec<TaskRow & { due_at: number; last_error: string }>(
        `select id, order_id, kind, payload, attempts, due_at, last_error from task
         where last_error is not null and attempts >= ? order by attempts desc, id limit ?`,
        minAttempts,
        limit,
      )
      .toArray();
  }

  /** One task by its row id, whatever its state. */
  byId(id: number): (TaskRow & { due_at: number; last_error: string | null }) | undefined {
    return this.sql
      .exec<TaskRow & { due_at: number; last_error: string | null }>(
        'select id, order_id, kind, payload, attempts, due_at, last_error from task where id = ?',
        id,
      )
      .toArray()[0];
  }

  /** The tasks due now, of every order (the alarm) or of one (right after a checkout). */
  due(now: number, orderId?: string): TaskRow[] {
    return orderId === undefined
      ? this.sql
          .exec<TaskRow>(
            'select id, order_id, kind, payload, attempts from task where due_at <= ? order by due_at limit ?',
            now,
            BATCH,
          )
          .toArray()
      : this.sql
          .exec<TaskRow>(
            'select id, order_id, kind, payload, attempts from task where order_id = ? and due_at <= ?',
            orderId,
            now,
          )
          .toArray();
  }

  /**
   * Runs a task once: done, it is deleted (or, if the run asks, due again at its `recheckAt`, attempts counted);
   * failed, it is due again after a backoff that grows with attempts.
   */
  async settle(task: TaskRow, run: (task: TaskRow) => Promise<TaskRun>): Promise<void> {
    try {
      const result = await run(task);
      if (result)
        this.sql.exec(
          'update task set attempts = attempts + 1, due_at = ?, last_error = null where id = ?',
          result.recheckAt,
          task.id,
        );
      else this.sql.exec('delete from task where id = ?', task.id);
    } catch (err) {
      const delay = 1000 + backoffMs(task.attempts, 1000, 5 * 60_000);
      // Retried until it succeeds; past LOUD_AFTER_ATTEMPTS it is an error for ops.
      (task.attempts + 1 >= LOUD_AFTER_ATTEMPTS ? log.error : log.warn)('order task failed; retrying', {
        task: task.kind,
        orderId: task.order_id,
        attempts: task.attempts + 1,
        delayMs: delay,
        error: String(err),
      });
      this.sql.exec(
        'update task set attempts = attempts + 1, due_at = ?, last_error = ? where id = ?',
        Date.now() + delay,
        String(err).slice(0, 500),
        task.id,
      );
    }
  }

  /**
   * The alarm is set for the earliest due task (never later than one already set). An alarm time in the past is
   * the alarm running now, which will not fire again: it is replaced, or a task rescheduled by this very alarm
   * (a retry, a copy waiting for its confirmation) would never run.
   */
  async arm() {
    this.changed();
    const next = this.sql.exec<{ due: number | null }>('select min(due_at) as due from task').one().due;
    if (next === null) return;
    const now = Date.now();
    const current = await this.storage.getAlarm();
    if (current === null || current > next || current <= now) await this.storage.setAlarm(Math.max(next, now));
  }
}
