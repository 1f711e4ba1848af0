// The `notifications` Queue consumer (and its dead-letter queue's): emails (notify.email.ts), store events fanned
// out to webhook endpoints and their deliveries (webhooks.deliver.ts). A batch's messages run concurrently; each is
// acked or retried on its own, a failure after NOTIFY_RETRY_BASE_SECONDS * 2^(attempt-1) (at most 12 h), so one
// failing endpoint never holds back another's deliveries or an email. After the consumer's max_retries the Queue
// moves the message to `notifications-dlq`, whose consumer keeps it in Postgres (`notification_dead_letters`),
// visible and replayable through the admin API. Why here and not in the checkout worker: everything it reads and
// writes (endpoints, the delivery and email logs) is the admin worker's Postgres data, and a slow merchant endpoint
// then never shares an isolate with checkouts.
import type { NotificationMessage } from '../../../lib/contracts/notifications';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { log } from '../../../lib/log';
import { withTrace } from '../../../lib/trace';
import { notifyConfig, notifyRetryDelay } from './notify.config';
import { LINK_NOT_KEPT, sendAccountEmailJob, sendEmailJob } from './notify.email';
import { DeliveryFailed, deliver, fanOut, markDead } from './webhooks.deliver';

type Env = AdminEnv & DbEnv;

export async function consumeNotifications(batch: MessageBatch<NotificationMessage>, env: Env): Promise<void> {
  const c = notifyConfig(env);
  await Promise.all(
    batch.messages.map((msg) =>
      withTrace(msg.body?.trace, async () => {
        try {
          const outcome = await handle(env, c, msg.body);
          if (outcome === 'duplicate' || outcome === 'busy')
            log.info('notification already handled or in hand', { subject: subjectOf(msg.body), outcome });
          if (outcome === 'busy') msg.retry({ delaySeconds: notifyRetryDelay(c, msg.attempts) });
          else msg.ack();
        } catch (err) {
          const delaySeconds = notifyRetryDelay(c, msg.attempts);
          (err instanceof DeliveryFailed ? log.warn : log.error)('notification failed; retrying', {
            id: msg.id,
            type: msg.body?.type,
            subject: subjectOf(msg.body),
            attempts: msg.attempts,
            delaySeconds,
            error: String(err),
          });
          msg.retry({ delaySeconds });
        }
      }),
    ),
  );
}

async function handle(env: Env, c: ReturnType<typeof notifyConfig>, body: NotificationMessage): Promise<string> {
  switch (body.type) {
    case 'email':
      return sendEmailJob(env, c, body);
    case 'account_email':
      return sendAccountEmailJob(env, c, body);
    case 'event':
      return `fanned out to ${await fanOut(env, body.event)}`;
    case 'delivery':
      return deliver(env, c, body.deliveryId);
    default:
      log.error('unknown notification message; dropped', { body });
      return 'unknown';
  }
}

export function subjectOf(body: NotificationMessage): string {
  switch (body?.type) {
    case 'email':
    case 'account_email':
      return body.key;
    case 'event':
      return body.event.id;
    case 'delivery':
      return String(body.deliveryId);
    default:
      return 'unknown';
  }
}

/**
 * What a dead letter keeps of a message: all of it, but an account email's link, whose token must not be stored
 * (only its hash is); the link has expired by the time anyone looks, and the shopper can ask for another.
 */
function keptBody(body: NotificationMessage): unknown {
  return body?.type === 'account_email' ? { ...body, link: LINK_NOT_KEPT } : body;
}

/** `notifications-dlq`: every message that ran out of retries is kept in Postgres, visible and replayable. */
export async function consumeNotificationDeadLetters(
  batch: MessageBatch<NotificationMessage>,
  env: Env,
): Promise<void> {
  const settings = dbSettings(env);
  const q = sqlClient(settings.DATABASE_URL, settings);
  await q.transaction(
    batch.messages.map(
      (m) => q`insert into notification_dead_letters (id, type, subject, body, attempts)
        values (${m.id}, ${m.body?.type ?? 'unknown'}, ${subjectOf(m.body)}, ${JSON.stringify(keptBody(m.body))}::jsonb,
          ${m.attempts})
        on conflict (id) do update set attempts = notification_dead_letters.attempts + excluded.attempts,
          last_seen_at = now(), replayed_at = null`,
    ),
  );
  for (const m of batch.messages) if (m.body?.type === 'delivery') await markDead(env, m.body.deliveryId);
  log.error('notifications dead-lettered', {
    count: batch.messages.length,
    subjects: batch.messages.map((m) => subjectOf(m.body)),
  });
  batch.ackAll();
}
