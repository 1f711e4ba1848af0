// InventoryDO: one SKU's stock (addressed by `idFromName(sku)`), in the object's SQLite storage. Checkouts hold
// units, payments turn holds into sales, merchants set the on-hand count. At every moment
// `available + held + sold = onHand` with none below zero: each method is one synchronous check-and-write (no
// other I/O in between), the totals live in one state row next to the holds table and change in the same
// transaction as the holds, and a CHECK constraint refuses any write that would break the invariant.
// One alarm serves two jobs: it releases holds whose own expiry (the order's expiry + HOLD_GRACE_SECONDS, a
// backstop for an order expiry that never ran) has passed, and it copies the levels to the `orders` Queue
// (for Postgres) at most INVENTORY_SYNC_DELAY_MS after a change, so a burst of changes travels as one message.
import { DurableObject } from 'cloudflare:workers';
import type { InventoryLevels, OrdersQueueMessage } from '../lib/contracts/queue';
import { withTimeout } from '../lib/resilience';

/** Upper bound for on-hand counts and caps; a larger figure is a typo, not stock. */
export const MAX_ON_HAND = 10_000_000;
/** How long a released hold is kept before the alarm deletes it. */
const RELEASED_HOLD_RETENTION_MS = 7 * 86_400_000;
/** Upper bound for one hold. */
export const MAX_HOLD_QUANTITY = 1000;

export interface ReserveRequest {
  /** Chosen by the caller (one per order line); repeating a reserve with the same id is safe. */
  holdId: string;
  quantity: number;
  /** Who the units are for (customer id), for the per-customer cap. */
  owner: string;
  /** ms since epoch: the order's expiry. This object releases the hold HOLD_GRACE_SECONDS later. */
  expiresAt: number;
}

export interface Hold {
  holdId: string;
  quantity: number;
  status: 'active' | 'sold';
  /** ms since epoch when this object releases the hold by itself (the order's expiry + the grace). */
  expiresAt: number;
}

export type LevelsState = InventoryLevels & { initialized: boolean };

export type ReserveResult =
  | { ok: true; hold: Hold; levels: InventoryLevels }
  | { ok: false; reason: 'UNINITIALIZED' }
  | { ok: false; reason: 'INSUFFICIENT'; available: number; levels: InventoryLevels }
  | { ok: false; reason: 'CUSTOMER_LIMIT'; limit: number; alreadyHas: number; levels: InventoryLevels }
  | { ok: false; reason: 'HOLD_MISMATCH' };

export type CommitResult =
  | { ok: true; levels: InventoryLevels }
  | { ok: false; reason: 'UNKNOWN_HOLD' }
  | { ok: false; reason: 'INSUFFICIENT'; available: number; levels: InventoryLevels };

export type ReleaseResult =
  | { ok: true; released: boolean; levels: InventoryLevels }
  | { ok: false; reason: 'ALREADY_SOLD' };

export type StockResult =
  | { ok: true; levels: InventoryLevels }
  | { ok: false; reason: 'BELOW_COMMITTED'; held: number; sold: number; minimum: number }
  | { ok: false; reason: 'INVALID' };

export type CapResult = { ok: true; levels: InventoryLevels } | { ok: false; reason: 'INVALID' };

interface StockRow extends Record<string, SqlStorageValue> {
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
}

interface HoldRow extends Record<string, SqlStorageValue> {
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
    check (held >= 0 and sold >= 0 and on_hand >= held + sold));
  create table if not exists holds (
    hold_id text primary key, owner text not null, quantity integer not null check (quantity > 0),
    status text not null check (status in ('active', 'sold', 'released')), expires_at integer not null,
    release_reason text, created_at integer not null, updated_at integer not null);
  create index if not exists holds_active_by_expiry on holds (expires_at) where status = 'active';
  create index if not exists holds_by_owner on holds (owner, status);
