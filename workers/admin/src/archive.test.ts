// Archival's protocol (archive.ts) against a model of its Postgres side (the semantics of archive_batch_commit and
// the batch queries, migration 0016) and an in-memory bucket: a run interrupted at every step and run again loses no
// row and archives none twice; rows that change between the write and the delete stay hot; runs are bounded; the
// refund-window policy takes closed orders past the window and unchanged, and never an order that can still change.
// The SQL itself runs in the e2e test (test/e2e/archive.test.ts).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ArchiveCounts } from '../../../lib/admin/archive.schemas';
import { CLOSED_AFTER_WINDOW_STATUSES, ORDER_STATUSES } from '../../../lib/checkout/order';
import {
  type ArchiveBucket,
  type ArchiveDb,
  type ArchivePolicy,
  archivePolicy,
  type BatchRows,
  batchKey,
  gunzip,
  manifestKey,
  orderDue,
  type PendingBatch,
  parseNdjson,
  runArchival,
  sha256Hex,
} from './archive';
import type { ArchiveSettings } from './config';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-30T12:00:00Z');
const settings: ArchiveSettings = {
  ARCHIVE_AFTER_DAYS: 365,
  ARCHIVE_REFUND_WINDOW_DAYS: 180,
  ARCHIVE_BATCH_SIZE: 3,
  ARCHIVE_TIME_BUDGET_MS: 60_000,
};

interface Order {
  id: string;
  version: number;
  status: string;
  created_at: string;
  updated_at: string;
}
interface Child {
  order_id: string;
  n: number;
}
interface StockEvent {
  sku: string;
  seq: number;
  at: string;
}

class Crash extends Error {}

/** The hot tables and archival's two tables, with the SQL's semantics. */
class Model implements ArchiveDb {
  orders: Order[] = [];
  lines: Child[] = [];
  payments: Child[] = [];
  events: Child[] = [];
  stock: StockEvent[] = [];
  batches: (PendingBatch & { state: 'pending' | 'archived' })[] = [];
  filed = new Map<string, number>();
  nextId = 1;
  /** Throws a Crash at the named step, once. */
  crashAt: string | null = null;

  private step(name: string) {
    if (this.crashAt === name) {
      this.crashAt = null;
      throw new Crash(name);
    }
  }

  constructor(orders: number, stockEvents: number) {
    for (let i = 0; i < orders; i++) {
      const id = `ord_${String(i).padStart(12, '0')}`;
      const old = i % 4 !== 3; // every fourth is recent
      const created = new Date(NOW - (old ? 400 : 10) * DAY + i * 1000).toISOString();
      const status = i % 5 === 4 ? 'paid' : 'refunded';
      this.orders.push({ id, version: 3, status, created_at: created, updated_at: created });
      for (let n = 0; n < 1 + (i % 3); n++) this.lines.push({ order_id: id, n });
      this.payments.push({ order_id: id, n: 0 });
      for (let n = 0; n < 3; n++) this.events.push({ order_id: id, n });
    }
    for (let i = 0; i < stockEvents; i++)
      this.stock.push({
        sku: `SKU-${i % 3}`,
        seq: i + 1,
        at: new Date(NOW - (i % 2 ? 5 : 500) * DAY + i).toISOString(),
      });
  }

  async pending() {
    const b = this.batches.find((x) => x.state === 'pending');
    return b ? { id: b.id, cutoff: b.cutoff, orders: b.orders, stockEvents: b.stockEvents } : null;
  }

