// InventoryDO's copies (levels to the `orders` Queue, ledger events to Postgres) as the ops figures see them
// (`business.outbox.levels`): the object reports to a MetricsDO `outbox-<n>` shard, after an alarm run, once a copy
// has failed, and then after each run until everything is copied again (a last report takes it back). A SKU whose
// copies go out on schedule (within INVENTORY_SYNC_DELAY_MS of a change) never reports: a DO call per change of a
// hot SKU would cost more than the copy itself, and such a change is at most a second old. Whether the object has a
// report standing is kept in its storage (`copies_reported_at`), so a report is taken back after an eviction too.
// In the background (waitUntil, 5 s deadline); a failed report is logged and sent again after the next run.
import type { LevelCopies } from '../../lib/contracts/figures';
import { log } from '../../lib/log';
import { withTimeout } from '../../lib/resilience';
import { outboxShardName } from '../metrics/metrics.do';
import type { StockStore } from './stock.store';

/** The MetricsDO shard an InventoryDO reports to: by SKU, among the outbox shards. */
export const levelsSource = (sku: string) => `inventory:${sku}`;

/** What the object's copies look like after an alarm run; null when there is nothing to report. */
export function copiesState(store: StockStore): LevelCopies | null {
  const s = store.current();
  if (!s) return null;
  const pending = s.version > s.synced_version || s.events_copied_seq < store.lastSeq();
  const failing = s.sync_failures > 0;
  // Healthy and never reported, or reported and taken back already: nothing to say.
  if (!failing && s.copies_reported_at === null) return null;
  return {
    pending: pending || failing,
    failing,
    pendingSince: pending || failing ? s.pending_since : null,
    nextDueAt: s.sync_due_at,
  };
}

export function reportCopies(store: StockStore, env: CheckoutEnv, ctx: DurableObjectState, sku: string): void {
  const state = copiesState(store);
  if (!state || !env.METRICS) return;
  const at = Date.now();
  const stub = env.METRICS.get(env.METRICS.idFromName(outboxShardName(levelsSource(sku))));
  ctx.waitUntil(
    withTimeout(stub.reportLevels(sku, state, at), 5000, 'levels copies report').then(
      () => {
        // Taken back: nothing stands any more. Else the report stands until a later run takes it back.
        store.sql.exec('update stock set copies_reported_at = ?', state.pending ? at : null);
      },
      (err) => log.warn('levels copies report failed', { sku, error: String(err) }),
    ),
  );
}
