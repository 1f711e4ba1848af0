// The Durable Objects' state for an export (CheckoutOps.exportObjects, called by the admin worker, which writes it
// to R2: workers/admin/src/do-export.ts). Durable Objects cannot be listed, so the caller names the objects, from
// the ids Postgres knows: SKUs (InventoryDO), shoppers with orders (OrdersDO), customers and guests (CartDO).
// A few objects at a time, each within its own deadline (DO_TIMEOUT_MS) and the whole call within CALL_DEADLINE_MS:
// an object that does not answer in time, or is not reached before the call's deadline, is reported as failed, not
// left out in silence, and the call answers by its deadline however many objects hang.
import type { CartDO } from '../../../durable-objects/cart/cart.do';
import type { CartState } from '../../../durable-objects/cart/types';
import type { InventoryDO } from '../../../durable-objects/inventory/inventory.do';
import type { InventoryExport } from '../../../durable-objects/inventory/rebuild.store';
import type { LevelsState } from '../../../durable-objects/inventory/types';
import type { OrdersDO } from '../../../durable-objects/orders/orders.do';
import { DO_EXPORT_KINDS, type DoExportKind } from '../../../lib/admin/durable.schemas';
import type { OrderSnapshot } from '../../../lib/checkout/order';
import { AppError } from '../../../lib/errors';
import { withTimeout } from '../../../lib/resilience';
import type { RpcResult } from '../../../lib/rpc';
import { unwrap } from '../../../lib/rpc';
import { traced } from '../../../lib/trace';

const EXPORT_KINDS = DO_EXPORT_KINDS;
type ExportKind = DoExportKind;

/** Objects asked at once, and the most one call may name (the admin worker's pages are smaller). */
const CONCURRENCY = 8;
export const EXPORT_IDS_MAX = 200;
const DO_TIMEOUT_MS = 5000;
/** The whole call, however many objects are slow: the admin worker's page waits this long at most (ms). */
export const CALL_DEADLINE_MS = 20_000;
/** Orders one shopper's object exports (more is reported as `truncated`). */
const ORDERS_PER_OBJECT = 1000;

export type ExportRecord =
  | { kind: 'inventory'; id: string; state: InventoryExport | null }
  | { kind: 'orders'; id: string; state: { orders: OrderSnapshot[]; truncated: boolean } | null }
  | { kind: 'carts'; id: string; state: CartState | null };

export interface ExportAnswer {
  records: ExportRecord[];
  /** Objects that did not answer (timeout or error): the export names them in its manifest. */
  failed: { id: string; error: string }[];
}

type Env = {
  INVENTORY: DurableObjectNamespace<InventoryDO>;
  ORDERS: DurableObjectNamespace<OrdersDO>;
  CARTS: DurableObjectNamespace<CartDO>;
};

/**
 * `levelsOnly` (inventory): the levels alone, without the holds and the ledger (the stock check). `deadlineMs`: the
 * whole call's bound (CALL_DEADLINE_MS; a test passes a shorter one).
 */
export async function exportObjects(
  env: Env,
  kind: unknown,
  ids: unknown,
  levelsOnly = false,
  deadlineMs = CALL_DEADLINE_MS,
): Promise<ExportAnswer> {
  if (!EXPORT_KINDS.includes(kind as ExportKind))
    throw new AppError('VALIDATION_FAILED', `kind must be one of ${EXPORT_KINDS.join(', ')}.`);
  if (
    !Array.isArray(ids) ||
    ids.length > EXPORT_IDS_MAX ||
    !ids.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 200)
  )
    throw new AppError('VALIDATION_FAILED', `ids must be 0..${EXPORT_IDS_MAX} strings of 1..200 characters.`);
  const k = kind as ExportKind;
  const records: ExportRecord[] = [];
  const failed: ExportAnswer['failed'] = [];
  const queue = [...(ids as string[])];
  const deadline = Date.now() + deadlineMs;
  const one = async (id: string) => {
    const left = deadline - Date.now();
    if (left <= 0) {
      failed.push({ id, error: `not asked: the call's ${deadlineMs} ms deadline had passed` });
      return;
    }
    try {
      const ms = Math.min(DO_TIMEOUT_MS, left);
      records.push(await withTimeout(read(env, k, id, levelsOnly === true), ms, `${k} ${id} export`));
    } catch (err) {
      failed.push({ id, error: String(err instanceof Error ? err.message : err).slice(0, 300) });
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await one(id);
    }),
  );
  // The order asked for, whatever order the objects answered in.
  const at = new Map((ids as string[]).map((id, i) => [id, i]));
  records.sort((a, b) => at.get(a.id)! - at.get(b.id)!);
  return { records, failed };
}

async function read(env: Env, kind: ExportKind, id: string, levelsOnly: boolean): Promise<ExportRecord> {
  if (kind === 'inventory' && levelsOnly) {
    const l = (await traced(env.INVENTORY.get(env.INVENTORY.idFromName(id))).levels(id)) as LevelsState;
    const { initialized, ...levels } = l;
    const state = initialized
      ? { sku: id, initialized, levels, eventsCopiedSeq: 0, activeHolds: [], events: [] }
      : null;
    return { kind, id, state };
  }
  if (kind === 'inventory') {
    const state = (await traced(env.INVENTORY.get(env.INVENTORY.idFromName(id))).exportState(
      id,
    )) as InventoryExport | null;
    return { kind, id, state };
  }
  if (kind === 'orders') {
    const page = unwrap(
      (await traced(env.ORDERS.get(env.ORDERS.idFromName(id))).exportOrders(ORDERS_PER_OBJECT)) as RpcResult<{
        orders: OrderSnapshot[];
        more: boolean;
      }>,
    );
    // An object with no orders (a shopper named in the scope who never ordered) has nothing to export.
    return { kind, id, state: page.orders.length ? { orders: page.orders, truncated: page.more } : null };
  }
  const state = (await traced(env.CARTS.get(env.CARTS.idFromName(id))).exportCart()) as CartState | null;
  return { kind, id, state };
}