  async create(policy: ArchivePolicy, limit: number) {
    const cutoff = policy.cutoff;
    if (this.batches.some((b) => b.state === 'pending')) return 'busy' as const;
    const orders = this.orders
      .filter((o) => orderDue(o, policy))
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))
      .slice(0, limit)
      .map((o) => [o.id, o.version] as [string, number]);
    const stockEvents = this.stock
      .filter((e) => e.at < cutoff)
      .sort((a, b) => a.at.localeCompare(b.at) || a.sku.localeCompare(b.sku) || a.seq - b.seq)
      .slice(0, limit)
      .map((e) => [e.sku, e.seq] as [string, number]);
    if (!orders.length && !stockEvents.length) return null;
    const b = { id: this.nextId++, cutoff, orders, stockEvents, state: 'pending' as const };
    this.batches.push(b);
    this.step('after-create');
    return { id: b.id, cutoff, orders, stockEvents };
  }

  async rows(batch: PendingBatch): Promise<BatchRows> {
    const ids = new Set(batch.orders.map(([id]) => id));
    const listed = new Set(batch.orders.map(([id, v]) => `${id}@${v}`));
    const keys = new Set(batch.stockEvents.map(([s, q]) => `${s}#${q}`));
    const j = (x: object) => JSON.stringify(x);
    return {
      orders: this.orders.filter((o) => listed.has(`${o.id}@${o.version}`)).map(j),
      order_lines: this.lines.filter((l) => ids.has(l.order_id)).map(j),
      payments: this.payments.filter((l) => ids.has(l.order_id)).map(j),
      order_events: this.events
        .filter((l) => ids.has(l.order_id))
        .map((e) => j({ ...e, at: new Date(NOW).toISOString() })),
      inventory_events: this.stock.filter((e) => keys.has(`${e.sku}#${e.seq}`)).map(j),
    };
  }

  async commit(batchId: number, expected: ArchiveCounts) {
    this.step('before-commit');
    const b = this.batches.find((x) => x.id === batchId)!;
    if (b.state === 'archived') return 'already' as const;
    const ids = new Set(b.orders.map(([id]) => id));
    const listed = new Set(b.orders.map(([id, v]) => `${id}@${v}`));
    const keys = new Set(b.stockEvents.map(([s, q]) => `${s}#${q}`));
    const counts: ArchiveCounts = {
      orders: this.orders.filter((o) => listed.has(`${o.id}@${o.version}`)).length,
      orderLines: this.lines.filter((l) => ids.has(l.order_id)).length,
      payments: this.payments.filter((l) => ids.has(l.order_id)).length,
      orderEvents: this.events.filter((l) => ids.has(l.order_id)).length,
      stockEvents: this.stock.filter((e) => keys.has(`${e.sku}#${e.seq}`)).length,
    };
    if (JSON.stringify(counts) !== JSON.stringify(expected)) return 'changed' as const; // rolled back: nothing deleted
    this.orders = this.orders.filter((o) => !ids.has(o.id));
    this.lines = this.lines.filter((l) => !ids.has(l.order_id));
    this.payments = this.payments.filter((l) => !ids.has(l.order_id));
    this.events = this.events.filter((l) => !ids.has(l.order_id));
    this.stock = this.stock.filter((e) => !keys.has(`${e.sku}#${e.seq}`));
    for (const id of ids) this.filed.set(id, batchId);
    b.state = 'archived';
    this.step('after-commit'); // committed, but the answer is lost
    return 'archived' as const;
  }

  async drop(batchId: number) {
    this.batches = this.batches.filter((b) => !(b.id === batchId && b.state === 'pending'));
  }
}

class Bucket implements ArchiveBucket {
  objects = new Map<string, Uint8Array>();
  crashAfterPut: string | null = null;
  async put(key: string, body: Uint8Array) {
    this.objects.set(key, body);
    if (this.crashAfterPut && key.endsWith(this.crashAfterPut)) {
      this.crashAfterPut = null;
      throw new Crash(`after put ${key}`);
    }
  }
  async get(key: string) {
    return this.objects.get(key) ?? null;
  }
  async delete(keys: string[]) {
    for (const k of keys) this.objects.delete(k);
  }
}

