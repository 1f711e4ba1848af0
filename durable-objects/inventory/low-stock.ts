// `inventory.low`: a SKU's available stock fell to INVENTORY_LOW_THRESHOLD or below. Checked by the object's alarm,
// which runs within INVENTORY_SYNC_DELAY_MS of every change: an event on the way down (once per crossing, not
// every sale), re-armed silently once available is above the threshold again. Whether the SKU is "low" as last
// told is kept in the object's SQLite (`low_stock`), set only after the Queue took the event, so a failed send is
// tried again by the next alarm (the caller keeps the alarm armed while this is due). A dip and recovery inside
// one sync delay is not seen.
import type { NotificationMessage } from '../../lib/contracts/notifications';
import type { InventoryLevels } from '../../lib/contracts/queue';
import { withTimeout } from '../../lib/resilience';

const SEND_TIMEOUT_MS = 5000;

export class LowStock {
  constructor(
    private readonly sql: SqlStorage,
    private readonly threshold: number,
  ) {
    sql.exec('create table if not exists low_stock (sku text primary key, low integer not null)');
  }

  private told(sku: string): boolean {
    return this.sql.exec<{ low: number }>('select low from low_stock where sku = ?', sku).toArray()[0]?.low === 1;
  }

  private isLow(l: InventoryLevels): boolean {
    return this.threshold > 0 && l.onHand > 0 && l.available <= this.threshold;
  }

  /** Whether the alarm has something to do: the SKU crossed the threshold since it was last told. */
  due(l: InventoryLevels): boolean {
    return this.isLow(l) !== this.told(l.sku);
  }

  /** Sends the event on a crossing down; records a crossing up. Throws when the send fails (retried by the alarm). */
  async check(l: InventoryLevels, queue: Queue<NotificationMessage> | undefined): Promise<void> {
    if (!this.due(l)) return;
    const low = this.isLow(l);
    if (low && queue) {
      const { sku, available, onHand, held, sold, version } = l;
      const message: NotificationMessage = {
        type: 'event',
        event: {
          id: `evt_inventory.low:${sku}:${version}`,
          type: 'inventory.low',
          createdAt: new Date(l.updatedAt).toISOString(),
          data: { sku, available, onHand, held, sold, threshold: this.threshold },
        },
      };
      await withTimeout(queue.send(message, { contentType: 'json' }), SEND_TIMEOUT_MS, 'inventory.low send');
    }
    this.sql.exec(
      'insert into low_stock (sku, low) values (?, ?) on conflict (sku) do update set low = excluded.low',
      l.sku,
      low ? 1 : 0,
    );
  }
}
