// The OrdersDOs' task outboxes as they last reported them to the MetricsDO shards, added up: tasks pending and
// failing, order copies not yet confirmed by the `orders` consumer (the Queue's backlog as the objects see it) and
// the oldest of them; and the InventoryDOs' level and ledger copies waiting after a failure (`levels`). Read by the ops figures (CheckoutService.outbox) and by /health (the backlog's size).
import { OUTBOX_SHARDS } from '../../../durable-objects/metrics/metrics.do';
import type { OutboxFigures } from '../../../lib/contracts/figures';
import { withTimeout } from '../../../lib/resilience';

export async function outboxFigures(env: CheckoutEnv): Promise<OutboxFigures> {
  const parts = await Promise.all(
    Array.from({ length: OUTBOX_SHARDS }, (_, i) =>
      withTimeout(env.METRICS.get(env.METRICS.idFromName(`outbox-${i}`)).outbox(), 5000, 'outbox'),
    ),
  );
  const earliest = (pick: (p: OutboxFigures) => string | null) =>
    parts
      .map(pick)
      .filter((t): t is string => t !== null)
      .sort()[0] ?? null;
  const sum = (k: 'objects' | 'pending' | 'failing' | 'copies') => parts.reduce((n, p) => n + p[k], 0);
  return {
    objects: sum('objects'),
    pending: sum('pending'),
    failing: sum('failing'),
    copies: sum('copies'),
    oldestReportAt: earliest((p) => p.oldestReportAt),
    oldestDueAt: earliest((p) => p.oldestDueAt),
    oldestCopyAt: earliest((p) => p.oldestCopyAt),
    levels: {
      pending: parts.reduce((n, p) => n + p.levels.pending, 0),
      failing: parts.reduce((n, p) => n + p.levels.failing, 0),
      oldestPendingAt: earliest((p) => p.levels.oldestPendingAt),
    },
  };
}