/** Every row, hot or archived (in an archived batch's object), by table: each must appear exactly once. */
async function everyRow(db: Model, bucket: Bucket) {
  const rows: string[] = [
    ...db.orders.map((o) => `orders ${o.id}`),
    ...db.lines.map((l) => `order_lines ${l.order_id}/${l.n}`),
    ...db.payments.map((l) => `payments ${l.order_id}`),
    ...db.events.map((l) => `order_events ${l.order_id}/${l.n}`),
    ...db.stock.map((e) => `inventory_events ${e.sku}/${e.seq}`),
  ];
  for (const b of db.batches.filter((x) => x.state === 'archived')) {
    const stored = await gunzip(bucket.objects.get(batchKey(b.id))!);
    const manifest = JSON.parse(new TextDecoder().decode(bucket.objects.get(manifestKey(b.id))!));
    expect(manifest.sha256).toBe(await sha256Hex(stored));
    for (const { table, row } of parseNdjson(new TextDecoder().decode(stored))) {
      const r = row as Record<string, unknown>;
      rows.push(
        table === 'orders'
          ? `orders ${r.id}`
          : table === 'payments'
            ? `payments ${r.order_id}`
            : table === 'inventory_events'
              ? `inventory_events ${r.sku}/${r.seq}`
              : `${table} ${r.order_id}/${r.n}`,
      );
    }
  }
  return rows.sort();
}

const run = (db: Model, bucket: Bucket, s = settings) => runArchival(db, bucket, s, () => NOW);

