// InventoryDO's storage: the one-row `stock` table (totals, version, sync bookkeeping) next to the `holds` table,
// the CHECK that refuses any write breaking `held + sold <= onHand`, the `events` table (the stock ledger: one row
// per change, written by `record` inside the change's transaction), and the bookkeeping every change goes through
// (`mutate`: one transaction, version + 1, a levels send due, the alarm re-armed). All synchronous.
import type {
  InventoryActor,
  InventoryEvent,
  InventoryEventKind,
  InventoryEventsFilter,
} from '../../lib/contracts/inventory';
import type { InventoryLevels } from '../../lib/contracts/queue';

export interface StockRow extends Record<string, SqlStorageValue> {
  sku: string;
  initialized: number;
  on_hand: number;
  held: number;
  sold: number;
  max_per_customer: number | null;
  version: number;
  updated_at: number;
  synced_version: number;
  sync_due_at: number | null;
  sync_failures: number;
  /** The last event seq written to Postgres (events up to it may be let go, beyond the last EVENTS_KEPT). */
  events_copied_seq: number;
  /** When the oldest change not yet copied (levels or events) was made; null when everything is copied. */
  pending_since: number | null;
  /** When the object last told the ops figures about its copies (levels-report.ts); null: nothing to take back. */
  copies_reported_at: number | null;
}

export interface HoldRow extends Record<string, SqlStorageValue> {
  hold_id: string;
  owner: string;
  quantity: number;
  status: 'active' | 'sold' | 'released';
  expires_at: number;
}

const SCHEMA = `
  create table if not exists stock (
    id integer primary key check (id = 1), sku text not null, initialized integer not null default 0,
    on_hand integer not null default 0, held integer not null default 0, sold integer not null default 0,
    max_per_customer integer, version integer not null default 0, updated_at integer not null default 0,
    synced_version integer not null default 0, sync_due_at integer, sync_failures integer not null default 0,
    events_copied_seq integer not null default 0, pending_since integer, copies_reported_at integer,
    check (held >= 0 and sold >= 0 and on_hand >= held + sold));
  create table if not exists holds (
    hold_id text primary key, owner text not null, quantity integer not null check (quantity > 0),
    status text not null check (status in ('active', 'sold', 'released')), expires_at integer not null,
    release_reason text, created_at integer not null, updated_at integer not null);
  create index if not exists holds_active_by_expiry on holds (expires_at) where status = 'active';
  create index if not exists holds_by_owner on holds (owner, status);
  create table if not exists hold_keys (hold_id text not null, key text not null, primary key (hold_id, key));
  create table if not exists restocks (restock_id text primary key, hold_id text not null,
    quantity integer not null check (quantity > 0), created_at integer not null);
  create index if not exists hold_keys_by_key on hold_keys (key);
  create table if not exists events (seq integer primary key, kind text not null, delta integer not null,
    actor_type text not null, actor_id text not null, reason text, on_hand integer not null,
    held integer not null, sold integer not null, at integer not null);
`;
// `events` has no index but its key: a hold's event is one insert into one b-tree. `seq` is the rowid, so it is
// max + 1 (never reused: the newest event is never deleted, see eventsCopied).

export interface EventRow extends Record<string, SqlStorageValue> {
  seq: number;
  kind: InventoryEventKind;
  delta: number;
  actor_type: InventoryActor['type'];
  actor_id: string;
  reason: string | null;
  on_hand: number;
  held: number;
  sold: number;
  at: number;
}

export const isCount = (n: unknown, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;

export const text = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > 200)
    throw new TypeError(`InventoryDO: ${what} must be a string of 1..200 characters`);
  return v;
};