`;

const wholeEnv = (value: string | undefined, name: string): number => {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new Error(`InventoryDO: ${name} must be a whole number >= 0, got ${JSON.stringify(value)}`);
  }
  return n;
};
const isCount = (n: unknown, max: number): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;
const text = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > 200)
    throw new TypeError(`InventoryDO: ${what} must be a string of 1..200 characters`);
  return v;
};

export class InventoryDO extends DurableObject<CheckoutEnv> {
  private readonly sql: SqlStorage;
  private readonly graceMs: number;
  private readonly syncDelayMs: number;

  constructor(ctx: DurableObjectState, env: CheckoutEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.graceMs = wholeEnv(env.HOLD_GRACE_SECONDS, 'HOLD_GRACE_SECONDS') * 1000;
    this.syncDelayMs = wholeEnv(env.INVENTORY_SYNC_DELAY_MS, 'INVENTORY_SYNC_DELAY_MS');
    void ctx.blockConcurrencyWhile(async () => void this.sql.exec(SCHEMA));
  }

  /** Live figures; `initialized` is false until the first stock arrived (initialize, setOnHand or adjust). */
  levels(sku: string): LevelsState {
    const s = this.stock(sku);
    return { ...this.levelsOf(s), initialized: s.initialized === 1 };
  }

  /** First stock, from Postgres' seeded copy. Only the first call sets it; later calls return the levels. */
  initialize(sku: string, onHand: number): InventoryLevels {
    if (!isCount(onHand, MAX_ON_HAND))
      throw new RangeError(`InventoryDO: initialize(${JSON.stringify(onHand)}): not a stock count`);
    const s = this.stock(sku);
    if (s.initialized) return this.levelsOf(s);
    return this.mutate(() => this.sql.exec('update stock set on_hand = ?, initialized = 1', onHand));
  }

  /**
   * Holds `quantity` units for `owner` until `expiresAt` + the grace. Idempotent per holdId: an active or sold
   * hold with the same quantity and owner is answered again unchanged; a released one is held again if stock
   * (and the cap) allow. The cap is checked before the stock.
   */
  reserve(sku: string, req: ReserveRequest): ReserveResult {
    const holdId = text(req?.holdId, 'holdId');
    const owner = text(req.owner, 'owner');
    const { quantity, expiresAt } = req;
    if (!isCount(quantity, MAX_HOLD_QUANTITY) || quantity === 0)
      throw new RangeError(`InventoryDO: hold quantity ${quantity} not in 1..${MAX_HOLD_QUANTITY}`);
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))
      throw new TypeError('InventoryDO: expiresAt must be ms since epoch');
    const s = this.stock(sku);
    if (!s.initialized) return { ok: false, reason: 'UNINITIALIZED' };
    const hold = this.hold(holdId);
    if (hold && (hold.quantity !== quantity || hold.owner !== owner)) return { ok: false, reason: 'HOLD_MISMATCH' };
    if (hold && hold.status !== 'released') {
      return {
        ok: true,
        hold: { holdId, quantity, status: hold.status, expiresAt: hold.expires_at },
        levels: this.levelsOf(s),
      };
    }
    if (s.max_per_customer !== null) {
      const alreadyHas = this.sql
        .exec<{ q: number }>(
          "select coalesce(sum(quantity), 0) as q from holds where owner = ? and status in ('active', 'sold')",
          owner,
        )
        .one().q;
      if (alreadyHas + quantity > s.max_per_customer) {
        return { ok: false, reason: 'CUSTOMER_LIMIT', limit: s.max_per_customer, alreadyHas, levels: this.levelsOf(s) };
      }
    }
    const available = s.on_hand - s.held - s.sold;
    if (quantity > available) return { ok: false, reason: 'INSUFFICIENT', available, levels: this.levelsOf(s) };

    const now = Date.now();
    const ownExpiry = expiresAt + this.graceMs;
    const levels = this.mutate(() => {
      this.sql.exec(
        `insert into holds (hold_id, owner, quantity, status, expires_at, created_at, updated_at) values (?, ?, ?, 'active', ?, ?, ?)
         on conflict (hold_id) do update set status = 'active', expires_at = excluded.expires_at, release_reason = null, updated_at = excluded.updated_at`,
        holdId,
        owner,
        quantity,
        ownExpiry,
        now,
        now,
      );
      this.sql.exec('update stock set held = held + ?', quantity);
    }, now);
    return { ok: true, hold: { holdId, quantity, status: 'active', expiresAt: ownExpiry }, levels };
  }

  /**
   * Payment arrived: the hold becomes a sale (a sold hold stays sold). A hold already released (expired) takes
   * its units from what is available again, or nothing changes and the answer is INSUFFICIENT. The per-customer
   * cap is not checked again: the units were granted within it.
   */
  commit(sku: string, holdId: string): CommitResult {
    const s = this.stock(sku);
    const hold = this.hold(text(holdId, 'holdId'));
    if (!hold) return { ok: false, reason: 'UNKNOWN_HOLD' };
    if (hold.status === 'sold') return { ok: true, levels: this.levelsOf(s) };
    const available = s.on_hand - s.held - s.sold;
    if (hold.status === 'released' && hold.quantity > available)
      return { ok: false, reason: 'INSUFFICIENT', available, levels: this.levelsOf(s) };
    const levels = this.mutate((now) => {
      this.sql.exec(
        "update holds set status = 'sold', release_reason = null, updated_at = ? where hold_id = ?",
        now,
        hold.hold_id,
      );
      const fromHeld = hold.status === 'active' ? hold.quantity : 0;
      this.sql.exec('update stock set held = held - ?, sold = sold + ?', fromHeld, hold.quantity);
    });
    return { ok: true, levels };
  }

  /** Gives an active hold's units back. Unknown or already released: ok, `released: false`. */
  release(sku: string, holdId: string, reason: string): ReleaseResult {
    const s = this.stock(sku);
    const hold = this.hold(text(holdId, 'holdId'));
    if (!hold || hold.status === 'released') return { ok: true, released: false, levels: this.levelsOf(s) };
    if (hold.status === 'sold') return { ok: false, reason: 'ALREADY_SOLD' };
    const levels = this.mutate((now) => {
      this.sql.exec(
        "update holds set status = 'released', release_reason = ?, updated_at = ? where hold_id = ?",
        String(reason),
        now,
        hold.hold_id,
      );
      this.sql.exec('update stock set held = held - ?', hold.quantity);
    });
    return { ok: true, released: true, levels };
  }

  /** Merchant: the counted stock. Never below what is held and sold. Initializes the object. */
  setOnHand(sku: string, onHand: number): StockResult {
    if (!isCount(onHand, MAX_ON_HAND)) return { ok: false, reason: 'INVALID' };
    return this.putOnHand(this.stock(sku), onHand);
  }

  /** Merchant: stock received (+) or written off (-). Never below what is held and sold. Initializes the object. */
  adjust(sku: string, delta: number): StockResult {
    if (typeof delta !== 'number' || !Number.isInteger(delta) || Math.abs(delta) > MAX_ON_HAND)
      return { ok: false, reason: 'INVALID' };
    const s = this.stock(sku);
    if (s.on_hand + delta > MAX_ON_HAND) return { ok: false, reason: 'INVALID' };
    return this.putOnHand(s, s.on_hand + delta);
  }

  /** Merchant: at most `max` units of this SKU per customer (active + sold holds); null lifts the cap. */
  setMaxPerCustomer(sku: string, max: number | null): CapResult {
    if (max !== null && (!isCount(max, MAX_ON_HAND) || max === 0)) return { ok: false, reason: 'INVALID' };
    const s = this.stock(sku);
    if (s.max_per_customer === max) return { ok: true, levels: this.levelsOf(s) };
    return { ok: true, levels: this.mutate(() => this.sql.exec('update stock set max_per_customer = ?', max)) };
  }

  /**
   * Releases the holds whose own expiry has passed (an early alarm releases nothing), then sends the levels to
   * the queue if they changed since the last send. A failed send is retried later by the alarm; the queue's
   * consumer keeps the highest version, so a duplicate or a late older message is harmless.
   */
  override async alarm(): Promise<void> {
    if (!this.current()) return;
    const now = Date.now();
    const due = this.sql
      .exec<{ q: number; n: number }>(
        "select coalesce(sum(quantity), 0) as q, count(*) as n from holds where status = 'active' and expires_at <= ?",
        now,
      )
      .one();
    if (due.n > 0) {
      this.mutate(() => {
        this.sql.exec(
          "update holds set status = 'released', release_reason = 'expired', updated_at = ? where status = 'active' and expires_at <= ?",
          now,
          now,
        );
        this.sql.exec('update stock set held = held - ?', due.q);
      }, now);
    }
    // Released holds are only kept for a while (a late commit re-takes stock without them); sold ones stay for the
    // per-customer cap.
    this.sql.exec("delete from holds where status = 'released' and updated_at < ?", now - RELEASED_HOLD_RETENTION_MS);
    const s = this.current()!;
    if (s.version > s.synced_version) {
      const levels = this.levelsOf(s);
      // If this send never finishes (crash, eviction), the alarm comes back for it after the usual delay.
      this.sql.exec('update stock set sync_due_at = ?', now + this.syncDelayMs);
      this.arm();
      try {
        await withTimeout(
          this.env.ORDERS_QUEUE.send({ type: 'inventory.levels', levels } satisfies OrdersQueueMessage),
          5000,
          'levels send',
        );
        this.sql.exec(
          'update stock set synced_version = max(synced_version, ?), sync_failures = 0, sync_due_at = case when version > ? then sync_due_at end',
          levels.version,
          levels.version,
        );
      } catch (err) {
        const retryIn = Math.min(60_000, Math.max(1000, this.syncDelayMs) * 2 ** Math.min(s.sync_failures, 6));
        this.sql.exec('update stock set sync_failures = sync_failures + 1, sync_due_at = ?', Date.now() + retryIn);
        console.warn(`InventoryDO ${s.sku}: levels v${levels.version} not sent, retry in ${retryIn} ms:`, err);
      }
    }
    this.arm();
  }

  // -------------------------------------------------------------------------------------------------------

  private current(): StockRow | undefined {
    return this.sql.exec<StockRow>('select * from stock where id = 1').toArray()[0];
  }

  /** The state row, created on first use for `sku`; a call for another SKU is a routing bug. */
  private stock(sku: string): StockRow {
    text(sku, 'sku');
    const row = this.current();
    if (row && row.sku !== sku)
      throw new Error(`InventoryDO for ${JSON.stringify(row.sku)} was called for ${JSON.stringify(sku)}`);
    if (row) return row;
    this.sql.exec('insert into stock (id, sku) values (1, ?)', sku);
    return this.current()!;
  }

  private hold(holdId: string): HoldRow | undefined {
    return this.sql
      .exec<HoldRow>('select hold_id, owner, quantity, status, expires_at from holds where hold_id = ?', holdId)
      .toArray()[0];
  }

  private levelsOf(s: StockRow): InventoryLevels {
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

  private putOnHand(s: StockRow, onHand: number): StockResult {
    const minimum = s.held + s.sold;
    if (onHand < minimum) return { ok: false, reason: 'BELOW_COMMITTED', held: s.held, sold: s.sold, minimum };
    if (s.initialized && s.on_hand === onHand) return { ok: true, levels: this.levelsOf(s) };
    return {
      ok: true,
      levels: this.mutate(() => this.sql.exec('update stock set on_hand = ?, initialized = 1', onHand)),
    };
  }

  /**
   * Runs `write` and the bookkeeping of every change in one transaction: the version goes up, the levels are
   * due for a send within the sync delay (an earlier due time stays, so a burst is one message), and the alarm
   * is re-armed.
   */
  private mutate(write: (now: number) => unknown, now = Date.now()): InventoryLevels {
    const syncBy = now + this.syncDelayMs;
    this.ctx.storage.transactionSync(() => {
      write(now);
      this.sql.exec(
        'update stock set version = version + 1, updated_at = ?, sync_due_at = min(coalesce(sync_due_at, ?), ?)',
        now,
        syncBy,
        syncBy,
      );
    });
    this.arm();
    return this.levelsOf(this.current()!);
  }

  /** One alarm for everything due: the next hold expiry and a pending send of the levels. */
  private arm() {
    const next = this.sql
      .exec<{ at: number | null }>(
        `select min(at) as at from (
           select min(expires_at) as at from holds where status = 'active'
           union all select coalesce(sync_due_at, 0) from stock where version > synced_version)`,
      )
      .one().at;
    if (next === null) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(next);
  }
}