describe('archival', () => {
  it('moves the settled old orders and old stock events, in bounded batches, and nothing on a second run', async () => {
    const db = new Model(20, 12);
    const bucket = new Bucket();
    const before = await everyRow(db, bucket);
    const first = await run(db, bucket);
    expect(first.more).toBe(false);
    // 20 orders: 15 old, of which 12 refunded (every fifth is paid: 4, 9, 14, 19; 19 is recent anyway).
    expect(first.moved.orders).toBe(12);
    expect(first.moved.stockEvents).toBe(6);
    expect(first.batches.every((b) => b.counts.orders <= 3 && b.counts.stockEvents <= 3)).toBe(true);
    expect(db.orders.every((o) => o.status !== 'refunded' || o.created_at >= first.cutoff)).toBe(true);
    expect(await everyRow(db, bucket)).toEqual(before);
    expect(db.filed.size).toBe(12);
    const second = await run(db, bucket);
    expect(second.batches).toEqual([]);
    expect(second.moved.orders + second.moved.stockEvents).toBe(0);
  });

  for (const point of ['after-create', 'rows-put', 'manifest-put', 'before-commit', 'after-commit'] as const) {
    it(`interrupted ${point}, then run again: no row lost, none archived twice`, async () => {
      const db = new Model(20, 12);
      const bucket = new Bucket();
      const before = await everyRow(db, bucket);
      if (point === 'rows-put') bucket.crashAfterPut = 'rows.ndjson.gz';
      else if (point === 'manifest-put') bucket.crashAfterPut = 'manifest.json';
      else db.crashAt = point;
      await expect(run(db, bucket)).rejects.toBeInstanceOf(Crash);
      // The interrupted batch: still pending (its rows hot, maybe its object written) or archived (after-commit).
      expect(await everyRow(db, bucket)).toEqual(before);
      const again = await run(db, bucket);
      expect(again.more).toBe(false);
      expect(await everyRow(db, bucket)).toEqual(before);
      expect(db.orders.filter((o) => o.status === 'refunded' && o.created_at < again.cutoff)).toEqual([]);
      expect(db.filed.size).toBe(12);
      expect(db.batches.every((b) => b.state === 'archived')).toBe(true);
      // Each archived batch's object under its own key; no object left of a batch that is not archived.
      const keys = [...bucket.objects.keys()].sort();
      expect(keys).toEqual(db.batches.flatMap((b) => [batchKey(b.id), manifestKey(b.id)]).sort());
    });
  }

  it('keeps hot the rows that changed between the write and the delete, and takes them again', async () => {
    const db = new Model(6, 0);
    const bucket = new Bucket();
    const before = await everyRow(db, bucket);
    const commit = db.commit.bind(db);
    let changed = false;
    db.commit = async (id, expected) => {
      if (!changed) {
        changed = true;
        db.events.push({ order_id: 'ord_000000000000', n: 99 }); // a late event of a listed order
        before.push('order_events ord_000000000000/99');
        before.sort();
      }
      return commit(id, expected);
    };
    const r = await run(db, bucket);
    expect(r.batches[0]!.batchId).toBe(2); // batch 1 was dropped, its rows taken again by batch 2
    expect(await everyRow(db, bucket)).toEqual(before);
    expect(bucket.objects.has(batchKey(1))).toBe(false);
  });

  it('stops at its batch bound and its time budget, and says there is more', async () => {
    const one = { ...settings, ARCHIVE_BATCH_SIZE: 1, ARCHIVE_TIME_BUDGET_MS: 1000 };
    const bounded = await runArchival(new Model(100, 0), new Bucket(), one, () => NOW);
    expect(bounded.batches.length).toBe(50);
    expect(bounded.more).toBe(true);
    let t = NOW;
    const slow = await runArchival(new Model(100, 0), new Bucket(), one, () => {
      t += 600; // each look at the clock: 0.6 s of the 1 s budget gone
      return t;
    });
    expect(slow.batches.length).toBe(1);
    expect(slow.more).toBe(true);
  });

  it('takes orders closed by the refund window once past it and unchanged, never one that can still change', async () => {
    const db = new Model(0, 0);
    const ago = (days: number) => new Date(NOW - days * DAY).toISOString();
    const order = (id: string, status: string, created: number, updated = created) =>
      db.orders.push({ id, version: 2, status, created_at: ago(created), updated_at: ago(updated) });
    order('fulfilled-old', 'fulfilled', 400);
    order('canceled-old', 'canceled', 400);
    order('expired-old', 'expired', 400);
    order('failed-old', 'payment_failed', 400);
    order('paid-old', 'paid', 400); // can still be fulfilled
    order('pending-old', 'pending_payment', 400);
    order('fulfilled-changed', 'fulfilled', 400, 100); // changed within ARCHIVE_AFTER_DAYS
    order('fulfilled-young', 'fulfilled', 100); // inside both
    const r = await run(db, new Bucket(), { ...settings, ARCHIVE_BATCH_SIZE: 50 });
    expect(r.closedCutoff).toBe(ago(365));
    expect(db.orders.map((o) => o.id).sort()).toEqual([
      'fulfilled-changed',
      'fulfilled-young',
      'paid-old',
      'pending-old',
    ]);
    expect([...db.filed.keys()].sort()).toEqual(['canceled-old', 'expired-old', 'failed-old', 'fulfilled-old']);
  });

  it('waits for the refund window when it is longer than ARCHIVE_AFTER_DAYS', () => {
    const p = archivePolicy(NOW, { ARCHIVE_AFTER_DAYS: 30, ARCHIVE_REFUND_WINDOW_DAYS: 180 });
    const o = (status: string, days: number) => ({
      status,
      created_at: new Date(NOW - days * DAY).toISOString(),
      updated_at: new Date(NOW - days * DAY).toISOString(),
    });
    expect(p.closedCutoff).toBe(new Date(NOW - 180 * DAY).toISOString());
    expect(orderDue(o('refunded', 40), p)).toBe(true);
    expect(orderDue(o('fulfilled', 40), p)).toBe(false); // still refundable
    expect(orderDue(o('fulfilled', 181), p)).toBe(true);
  });

  it("closes only statuses whose one way on is a refund; both workers' refund windows agree", () => {
    expect([...CLOSED_AFTER_WINDOW_STATUSES].sort()).toEqual(['canceled', 'expired', 'fulfilled', 'payment_failed']);
    expect(ORDER_STATUSES.filter((s) => s === 'paid' && CLOSED_AFTER_WINDOW_STATUSES.includes(s))).toEqual([]);
    const windowOf = (worker: string) =>
      fs
        .readFileSync(new URL(`../../${worker}/wrangler.toml`, import.meta.url), 'utf8')
        .match(/^ARCHIVE_REFUND_WINDOW_DAYS = "(\d+)"$/m)?.[1];
    expect(windowOf('admin')).toBeDefined();
    expect(windowOf('admin')).toBe(windowOf('checkout'));
  });
});
