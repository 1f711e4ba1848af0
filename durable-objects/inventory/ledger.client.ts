// The callers' side of the stock ledger (CheckoutOps, for GET /v1/admin/inventory/:sku/events): a page of one SKU's
// events, newest first, in keyset pages by seq. The newest come from the SKU's InventoryDO, which keeps every event
// not yet copied and the last INVENTORY_EVENTS_KEPT copied ones: a change is listed the moment it is made, and the
// first pages need no Postgres at all. A page that reaches past what the object keeps goes on in Postgres, which
// has every event the object let go (it lets go only of copied ones). Both are read from their writer (the object,
// the primary), so nothing the object let go can be missing from the page.

import type { InventoryEventsQuery, InventoryEventView } from '../../lib/checkout/schemas';
import type { InventoryEvent, InventoryEventsAnswer, InventoryEventsFilter } from '../../lib/contracts/inventory';
import { pgBreaker } from '../../lib/db/breaker';
import { dbSettings, sqlClient } from '../../lib/db/client';
import { isDbUnavailable, mapDbError } from '../../lib/db/errors';
import { withTimeout } from '../../lib/resilience';
import { type InventoryEnv, inventoryOf, levelsOf } from './inventory.client';

type EventView = InventoryEventView;

export interface InventoryEventPage {
  sku: string;
  events: EventView[];
  nextCursor: string | null;
}

const DO_TIMEOUT_MS = 5000;

export async function eventsPage(env: InventoryEnv, sku: string, q: InventoryEventsQuery): Promise<InventoryEventPage> {
  const filter: InventoryEventsFilter = {
    before: q.cursor === undefined ? undefined : Number(q.cursor),
    kinds: q.kind === undefined ? undefined : ([...new Set(q.kind.split(','))] as InventoryEventsFilter['kinds']),
    from: q.from === undefined ? undefined : Date.parse(q.from),
    to: q.to === undefined ? undefined : Date.parse(q.to),
    // One more than the page: whether there is a next one.
    limit: q.limit + 1,
  };
  const answer = await withTimeout(
    Promise.resolve(inventoryOf(env, sku).events(sku, filter)) as Promise<InventoryEventsAnswer>,
    DO_TIMEOUT_MS,
    `InventoryDO ${sku} events`,
  );
  if (!answer.hasStorage) {
    await levelsOf(env, sku); // a SKU that does not exist is a 404; one never changed has no events yet
    return { sku, events: [], nextCursor: null };
  }
  const events: EventView[] = answer.events.map(view);
  const older = Math.min(filter.before ?? Number.MAX_SAFE_INTEGER, answer.oldestKept ?? 1);
  if (events.length < filter.limit && older > 1)
    events.push(...(await fromPostgres(env, sku, { ...filter, before: older, limit: filter.limit - events.length })));
  const page = events.slice(0, q.limit);
  return { sku, events: page, nextCursor: events.length > q.limit ? String(page.at(-1)!.seq) : null };
}

function view(e: InventoryEvent): EventView {
  return {
    seq: e.seq,
    kind: e.kind,
    delta: e.delta,
    actor: e.actor,
    reason: e.reason,
    levels: e.levels,
    at: new Date(e.at).toISOString(),
  };
}

interface Row {
  seq: string | number;
  kind: EventView['kind'];
  delta: number;
  actor_type: EventView['actor']['type'];
  actor_id: string;
  reason: string | null;
  on_hand: number;
  held: number;
  sold: number;
  available: number;
  /** ms since epoch, as the object recorded it (milliseconds are stored exactly, copies.ts). */
  at_ms: string | number;
}

/** The events the object no longer keeps, from the Postgres primary (their only copy). */
async function fromPostgres(env: InventoryEnv, sku: string, f: InventoryEventsFilter): Promise<EventView[]> {
  const where = ['sku = $1', 'seq < $2'];
  const args: unknown[] = [sku, f.before];
  if (f.kinds) where.push(`kind = any($${args.push(f.kinds)}::text[])`);
  if (f.from !== undefined) where.push(`at >= $${args.push(new Date(f.from).toISOString())}::timestamptz`);
  if (f.to !== undefined) where.push(`at < $${args.push(new Date(f.to).toISOString())}::timestamptz`);
  const settings = dbSettings(env);
  let rows: Row[];
  try {
    rows = (await pgBreaker.run(
      () =>
        sqlClient(settings.DATABASE_URL, settings).query(
          `select seq, kind, delta, actor_type, actor_id, reason, on_hand, held, sold, available,
             (extract(epoch from at) * 1000)::bigint as at_ms
           from inventory_events where ${where.join(' and ')} order by seq desc limit ${Number(f.limit)}`,
          args,
        ),
      isDbUnavailable,
    )) as Row[];
  } catch (err) {
    mapDbError(err);
  }
  return rows.map((r) => ({
    seq: Number(r.seq),
    kind: r.kind,
    delta: r.delta,
    actor: { type: r.actor_type, id: r.actor_id },
    reason: r.reason,
    levels: { onHand: r.on_hand, held: r.held, sold: r.sold, available: r.available },
    at: new Date(Number(r.at_ms)).toISOString(),
  }));
}
