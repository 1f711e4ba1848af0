// The alarm's copies of an InventoryDO's state: its levels to the `orders` Queue (the consumer writes
// `inventory_levels`), and its ledger's new events straight to Postgres (`inventory_events`). The events go to
// Postgres directly, not through the Queue, so that the object learns from the insert's own answer that they are
// stored: only then may it let them go (a Queue send only says the message was accepted, and a message may be
// lost or dead-lettered). The insert is keyed by (sku, seq), so a copy repeated after a lost answer adds nothing.
// Neither is on a reserve's path: the alarm runs them, and the object keeps answering while they wait.
import type { InventoryLevels, OrdersQueueMessage } from '../../lib/contracts/queue';
import { pgBreaker } from '../../lib/db/breaker';
import { type DbEnv, dbSettings, sqlClient } from '../../lib/db/client';
import { isDbUnavailable } from '../../lib/db/errors';
import { withTimeout } from '../../lib/resilience';
import type { StockStore } from './stock.store';

/** Events per insert (a few hundred KB of JSON at most: reasons are at most 200 characters). */
export const EVENTS_PER_COPY = 1000;
/** Inserts per alarm run: a hot SKU's backlog after an outage drains at up to 5,000 events a second. */
const COPY_ROUNDS = 5;

const INSERT = `insert into inventory_events
    (sku, seq, kind, delta, actor_type, actor_id, reason, on_hand, held, sold, available, at)
  select $1, e.seq, e.kind, e.delta, e.actor_type, e.actor_id, e.reason, e.on_hand, e.held, e.sold,
    e.on_hand - e.held - e.sold, to_timestamp(e.at / 1000) + (e.at % 1000) * interval '1 millisecond'
  from jsonb_to_recordset($2::jsonb) as e(seq bigint, kind text, delta integer, actor_type text, actor_id text,
    reason text, on_hand integer, held integer, sold integer, at bigint)
  on conflict (sku, seq) do nothing`;
// (The time is whole seconds plus milliseconds: exact, where a float division could round a millisecond off.)

/**
 * Copies the events not yet in Postgres, oldest first, in batches; after each batch the object remembers how far
 * Postgres has them and lets go of copied ones beyond the newest `kept`. Throws if a batch could not be written
 * (what was copied before stays copied; the rest waits for the next alarm).
 */
export async function copyEvents(store: StockStore, env: DbEnv, sku: string, kept: number): Promise<void> {
  const settings = dbSettings(env);
  for (let round = 0; round < COPY_ROUNDS; round++) {
    const rows = store.unsentEvents(store.current()!.events_copied_seq, EVENTS_PER_COPY);
    if (rows.length === 0) return;
    await pgBreaker.run(
      () =>
        withTimeout(
          sqlClient(settings.DATABASE_URL, settings).query(INSERT, [sku, JSON.stringify(rows)]),
          settings.DB_TIMEOUT_MS + 1000,
          'ledger events copy',
        ),
      isDbUnavailable,
    );
    store.eventsCopied(rows.at(-1)!.seq, kept);
    if (rows.length < EVENTS_PER_COPY) return;
  }
}

/** The levels to the `orders` Queue; marks the version sent. Throws if the send failed. */
export async function sendLevels(store: StockStore, queue: Queue, levels: InventoryLevels) {
  await withTimeout(queue.send({ type: 'inventory.levels', levels } satisfies OrdersQueueMessage), 5000, 'levels send');
  store.sql.exec('update stock set synced_version = max(synced_version, ?)', levels.version);
}
