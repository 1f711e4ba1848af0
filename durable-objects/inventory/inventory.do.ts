// InventoryDO: one SKU's stock (addressed by `idFromName(sku)`), in the object's SQLite storage. Checkouts hold
// units, payments turn holds into sales, merchants set the on-hand count. At every moment
// `available + held + sold = onHand` with none below zero: each method is one synchronous check-and-write (no
// other I/O in between), the totals live in one state row next to the holds table and change in the same
// transaction as the holds, and a CHECK constraint refuses any write that would break the invariant.
// Every change also writes its event to the stock ledger (the `events` table) in the same transaction: who, why,
// how much and the levels it left; a refusal writes nothing.
// One alarm serves three jobs: it releases holds whose own expiry (the order's expiry + HOLD_GRACE_SECONDS, a
// backstop for an order expiry that never ran) has passed, it copies the levels to the `orders` Queue (for
// Postgres) at most INVENTORY_SYNC_DELAY_MS after a change, so a burst of changes travels as one message, and it
// copies the ledger's new events to Postgres on the same schedule (copies.ts).
// Beside it: its storage and bookkeeping (stock.store.ts), its answers (types.ts), its client (inventory.client.ts),
// the ledger's checks (ledger.ts) and the copies (copies.ts). Longer than 300 lines on purpose: every method is one
// check-and-write against the same state row, and they read best side by side.
import { DurableObject } from 'cloudflare:workers';
import type {
  InventoryActor,
  InventoryEventsAnswer,
  InventoryEventsFilter,
  StockChange,
} from '../../lib/contracts/inventory';
import type { InventoryLevels } from '../../lib/contracts/queue';
import { log } from '../../lib/log';
import { acceptTraces } from '../../lib/trace';
import { inventoryConfig } from './config';
import { copyEvents, sendLevels } from './copies';
import { changeOf, checkedFilter, failureOf, order, SYSTEM } from './ledger';
import { reportCopies } from './levels-report';
import { LowStock } from './low-stock';
import type { CurrentStock, RebuildPlan } from './rebuild';
import { currentStock, exportOf, type InventoryExport, writeRebuild } from './rebuild.store';
import { isCount, type StockRow, StockStore, text } from './stock.store';
import {
  type CapResult,
  type CommitResult,
  type LevelsState,
  MAX_HOLD_QUANTITY,
  MAX_ON_HAND,
  type ReleaseResult,
  type ReserveRequest,
  type ReserveResult,
  type RestockResult,
  type StockResult,
} from './types';

/** How long a released hold is kept before the alarm deletes it. */
const RELEASED_HOLD_RETENTION_MS = 7 * 86_400_000;

export class InventoryDO extends DurableObject<CheckoutEnv> {
  private readonly store: StockStore;
  private readonly sql: SqlStorage;
  private readonly graceMs: number;
  private readonly syncDelayMs: number;
  private readonly unpaidSharePercent: number;
  private readonly unpaidMinUnits: number;
  private readonly eventsKept: number;
  private readonly corruptReason: string | undefined;
  private lowStock: LowStock | undefined;

  constructor(ctx: DurableObjectState, env: CheckoutEnv) {
    super(ctx, env);
    const config = inventoryConfig(env);
    this.graceMs = config.HOLD_GRACE_SECONDS * 1000;
    this.unpaidSharePercent = config.UNPAID_HOLD_SHARE_PER_ADDRESS_PERCENT;
    this.unpaidMinUnits = config.UNPAID_HOLD_MIN_UNITS_PER_ADDRESS;
    this.syncDelayMs = config.INVENTORY_SYNC_DELAY_MS;
    this.eventsKept = config.INVENTORY_EVENTS_KEPT;
    this.corruptReason = config.FAULT_CORRUPT_STOCK_REASON;
    this.store = new StockStore(ctx.storage, this.syncDelayMs);
    this.sql = this.store.sql;
    void ctx.blockConcurrencyWhile(async () => this.store.migrate());
  }

