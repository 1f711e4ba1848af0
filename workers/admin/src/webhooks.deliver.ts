// Store events to merchants' webhook endpoints. The fan-out: an event (from the `notifications` Queue) becomes one
// row in `webhook_deliveries` per enabled endpoint subscribed to its type (unique per endpoint and event, so a
// redelivered event adds nothing) and one `delivery` message per row. A delivery: one signed POST
// (lib/webhooks/signed-post.ts) with a deadline and no redirects, every attempt logged in `webhook_attempts`
// (status, latency, error), by one copy of the message at a time (a lease, `claimed_at`); anything but a 2xx fails
// the message, which the consumer retries with exponential backoff until the Queue dead-letters it (the row then
// says `dead`).
import type { StoreEvent } from '../../../lib/contracts/notifications';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { log } from '../../../lib/log';
import { withTimeout } from '../../../lib/resilience';
import { receiverUrlProblem } from '../../../lib/webhooks/receiver-url';
import { postSigned } from '../../../lib/webhooks/signed-post';
import type { NotifyConfig } from './notify.config';

type Env = AdminEnv & DbEnv;

export const EVENT_ID_HEADER = 'x-storefront-event-id';
export const EVENT_TYPE_HEADER = 'x-storefront-event-type';
const QUEUE_TIMEOUT_MS = 5000;
/** A claim older than this is taken as its holder's death; longer than an attempt (WEBHOOK_TIMEOUT_MS <= 30 s). */
const LEASE_SECONDS = 60;

const db = (env: Env) => {
  const settings = dbSettings(env);
  return sqlClient(settings.DATABASE_URL, settings);
};

/** The event's deliveries, one per subscribed endpoint, each then sent as its own message. */
export async function fanOut(env: Env, event: StoreEvent): Promise<number> {
  const q = db(env);
  const body = JSON.stringify(event);
  await q`insert into webhook_deliveries (endpoint_id, event_id, event_type, body)
    select id, ${event.id}, ${event.type}, ${body} from webhook_endpoints
    where enabled and ${event.type} = any(events)
    on conflict (endpoint_id, event_id) do nothing`;
  // Also those a fan-out interrupted before its send left (a second message for a row is harmless: the lease in
  // deliver() lets one copy at a time attempt it, and a delivered row is not posted again).
  const rows = await q`select id from webhook_deliveries
    where event_id = ${event.id} and state = 'pending' and attempts = 0`;
  if (rows.length === 0) return 0;
  await withTimeout(
    env.NOTIFICATIONS.sendBatch(
      rows.map((r) => ({ body: { type: 'delivery', deliveryId: Number(r.id) }, contentType: 'json' as const })),
    ),
    QUEUE_TIMEOUT_MS,
    'notifications queue send',
  );
  return rows.length;
}

/** The attempt failed (the message is retried): a non-2xx answer, a timeout, a network error. */
export class DeliveryFailed extends Error {}

/** One attempt of one delivery; done (or nothing left to do) returns, a failed attempt throws DeliveryFailed. */
export async function deliver(env: Env, c: NotifyConfig, deliveryId: number): Promise<string> {
  const q = db(env);
  const [row] = await q`select d.event_id, d.event_type, d.body, d.state, e.url, e.secret, e.enabled
    from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id where d.id = ${deliveryId}`;
  if (!row) return 'gone'; // its endpoint was deleted (the deliveries with it)
  if (row.state === 'delivered') return 'duplicate';
  if (!row.enabled) return 'disabled';
  // The lease: one copy of the message at a time makes the attempt (two copies at once, a replay of a delivery
  // still queued, the fan-out re-sending a pending row). A holder that died leaves `claimed_at`: after the lease
  // another copy takes over.
  const claimed = (await q`update webhook_deliveries
    set attempts = attempts + 1, claimed_at = now(), updated_at = now()
    where id = ${deliveryId} and state in ('pending', 'failing')
      and (claimed_at is null or claimed_at < now() - make_interval(secs => ${LEASE_SECONDS}))
    returning attempts`) as { attempts: number }[];
  // In hand elsewhere: retried (if that holder dies, this copy still gets it done); dead: a stale copy.
  if (claimed.length === 0) return row.state === 'dead' ? 'duplicate' : 'busy';
  const { attempts } = claimed[0]!;
  let status: number | null = null;
  let error: string | null = null;
  const started = Date.now();
  const urlProblem = receiverUrlProblem(row.url as string, c.WEBHOOK_ALLOW_LOOPBACK === 'true');
  if (urlProblem) {
    error = `the endpoint URL is not an allowed receiver: it ${urlProblem}`;
  } else {
    try {
      const res = await postSigned(row.url as string, row.secret as string, row.body as string, {
        timeoutMs: c.WEBHOOK_TIMEOUT_MS,
        headers: {
          [EVENT_ID_HEADER]: row.event_id as string,
          [EVENT_TYPE_HEADER]: row.event_type as string,
          'x-storefront-delivery-attempt': String(attempts),
        },
      });
      status = res.status;
      if (status < 200 || status > 299)
        error = `answered ${status}${res.location ? ` (a redirect to ${res.location.slice(0, 200)}, not followed)` : ''}`;
    } catch (err) {
      error =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer within ${c.WEBHOOK_TIMEOUT_MS} ms`
          : String(err);
    }
  }
  const latencyMs = Date.now() - started;
  const state = error ? 'failing' : 'delivered';
  // A new client: a client's deadline (DB_TIMEOUT_MS) runs from its creation, and the POST may have taken longer
  // than that; logging with `q` would abort, the message be retried and a delivered event posted again.
  const after = db(env);
  await after.transaction([
    after`insert into webhook_attempts (delivery_id, attempt, status_code, latency_ms, error)
      values (${deliveryId}, ${attempts}, ${status}, ${latencyMs}, ${error})`,
    after`update webhook_deliveries set state = ${state}, claimed_at = null, updated_at = now()
      where id = ${deliveryId}`,
  ]);
  if (error) throw new DeliveryFailed(`delivery ${deliveryId} attempt ${attempts}: ${error}`);
  log.info('webhook delivered', { deliveryId, eventId: row.event_id, attempts, status, latencyMs });
  return 'delivered';
}

/** The Queue gave the delivery up: its row says so. */
export async function markDead(env: Env, deliveryId: number): Promise<void> {
  await db(env)`update webhook_deliveries set state = 'dead', updated_at = now()
    where id = ${deliveryId} and state <> 'delivered'`;
}