export class StockStore {
  readonly sql: SqlStorage;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** How long after a change the levels are due to be sent (a burst of changes travels as one message). */
    private readonly syncDelayMs: number,
  ) {
    this.sql = storage.sql;
  }

  /** Whether the tables exist: an object that was only ever read has none, so no storage at all. */
  private hasSchema = false;

  /**
   * Brings an existing object's tables up to date (once per wake, inside blockConcurrencyWhile). A new object
   * gets its tables with its first write (`stock`), so a read of a SKU never creates storage.
   */
  migrate() {
    const exists = this.sql.exec("select 1 from sqlite_master where type = 'table' and name = 'stock'").toArray();
    if (exists.length === 0) return;
    // An object from before the ledger: its stock row gains the copy bookkeeping (the events table is created
    // with the others).
    const columns = this.sql.exec('select * from stock limit 0').columnNames;
    if (!columns.includes('events_copied_seq'))
      this.sql.exec('alter table stock add column events_copied_seq integer not null default 0');
    // An object from before the copies were reported to the ops figures.
    for (const column of ['pending_since', 'copies_reported_at'])
      if (!columns.includes(column)) this.sql.exec(`alter table stock add column ${column} integer`);
    this.createTables();
  }

  private createTables() {
    this.sql.exec(SCHEMA);
    this.hasSchema = true;
  }

  current(): StockRow | undefined {
    if (!this.hasSchema) return undefined;
    return this.sql.exec<StockRow>('select * from stock where id = 1').toArray()[0];
  }

  /** The state row if this object has one, without creating anything; a call for another SKU is a routing bug. */
  peek(sku: string): StockRow | undefined {
    text(sku, 'sku');
    const row = this.current();
    if (row && row.sku !== sku)
      throw new Error(`InventoryDO for ${JSON.stringify(row.sku)} was called for ${JSON.stringify(sku)}`);
    return row;
  }

  /** The state row, created (with the tables) on the first write for `sku`. */
  stock(sku: string): StockRow {
    const row = this.peek(sku);
    if (row) return row;
    if (!this.hasSchema) this.createTables();
    this.sql.exec('insert into stock (id, sku) values (1, ?)', sku);
    return this.current()!;
  }

  /** The figures of a SKU whose object holds nothing yet. */
  static emptyLevels(sku: string): InventoryLevels {
    return { sku, onHand: 0, held: 0, sold: 0, available: 0, maxPerCustomer: null, version: 0, updatedAt: 0 };
  }

  hold(holdId: string): HoldRow | undefined {
    return this.sql
      .exec<HoldRow>('select hold_id, owner, quantity, status, expires_at from holds where hold_id = ?', holdId)
      .toArray()[0];
  }

  levelsOf(s: StockRow): InventoryLevels {
    return {
      sku: s.sku,
      onHand: s.on_hand,
      held: s.held,
      sold: s.sold,
      available: s.on_hand - s.held - s.sold,
      maxPerCustomer: s.max_per_customer,
      version: s.version,
      updatedAt: s.updated_at,
    };
  }

  /**
   * The ledger's entry for a change, with the levels the change left (read by the insert itself): call it inside
   * `mutate`'s write, after the change. One statement.
   */
  record(kind: InventoryEventKind, delta: number, actor: InventoryActor, reason: string | null, now: number) {
    this.sql.exec(
      `insert into events (kind, delta, actor_type, actor_id, reason, on_hand, held, sold, at)
       select ?, ?, ?, ?, ?, on_hand, held, sold, ? from stock`,
      kind,
      delta,
      actor.type,
      actor.id,
      reason,
      now,
    );
  }

  /**
   * Releases the active holds past `now` (`units` in all), with one `expire` event each carrying the levels as
   * each release left them, in expiry order: three statements however many holds. Inside `mutate`.
   */
  expireHolds(now: number, units: number) {
    this.sql.exec(
      `insert into events (kind, delta, actor_type, actor_id, reason, on_hand, held, sold, at)
       select 'expire', -h.quantity, 'order', h.hold_id, 'hold expired', s.on_hand,
         s.held - sum(h.quantity) over (order by h.expires_at, h.hold_id rows unbounded preceding), s.sold, ?
       from holds h, stock s where h.status = 'active' and h.expires_at <= ?
       order by h.expires_at, h.hold_id`,
      now,
      now,
    );
    this.sql.exec(
      `update holds set status = 'released', release_reason = 'expired', updated_at = ?
       where status = 'active' and expires_at <= ?`,
      now,
      now,
    );
    this.sql.exec('update stock set held = held - ?', units);
  }

  /** The newest event's seq (0: none yet). */
  lastSeq(): number {
    return this.sql.exec<{ s: number | null }>('select max(seq) as s from events').one().s ?? 0;
  }

  /** Events not yet in Postgres, oldest first. */
  unsentEvents(after: number, limit: number): EventRow[] {
    return this.sql.exec<EventRow>('select * from events where seq > ? order by seq limit ?', after, limit).toArray();
  }

  /**
   * Postgres has every event up to `seq`: remembers it, and lets go of copied events beyond the newest `kept`
   * (never an unsent one, never the newest, so seq is never reused).
   */
  eventsCopied(seq: number, kept: number) {
    this.sql.exec('update stock set events_copied_seq = max(events_copied_seq, ?)', seq);
    this.sql.exec(
      `delete from events
       where seq <= (select events_copied_seq from stock) and seq <= (select max(seq) from events) - ?`,
      kept,
    );
  }

  /** The newest events matching `f`, newest first, and the oldest seq still kept. */
  events(sku: string, f: InventoryEventsFilter): { events: InventoryEvent[]; oldestKept: number | null } {
    const where = ['seq < ?'];
    const args: SqlStorageValue[] = [f.before ?? Number.MAX_SAFE_INTEGER];
    if (f.kinds?.length) {
      where.push(`kind in (${f.kinds.map(() => '?').join(', ')})`);
      args.push(...f.kinds);
    }
    if (f.from !== undefined) {
      where.push('at >= ?');
      args.push(f.from);
    }
    if (f.to !== undefined) {
      where.push('at < ?');
      args.push(f.to);
    }
    const rows = this.sql
      .exec<EventRow>(`select * from events where ${where.join(' and ')} order by seq desc limit ?`, ...args, f.limit)
      .toArray();
    const oldestKept = this.sql.exec<{ s: number | null }>('select min(seq) as s from events').one().s;
    return { events: rows.map((r) => eventOf(sku, r)), oldestKept };
  }

  /**
   * Runs `write` and the bookkeeping of every change in one transaction: the version goes up, the levels are
   * due for a send within the sync delay (an earlier due time stays, so a burst is one message), and the alarm
   * is re-armed.
   */
  mutate(write: (now: number) => unknown, now = Date.now()): InventoryLevels {
    const syncBy = now + this.syncDelayMs;
    this.storage.transactionSync(() => {
      write(now);
      this.sql.exec(
        `update stock set version = version + 1, updated_at = ?, sync_due_at = min(coalesce(sync_due_at, ?), ?),
         pending_since = coalesce(pending_since, ?)`,
        now,
        syncBy,
        syncBy,
        now,
      );
    });
    this.arm();
    return this.levelsOf(this.current()!);
  }

  /**
   * One alarm for everything due: the next hold expiry, a pending send of the levels or copy of events, and
   * sync_due_at also when `retryDue` (a send the levels do not show, e.g. a failed inventory.low: low-stock.ts).
   */
  arm(retryDue = false) {
    const next = this.sql
      .exec<{ at: number | null }>(
        `select min(at) as at from (
           select min(expires_at) as at from holds where status = 'active'
           union all select coalesce(sync_due_at, 0) from stock
             where version > synced_version or events_copied_seq < (select max(seq) from events) or ?)`,
        retryDue ? 1 : 0,
      )
      .one().at;
    if (next === null) void this.storage.deleteAlarm();
    else void this.storage.setAlarm(next);
  }
}

export function eventOf(sku: string, r: EventRow): InventoryEvent {
  return {
    sku,
    seq: r.seq,
    kind: r.kind,
    delta: r.delta,
    actor: { type: r.actor_type, id: r.actor_id },
    reason: r.reason,
    levels: { onHand: r.on_hand, held: r.held, sold: r.sold, available: r.on_hand - r.held - r.sold },
    at: r.at,
  };
}