  /**
   * Live figures; `initialized` is false until the first stock arrived (initialize, setOnHand or adjust). A read:
   * it never creates the object's storage (the caller decides whether the SKU exists at all).
   */
  levels(sku: string): LevelsState {
    const s = this.store.peek(sku);
    if (!s) return { ...StockStore.emptyLevels(sku), initialized: false };
    return { ...this.store.levelsOf(s), initialized: s.initialized === 1 };
  }

  /** First stock, from Postgres' seeded copy. Only the first call sets it; later calls return the levels. */
  initialize(sku: string, onHand: number): InventoryLevels {
    if (!isCount(onHand, MAX_ON_HAND))
      throw new RangeError(`InventoryDO: initialize(${JSON.stringify(onHand)}): not a stock count`);
    const s = this.store.stock(sku);
    if (s.initialized) return this.store.levelsOf(s);
    return this.store.mutate((now) => {
      this.sql.exec('update stock set on_hand = ?, initialized = 1', onHand);
      this.store.record('initialize', onHand - s.on_hand, SYSTEM, 'first stock from the catalog', now);
    });
  }

  /**
   * Holds `quantity` units for `owner` until `expiresAt` + the grace. Idempotent per holdId: an active or sold
   * hold with the same quantity and owner is answered again unchanged; a released one is held again if stock
   * (and the cap) allow. The per-customer cap is checked before the stock, the unpaid-per-address cap after it;
   * last, a capped SKU asked with `cardPending` answers NEEDS_CARD, holding nothing.
   */
  reserve(sku: string, req: ReserveRequest): ReserveResult {
    const holdId = text(req?.holdId, 'holdId');
    const owner = text(req.owner, 'owner');
    const { quantity, expiresAt } = req;
    if (!isCount(quantity, MAX_HOLD_QUANTITY) || quantity === 0)
      throw new RangeError(`InventoryDO: hold quantity ${quantity} not in 1..${MAX_HOLD_QUANTITY}`);
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))
      throw new TypeError('InventoryDO: expiresAt must be ms since epoch');
    const s = this.store.peek(sku);
    if (!s?.initialized) return { ok: false, reason: 'UNINITIALIZED' };
    const hold = this.store.hold(holdId);
    if (hold && (hold.quantity !== quantity || hold.owner !== owner)) return { ok: false, reason: 'HOLD_MISMATCH' };
    if (hold && hold.status !== 'released') {
      return {
        ok: true,
        hold: { holdId, quantity, status: hold.status, expiresAt: hold.expires_at },
        levels: this.store.levelsOf(s),
      };
    }
    const keys = (req.keys ?? []).map((k) => text(k, 'key'));
    if (s.max_per_customer !== null) {
      // The subject and every other key of the shopper: the largest count is the one the cap sees.
      const alreadyHas = Math.max(
        this.sql
          .exec<{ q: number }>(
            "select coalesce(sum(quantity), 0) as q from holds where owner = ? and status in ('active', 'sold')",
            owner,
          )
          .one().q,
        ...keys.map((k) => this.heldUnder(k, ['active', 'sold'])),
      );
      if (alreadyHas + quantity > s.max_per_customer) {
        const limit = s.max_per_customer;
        return {
          ok: false,
          reason: 'CUSTOMER_LIMIT',
          limit,
          alreadyHas,
          scope: 'customer',
          levels: this.store.levelsOf(s),
        };
      }
    }
    const available = s.on_hand - s.held - s.sold;
    if (quantity > available) return { ok: false, reason: 'INSUFFICIENT', available, levels: this.store.levelsOf(s) };
    // After the stock: a shopper who could not have had the units anyway hears OUT_OF_STOCK.
    const address = keys.find((k) => k.startsWith('addr:'));
    if (address) {
      const limit = Math.max(this.unpaidMinUnits, Math.floor((s.on_hand * this.unpaidSharePercent) / 100));
      const alreadyHas = this.heldUnder(address, ['active']);
      if (alreadyHas + quantity > limit) {
        const levels = this.store.levelsOf(s);
        return { ok: false, reason: 'CUSTOMER_LIMIT', limit, alreadyHas, scope: 'unpaid_per_address', levels };
      }
    }
    // Granted but for the card: the caller looks it up and asks again with its key (checked from the start).
    if (s.max_per_customer !== null && req.cardPending === true)
      return { ok: false, reason: 'NEEDS_CARD', levels: this.store.levelsOf(s) };

    const now = Date.now();
    const ownExpiry = expiresAt + this.graceMs;
    const levels = this.store.mutate(() => {
      this.sql.exec(
        `insert into holds (hold_id, owner, quantity, status, expires_at, created_at, updated_at)
         values (?, ?, ?, 'active', ?, ?, ?)
         on conflict (hold_id) do update set status = 'active', expires_at = excluded.expires_at,
           release_reason = null, updated_at = excluded.updated_at`,
        holdId,
        owner,
        quantity,
        ownExpiry,
        now,
        now,
      );
      for (const key of keys)
        this.sql.exec('insert into hold_keys (hold_id, key) values (?, ?) on conflict do nothing', holdId, key);
      this.sql.exec('update stock set held = held + ?', quantity);
      this.store.record('hold', quantity, order(holdId), null, now);
    }, now);
    return { ok: true, hold: { holdId, quantity, status: 'active', expiresAt: ownExpiry }, levels };
  }

  /**
   * Payment arrived: the hold becomes a sale (a sold hold stays sold). A hold already released (expired) takes
   * its units from what is available again, or nothing changes and the answer is INSUFFICIENT. The per-customer
   * cap is not checked again: the units were granted within it.
   */
  commit(sku: string, holdId: string): CommitResult {
    const s = this.store.peek(sku);
    const hold = s && this.store.hold(text(holdId, 'holdId'));
    if (!s || !hold) return { ok: false, reason: 'UNKNOWN_HOLD' };
    if (hold.status === 'sold') return { ok: true, levels: this.store.levelsOf(s) };
    const available = s.on_hand - s.held - s.sold;
    if (hold.status === 'released' && hold.quantity > available)
      return { ok: false, reason: 'INSUFFICIENT', available, levels: this.store.levelsOf(s) };
    const levels = this.store.mutate((now) => {
      this.sql.exec(
        "update holds set status = 'sold', release_reason = null, updated_at = ? where hold_id = ?",
        now,
        hold.hold_id,
      );
      const fromHeld = hold.status === 'active' ? hold.quantity : 0;
      this.sql.exec('update stock set held = held - ?, sold = sold + ?', fromHeld, hold.quantity);
      this.store.record('sale', hold.quantity, order(hold.hold_id), fromHeld ? null : 'the hold had expired', now);
    });
    return { ok: true, levels };
  }

  /** Gives an active hold's units back. Unknown or already released: ok, `released: false`. */
  release(sku: string, holdId: string, reason: string): ReleaseResult {
    const s = this.store.peek(sku);
    if (!s) return { ok: true, released: false, levels: StockStore.emptyLevels(sku) };
    const hold = this.store.hold(text(holdId, 'holdId'));
    if (!hold || hold.status === 'released') return { ok: true, released: false, levels: this.store.levelsOf(s) };
    if (hold.status === 'sold') return { ok: false, reason: 'ALREADY_SOLD' };
    const levels = this.store.mutate((now) => {
      this.sql.exec(
        "update holds set status = 'released', release_reason = ?, updated_at = ? where hold_id = ?",
        String(reason),
        now,
        hold.hold_id,
      );
      this.sql.exec('update stock set held = held - ?', hold.quantity);
      this.store.record('release', -hold.quantity, order(hold.hold_id), String(reason), now);
    });
    return { ok: true, released: true, levels };
  }

  /**
   * Merchant refund: `quantity` units the order (holdId) bought come back on hand: sold goes down, so available
   * goes up. Once per restockId (a repeat answers `restocked: false`), and never more units than the hold sold.
   */
  restock(sku: string, restockId: string, holdId: string, quantity: number): RestockResult {
    const id = text(restockId, 'restockId');
    if (!isCount(quantity, MAX_HOLD_QUANTITY) || quantity === 0)
      throw new RangeError(`InventoryDO: restock quantity ${quantity} not in 1..${MAX_HOLD_QUANTITY}`);
    const s = this.store.peek(sku);
    const hold = s && this.store.hold(text(holdId, 'holdId'));
    if (!s || !hold || hold.status !== 'sold') return { ok: false, reason: 'NOT_SOLD' };
    const done = this.sql.exec('select 1 from restocks where restock_id = ?', id).toArray();
    if (done.length > 0) return { ok: true, restocked: false, levels: this.store.levelsOf(s) };
    const before = this.sql
      .exec<{ q: number }>('select coalesce(sum(quantity), 0) as q from restocks where hold_id = ?', hold.hold_id)
      .one().q;
    if (before + quantity > hold.quantity) return { ok: false, reason: 'OVER_RESTOCK', left: hold.quantity - before };
    const levels = this.store.mutate((now) => {
      this.sql.exec(
        'insert into restocks (restock_id, hold_id, quantity, created_at) values (?, ?, ?, ?)',
        id,
        hold.hold_id,
        quantity,
        now,
      );
      this.sql.exec('update stock set sold = sold - ?', quantity);
      this.store.record('restock', -quantity, order(hold.hold_id), `refund ${id}`, now);
    });
    return { ok: true, restocked: true, levels };
  }

  /**
   * Merchant: the counted stock. Never below what is held and sold. Initializes the object. `change`: who and why,
   * for the ledger (a count equal to the current one changes nothing and records nothing).
   */
  setOnHand(sku: string, onHand: number, change?: StockChange): StockResult {
    const who = changeOf(change);
    if (!isCount(onHand, MAX_ON_HAND)) return { ok: false, reason: 'INVALID' };
    return this.putOnHand(this.store.stock(sku), onHand, 'set', who);
  }

  /** Merchant: stock received (+) or written off (-). Never below what is held and sold. Initializes the object. */
  adjust(sku: string, delta: number, change?: StockChange): StockResult {
    const who = changeOf(change);
    if (typeof delta !== 'number' || !Number.isInteger(delta) || Math.abs(delta) > MAX_ON_HAND)
      return { ok: false, reason: 'INVALID' };
    const s = this.store.stock(sku);
    if (this.corruptReason !== undefined && who.reason === this.corruptReason) return this.corrupt(s, delta);
    if (s.on_hand + delta > MAX_ON_HAND) return { ok: false, reason: 'INVALID' };
    return this.putOnHand(s, s.on_hand + delta, 'adjust', who);
  }

  /**
   * Ops: what the object holds now (levels, holds, newest seq), for a rebuild's dry run (rebuild.client.ts). A read.
   */
  rebuildState(sku: string): CurrentStock {
    return currentStock(this.store, sku);
  }

  /**
   * Ops: replaces the levels, holds and restocks with a plan made from Postgres (rebuild.ts), recording a
   * `rebuild` event. Refused (STALE) when the object changed since the plan's dry run saw version `expectVersion`,
   * and (INVALID) when the plan itself breaks the invariant (the CHECK would refuse it anyway).
   */
  rebuild(
    sku: string,
    plan: RebuildPlan,
    expectVersion: number,
    change: StockChange,
  ):
    | { ok: true; levels: InventoryLevels }
    | { ok: false; reason: 'STALE'; version: number }
    | { ok: false; reason: 'INVALID' } {
    const who = changeOf(change);
    if (plan?.sku !== sku) throw new TypeError('InventoryDO: rebuild(): the plan is for another SKU');
    if (
      ![plan.onHand, plan.held, plan.sold].every((n) => isCount(n, MAX_ON_HAND)) ||
      plan.held + plan.sold > plan.onHand
    )
      return { ok: false, reason: 'INVALID' };
    const version = this.store.peek(sku)?.version ?? 0;
    if (version !== expectVersion) return { ok: false, reason: 'STALE', version };
    const levels = writeRebuild(this.store, plan, who.actor, who.reason ?? 'rebuilt from Postgres', Date.now());
    log.warn('inventory rebuilt from Postgres', { sku, by: who.actor.id, levels });
    return { ok: true, levels };
  }

  /** Ops: the object's state for an export to R2 (levels, active holds, the ledger it keeps); null: no storage. */
  exportState(sku: string): InventoryExport | null {
    return exportOf(this.store, sku);
  }

  /**
   * The FAULT_CORRUPT_STOCK_REASON test fault: `sold` moves by `delta` behind the ledger's back (no hold, no event,
   * no version), within the CHECK. Never configured in production.
   */
  private corrupt(s: StockRow, delta: number): StockResult {
    const sold = Math.min(Math.max(s.sold + delta, 0), s.on_hand - s.held);
    this.sql.exec('update stock set sold = ?', sold);
    log.warn('test fault: stock corrupted on purpose', { sku: s.sku, sold });
    return { ok: true, levels: this.store.levelsOf(this.store.current()!) };
  }

  /** Merchant: at most `max` units of this SKU per customer (active + sold holds); null lifts the cap. */
  setMaxPerCustomer(sku: string, max: number | null, change?: StockChange): CapResult {
    const who = changeOf(change);
    if (max !== null && (!isCount(max, MAX_ON_HAND) || max === 0)) return { ok: false, reason: 'INVALID' };
    const s = this.store.stock(sku);
    if (s.max_per_customer === max) return { ok: true, levels: this.store.levelsOf(s) };
    // The levels do not show the cap: the event's reason names it.
    const reason = [`maxPerCustomer ${max ?? 'none'}`, who.reason].filter(Boolean).join(': ');
    const levels = this.store.mutate((now) => {
      this.sql.exec('update stock set max_per_customer = ?', max);
      this.store.record('cap', 0, who.actor, reason, now);
    });
    return { ok: true, levels };
  }

  /**
   * The ledger's newest events matching `filter` that this object keeps (the last INVENTORY_EVENTS_KEPT copied
   * ones and every one not yet copied), newest first; older ones are in Postgres (ledger.client.ts reads both).
   */
  events(sku: string, filter: InventoryEventsFilter): InventoryEventsAnswer {
    const f = checkedFilter(filter);
    if (!this.store.peek(sku)) return { hasStorage: false, events: [], oldestKept: null };
    return { hasStorage: true, ...this.store.events(sku, f) };
  }

  /**
   * Releases the holds whose own expiry has passed (an early alarm releases nothing), then sends the levels to
   * the queue if they changed since the last send, and copies new ledger events to Postgres. A failed send or copy
   * is retried later by the alarm (with backoff); the queue's consumer keeps the highest version, and the copy is
   * keyed by (sku, seq), so a duplicate or a late older message is harmless.
   */
  override async alarm(): Promise<void> {
    if (!this.store.current()) return;
    const now = Date.now();
    this.expireDue(now);
    // Released holds are only kept for a while (a late commit re-takes stock without them); sold ones stay for the
    // per-customer cap.
    this.sql.exec("delete from holds where status = 'released' and updated_at < ?", now - RELEASED_HOLD_RETENTION_MS);
    this.sql.exec('delete from hold_keys where hold_id not in (select hold_id from holds)');
    const s = this.store.current()!;
    const levelsDue = s.version > s.synced_version;
    const eventsDue = s.events_copied_seq < this.store.lastSeq();
    this.lowStock ??= new LowStock(this.sql, inventoryConfig(this.env).INVENTORY_LOW_THRESHOLD);
    const levels = this.store.levelsOf(s);
    const lowDue = s.initialized === 1 && this.lowStock.due(levels);
    let lowFailed = false;
    if (levelsDue || eventsDue || lowDue) {
      // If this send never finishes (crash, eviction), the alarm comes back for it after the usual delay.
      this.sql.exec('update stock set sync_due_at = ?', now + this.syncDelayMs);
      this.store.arm();
      const [levelsError, eventsError, lowError] = await Promise.all([
        levelsDue ? failureOf(sendLevels(this.store, this.env.ORDERS_QUEUE, levels)) : null,
        eventsDue ? failureOf(copyEvents(this.store, this.env, s.sku, this.eventsKept)) : null,
        lowDue ? failureOf(this.lowStock.check(levels, this.env.NOTIFICATIONS)) : null,
      ]);
      lowFailed = lowError !== null;
      if (levelsError === null && eventsError === null && lowError === null) {
        // What changed while the copies were on their way waits since then (or since its oldest uncopied event).
        this.sql.exec(
          `update stock set sync_failures = 0, sync_due_at = case
             when version > synced_version or events_copied_seq < (select max(seq) from events) then sync_due_at end,
           pending_since = case
             when version > synced_version or events_copied_seq < (select max(seq) from events)
             then min(coalesce((select min(at) from events where seq > stock.events_copied_seq), ?), ?) end`,
          now,
          now,
        );
      } else {
        const retryIn = Math.min(60_000, Math.max(1000, this.syncDelayMs) * 2 ** Math.min(s.sync_failures, 6));
        this.sql.exec('update stock set sync_failures = sync_failures + 1, sync_due_at = ?', Date.now() + retryIn);
        log.warn('stock levels or ledger events not copied; retrying later', {
          sku: s.sku,
          version: s.version,
          retryInMs: retryIn,
          levelsError: levelsError === null ? undefined : String(levelsError),
          eventsError: eventsError === null ? undefined : String(eventsError),
          lowStockError: lowError === null ? undefined : String(lowError),
        });
      }
    }
    // A failed inventory.low send leaves nothing behind that arm() otherwise sees: keep its retry armed.
    this.store.arm(lowFailed);
    reportCopies(this.store, this.env, this.ctx, s.sku);
  }

  /** Releases the holds past their own expiry, with their `expire` events. */
  private expireDue(now: number) {
    const due = this.sql
      .exec<{ q: number; n: number }>(
        "select coalesce(sum(quantity), 0) as q, count(*) as n from holds where status = 'active' and expires_at <= ?",
        now,
      )
      .one();
    if (due.n > 0) this.store.mutate(() => this.store.expireHolds(now, due.q), now);
  }

  /** Units of this SKU held under a shopper key (an address or card hash), in the given hold states. */
  private heldUnder(key: string, statuses: ('active' | 'sold')[]): number {
    return this.sql
      .exec<{ q: number }>(
        `select coalesce(sum(h.quantity), 0) as q from hold_keys k join holds h on h.hold_id = k.hold_id
         where k.key = ? and h.status in (${statuses.map(() => '?').join(', ')})`,
        key,
        ...statuses,
      )
      .one().q;
  }

  private putOnHand(
    s: StockRow,
    onHand: number,
    kind: 'set' | 'adjust',
    who: { actor: InventoryActor; reason: string | null },
  ): StockResult {
    const minimum = s.held + s.sold;
    if (onHand < minimum) return { ok: false, reason: 'BELOW_COMMITTED', held: s.held, sold: s.sold, minimum };
    if (s.initialized && s.on_hand === onHand) return { ok: true, levels: this.store.levelsOf(s) };
    const levels = this.store.mutate((now) => {
      this.sql.exec('update stock set on_hand = ?, initialized = 1', onHand);
      this.store.record(kind, onHand - s.on_hand, who.actor, who.reason, now);
    });
    return { ok: true, levels };
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
acceptTraces(InventoryDO);
