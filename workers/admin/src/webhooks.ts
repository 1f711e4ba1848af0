// Merchants' webhook endpoints: register, list, change, delete, rotate the signing secret (each write audited in the
// same transaction as the change: auditedWrites; the audit row keeps a fingerprint of the secret, never the
// secret), the delivery log of an endpoint, and the notifications' dead letters (list, replay). An http URL is
// taken only for a loopback host and only where WEBHOOK_ALLOW_LOOPBACK is set (dev, tests).
import { and, desc, eq, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { notificationDeadLetters, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../../db/schema';
import {
  DeliveriesQuery,
  NotificationReplay,
  WebhookCreate,
  WebhookId,
  WebhookPatch,
} from '../../../lib/admin/webhooks.schemas';
import type { Actor } from '../../../lib/contracts/admin';
import type { NotificationMessage } from '../../../lib/contracts/notifications';
import { createDb, type DbEnv } from '../../../lib/db/client';
import { AppError } from '../../../lib/errors';
import { withTimeout } from '../../../lib/resilience';
import { receiverUrlProblem } from '../../../lib/webhooks/receiver-url';
import { auditedCall, auditedWrites } from './audit';
import { notifyConfig } from './notify.config';
import { parseInput } from './orders.writes';

type Env = AdminEnv & DbEnv;

const iso = (v: string) => new Date(v).toISOString();

const newSecret = () => {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
};

/** The endpoint as the audit log keeps it: no secret, only a fingerprint that changes when it is rotated. */
const state = (id: string): SQL => sql`(select jsonb_build_object('url', url, 'events', events,
  'description', description, 'enabled', enabled,
  'secretFingerprint', left(encode(sha256(convert_to(secret, 'UTF8')), 'hex'), 12))
  from ${webhookEndpoints} where id = ${id})`;

type EndpointRow = typeof webhookEndpoints.$inferSelect;
const view = (r: EndpointRow) => ({
  id: r.id,
  url: r.url,
  events: r.events,
  description: r.description,
  enabled: r.enabled,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

function checkUrl(env: Env, url: string | undefined) {
  const problem =
    url === undefined ? null : receiverUrlProblem(url, notifyConfig(env).WEBHOOK_ALLOW_LOOPBACK === 'true');
  if (problem) {
    throw new AppError('VALIDATION_FAILED', `url: ${problem}.`, {
      details: { issues: [{ path: 'url', message: problem }] },
    });
  }
}

const notFound = () => new AppError('NOT_FOUND', 'No such webhook endpoint.');

export async function createEndpoint(env: Env, actor: Actor, input: unknown) {
  const body = parseInput(WebhookCreate, 'body', input);
  checkUrl(env, body.url);
  const db = createDb(env).$primary;
  const id = crypto.randomUUID();
  const secret = newSecret();
  const [rows] = await auditedWrites(
    db,
    actor,
    { action: 'webhook.create', target: { type: 'webhook', id }, state: state(id) },
    [
      db
        .insert(webhookEndpoints)
        .values({
          id,
          url: body.url,
          events: body.events,
          description: body.description ?? null,
          enabled: body.enabled,
          secret,
        })
        .returning(),
    ] as const,
  );
  return { endpoint: view(rows[0]!), secret };
}

export async function listEndpoints(env: Env) {
  const rows = await createDb(env).$primary.select().from(webhookEndpoints).orderBy(webhookEndpoints.createdAt);
  return { endpoints: rows.map(view) };
}

async function existing(env: Env, id: string): Promise<EndpointRow> {
  const [row] = await createDb(env).$primary.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw notFound();
  return row;
}

export async function getEndpoint(env: Env, idInput: unknown) {
  return view(await existing(env, parseInput(WebhookId, 'path', { id: idInput }).id));
}

export async function updateEndpoint(env: Env, actor: Actor, idInput: unknown, input: unknown) {
  const { id } = parseInput(WebhookId, 'path', { id: idInput });
  const patch = parseInput(WebhookPatch, 'body', input);
  checkUrl(env, patch.url);
  const db = createDb(env).$primary;
  const [rows] = await auditedWrites(
    db,
    actor,
    { action: 'webhook.update', target: { type: 'webhook', id }, state: state(id) },
    [
      db
        .update(webhookEndpoints)
        .set({
          ...(patch.url !== undefined ? { url: patch.url } : {}),
          ...(patch.events !== undefined ? { events: patch.events } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          updatedAt: sql`now()`,
        })
        .where(eq(webhookEndpoints.id, id))
        .returning(),
    ] as const,
  );
  if (!rows[0]) throw notFound();
  return view(rows[0]);
}

export async function rotateSecret(env: Env, actor: Actor, idInput: unknown) {
  const { id } = parseInput(WebhookId, 'path', { id: idInput });
  const db = createDb(env).$primary;
  const secret = newSecret();
  const [rows] = await auditedWrites(
    db,
    actor,
    { action: 'webhook.rotate_secret', target: { type: 'webhook', id }, state: state(id) },
    [
      db.update(webhookEndpoints).set({ secret, updatedAt: sql`now()` }).where(eq(webhookEndpoints.id, id)).returning(),
    ] as const,
  );
  if (!rows[0]) throw notFound();
  return { endpoint: view(rows[0]), secret };
}

/** Deletes the endpoint and its delivery log; deliveries still queued find it gone and stop. */
export async function deleteEndpoint(env: Env, actor: Actor, idInput: unknown) {
  const { id } = parseInput(WebhookId, 'path', { id: idInput });
  const db = createDb(env).$primary;
  const [rows] = await auditedWrites(
    db,
    actor,
    { action: 'webhook.delete', target: { type: 'webhook', id }, state: state(id) },
    [db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id })] as const,
  );
  if (!rows[0]) throw notFound();
  return { deleted: id };
}

/** The endpoint's deliveries, newest first, each with every attempt. */
export async function deliveries(env: Env, idInput: unknown, queryInput: unknown) {
  const { id } = parseInput(WebhookId, 'path', { id: idInput });
  const q = parseInput(DeliveriesQuery, 'query', queryInput ?? {});
  await existing(env, id);
  const db = createDb(env).$primary;
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.endpointId, id), q.cursor ? lt(webhookDeliveries.id, Number(q.cursor)) : undefined))
    .orderBy(desc(webhookDeliveries.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const attempts = page.length
    ? await db
        .select()
        .from(webhookAttempts)
        .where(
          inArray(
            webhookAttempts.deliveryId,
            page.map((d) => d.id),
          ),
        )
        .orderBy(webhookAttempts.deliveryId, webhookAttempts.attempt)
    : [];
  return {
    deliveries: page.map((d) => ({
      id: String(d.id),
      eventId: d.eventId,
      eventType: d.eventType,
      state: d.state,
      createdAt: iso(d.createdAt),
      updatedAt: iso(d.updatedAt),
      attempts: attempts
        .filter((a) => a.deliveryId === d.id)
        .map((a) => ({
          attempt: a.attempt,
          statusCode: a.statusCode,
          latencyMs: a.latencyMs,
          error: a.error,
          at: iso(a.at),
        })),
    })),
    nextCursor: rows.length > q.limit ? String(page[page.length - 1]!.id) : null,
  };
}

export async function deadLetters(env: Env, includeReplayed: boolean) {
  const db = createDb(env).$primary;
  const rows = await db
    .select()
    .from(notificationDeadLetters)
    .where(includeReplayed ? undefined : isNull(notificationDeadLetters.replayedAt))
    .orderBy(desc(notificationDeadLetters.lastSeenAt))
    .limit(200);
  const [{ n }] = (await db
    .select({ n: sql<number>`count(*)::int` })
    .from(notificationDeadLetters)
    .where(isNull(notificationDeadLetters.replayedAt))) as [{ n: number }];
  return {
    letters: rows.map((r) => ({
      id: r.id,
      type: r.type,
      subject: r.subject,
      attempts: r.attempts,
      firstSeenAt: iso(r.firstSeenAt),
      lastSeenAt: iso(r.lastSeenAt),
      replayedAt: r.replayedAt ? iso(r.replayedAt) : null,
      replays: r.replays,
      body: r.body,
    })),
    waiting: n,
  };
}

/**
 * Sends dead letters back to `notifications` (the named ones, or every waiting one). Audited as a call (auditedCall),
 * not as one transaction: a Queue send cannot join a Postgres transaction, so the `pending` entry is committed
 * first and nothing is revived or sent if it cannot be. Each step makes its own client (a client's deadline runs
 * from its creation, and five Queue sends may outlast it).
 */
export async function replayDeadLetters(env: Env, actor: Actor, input: unknown) {
  const { ids } = parseInput(NotificationReplay, 'body', input ?? {});
  const primary = () => createDb(env).$primary;
  const rows = await primary()
    .select()
    .from(notificationDeadLetters)
    .where(ids ? inArray(notificationDeadLetters.id, ids) : isNull(notificationDeadLetters.replayedAt))
    .limit(500);
  if (rows.length === 0) return { replayed: [] as string[] };
  const replayed = rows.map((r) => r.id);
  const letters = (list: typeof rows) => list.map((r) => ({ id: r.id, replays: r.replays }));
  const replay = async () => {
    for (let i = 0; i < rows.length; i += 100) {
      const part = rows.slice(i, i + 100);
      // A dead delivery gets its retries back.
      const deliveryIds = part.flatMap((r) => {
        const b = r.body as NotificationMessage;
        return b.type === 'delivery' ? [b.deliveryId] : [];
      });
      if (deliveryIds.length)
        await primary()
          .update(webhookDeliveries)
          .set({ state: 'failing' })
          .where(and(inArray(webhookDeliveries.id, deliveryIds), eq(webhookDeliveries.state, 'dead')));
      await withTimeout(
        env.NOTIFICATIONS.sendBatch(
          part.map((r) => ({ body: r.body as NotificationMessage, contentType: 'json' as const })),
        ),
        5000,
        'notifications queue send',
      );
      // Per part: if a later send fails, the letters already sent say so and the rest still wait.
      await primary()
        .update(notificationDeadLetters)
        .set({ replayedAt: sql`now()`, replays: sql`${notificationDeadLetters.replays} + 1` })
        .where(
          inArray(
            notificationDeadLetters.id,
            part.map((r) => r.id),
          ),
        );
    }
    return letters(rows.map((r) => ({ ...r, replays: r.replays + 1 })));
  };
  await auditedCall(
    primary,
    actor,
    {
      action: 'notifications.replay',
      target: {
        type: 'notification_dead_letters',
        id: replayed.length === 1 ? replayed[0]! : `${replayed.length} letters`,
      },
      before: letters(rows),
    },
    replay,
  );
  return { replayed };
}
