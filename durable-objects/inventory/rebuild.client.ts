// The callers' side of a rebuild (CheckoutOps, for POST /v1/admin/inventory/:sku/rebuild): reads what Postgres
// knows of the SKU (from the primary: the copies' writer), plans the object's state (rebuild.ts), and either
// answers the plan and its diff (dry run) or has the object write it. docs/runbook.md#a-corrupted-durable-object.
import type { StockChange } from '../../lib/contracts/inventory';
import type { InventoryLevels } from '../../lib/contracts/queue';
import { pgBreaker } from '../../lib/db/breaker';
import { dbSettings, sqlClient } from '../../lib/db/client';
import { isDbUnavailable, mapDbError } from '../../lib/db/errors';
import { AppError } from '../../lib/errors';
import { withTimeout } from '../../lib/resilience';
import { inventoryConfig } from './config';
import { type InventoryEnv, inventoryOf } from './inventory.client';
import type { RebuildSource } from './rebuild';
import { type CurrentStock, planRebuild, type RebuildDiff, type RebuildPlan, rebuildDiff } from './rebuild';

const DO_TIMEOUT_MS = 5000;
/** More order lines of one SKU than this is not a rebuild one request may do (a hot SKU's years of orders). */
export const REBUILD_MAX_LINES = 100_000;

const ms = (column: string) => `round(extract(epoch from ${column}) * 1000)::float8`;

/** What Postgres knows of `sku` (three statements on the primary, each within the database deadline). */
export async function rebuildSource(env: InventoryEnv, sku: string): Promise<RebuildSource> {
  const settings = dbSettings(env);
  const q = (text: string) =>
    pgBreaker.run(
      () =>
        withTimeout(
          sqlClient(settings.DATABASE_URL, settings).query(text, [sku]) as Promise<Record<string, unknown>[]>,
          settings.DB_TIMEOUT_MS + 1000,
          'rebuild source',
        ),
      isDbUnavailable,
    );
  let head: Record<string, unknown>[];
  let lines: Record<string, unknown>[];
  let restocks: Record<string, unknown>[];
  try {
    [head, lines, restocks] = await Promise.all([
      q(`select exists (select 1 from product_variants where sku = $1) as exists,
           (select row_to_json(l) from (select initial_on_hand, on_hand, held, sold, max_per_customer, version,
              ${ms('updated_at')} as updated_at from inventory_levels where sku = $1) l) as copy,
           (select row_to_json(e) from (select seq, on_hand, held, sold, ${ms('at')} as at from inventory_events
              where sku = $1 order by seq desc limit 1) e) as last_event,
           (select row_to_json(a) from (select sold_units, max_seq from inventory_archive where sku = $1) a) as archived`),
      q(`select o.id, o.owner_sub, o.status, l.quantity, ${ms('o.hold_expires_at')} as hold_expires_at,
           (o.status in ('paid', 'fulfilled') or exists (select 1 from order_events e
              where e.order_id = o.id and e.to_status = 'paid')) as ever_paid
         from order_lines l join orders o on o.id = l.order_id
         where l.sku = $1 and o.status in ('pending_payment', 'paid', 'fulfilled', 'refunded')
         limit ${REBUILD_MAX_LINES + 1}`),
      q(`select actor_id, reason, -delta as quantity, ${ms('at')} as at from inventory_events
         where sku = $1 and kind = 'restock' order by seq limit ${REBUILD_MAX_LINES + 1}`),
    ]);
  } catch (err) {
    mapDbError(err);
  }
  if (lines.length > REBUILD_MAX_LINES || restocks.length > REBUILD_MAX_LINES)
    throw new AppError(
      'VALIDATION_FAILED',
      `More than ${REBUILD_MAX_LINES} order lines of ${sku}: rebuild it offline.`,
    );
  const h = head[0] ?? {};
  const copy = h.copy as Record<string, number | null> | null;
  const last = h.last_event as Record<string, number> | null;
  return {
    sku,
    exists: h.exists === true,
    initialOnHand: Number(copy?.initial_on_hand ?? 0),
    copy: copy
      ? {
          onHand: Number(copy.on_hand),
          held: Number(copy.held),
          sold: Number(copy.sold),
          maxPerCustomer: copy.max_per_customer === null ? null : Number(copy.max_per_customer),
          version: Number(copy.version),
          updatedAt: Number(copy.updated_at),
        }
      : null,
    lastEvent: last
      ? {
          seq: Number(last.seq),
          onHand: Number(last.on_hand),
          held: Number(last.held),
          sold: Number(last.sold),
          at: Number(last.at),
        }
      : null,
    archivedSold: Number((h.archived as Record<string, number> | null)?.sold_units ?? 0),
    archivedMaxSeq: Number((h.archived as Record<string, number> | null)?.max_seq ?? 0),
    lines: lines.map((l) => ({
      orderId: String(l.id),
      owner: String(l.owner_sub),
      status: String(l.status),
      everPaid: l.ever_paid === true,
      quantity: Number(l.quantity),
      holdExpiresAt: Number(l.hold_expires_at),
    })),
    restocks: restocks
      .filter((r) => typeof r.reason === 'string' && r.reason.startsWith('refund '))
      .map((r) => ({
        restockId: String(r.reason).slice('refund '.length),
        holdId: String(r.actor_id),
        quantity: Number(r.quantity),
        at: Number(r.at),
      })),
  };
}

export interface RebuildAnswer {
  sku: string;
  dryRun: boolean;
  /** The object as it was (its version is the `expectVersion` a rebuild after this dry run passes). */
  current: CurrentStock;
  plan: Omit<RebuildPlan, 'holds' | 'restocks'> & { holds: number; restocks: number };
  diff: RebuildDiff[];
  /** After a rebuild: the object's new levels. */
  levels?: InventoryLevels;
}

/**
 * A dry run answers the plan and its diff; a rebuild (dryRun false) needs `expectVersion`, the version the dry run
 * showed, and is refused (409 REBUILD_STALE) if the object changed since. A plan that oversells is refused (409
 * REBUILD_OVERSELLS) unless `force`, which raises on hand to held + sold.
 */
export async function rebuildStock(
  env: InventoryEnv,
  sku: string,
  opts: { dryRun: boolean; force: boolean; expectVersion?: number },
  change: StockChange,
): Promise<RebuildAnswer> {
  const stub = inventoryOf(env, sku);
  const [source, current] = await Promise.all([
    rebuildSource(env, sku),
    withTimeout(Promise.resolve(stub.rebuildState(sku)) as Promise<CurrentStock>, DO_TIMEOUT_MS, 'rebuildState'),
  ]);
  const graceMs = inventoryConfig(env).HOLD_GRACE_SECONDS * 1000;
  const planned = planRebuild(source, current, { now: Date.now(), graceMs, force: opts.force });
  if (!planned.ok && planned.reason === 'NOT_FOUND') throw new AppError('NOT_FOUND', `No SKU ${sku}.`);
  if (!planned.ok)
    throw new AppError(
      'REBUILD_OVERSELLS',
      `Postgres has ${planned.sold} sold and ${planned.held} held of ${sku} but ${planned.onHand} on hand: ` +
        'count the stock, or rebuild with force (on hand is then raised to held + sold).',
      { details: { onHand: planned.onHand, held: planned.held, sold: planned.sold, plan: summary(planned.plan) } },
    );
  const plan = planned.plan;
  const answer: RebuildAnswer = {
    sku,
    dryRun: opts.dryRun,
    current,
    plan: summary(plan),
    diff: rebuildDiff(current, plan),
  };
  if (opts.dryRun) return answer;
  if (opts.expectVersion === undefined)
    throw new AppError('VALIDATION_FAILED', 'A rebuild needs expectVersion: the version its dry run showed.');
  const reason = `rebuilt from Postgres: on hand from ${plan.sources.onHand}; held from ${plan.sources.held}; sold from ${plan.sources.sold}`;
  const r = (await withTimeout(
    Promise.resolve(stub.rebuild(sku, plan, opts.expectVersion, { actor: change.actor, reason: reason.slice(0, 200) })),
    DO_TIMEOUT_MS,
    'rebuild',
  )) as
    | { ok: true; levels: InventoryLevels }
    | { ok: false; reason: 'STALE'; version: number }
    | { ok: false; reason: 'INVALID' };
  if (!r.ok && r.reason === 'INVALID') throw new Error(`rebuild ${sku}: the object refused the plan as invalid`);
  if (!r.ok)
    throw new AppError('REBUILD_STALE', `The object changed since the dry run (version ${r.version}); run it again.`, {
      details: { version: r.version },
    });
  return { ...answer, levels: r.levels };
}

function summary(plan: RebuildPlan): RebuildAnswer['plan'] {
  return { ...plan, holds: plan.holds.length, restocks: plan.restocks.length };
}
