// The merchant's operations on orders, for CheckoutOps: an order lives in its shopper's OrdersDO, so the order id is
// first turned into its owner through the Postgres copy (the primary: an order is there once its first version was
// written, about a second after its payment, or after ORDER_PUBLISH_DELAY_MS while it waits for it), then the owner's object does the work. Stuck tasks are found
// through the outbox figures: each OrdersDO reports its failing tasks' count to a MetricsDO shard, which names the
// objects to ask.
import type { z } from 'zod';
import { OUTBOX_SHARDS } from '../../../durable-objects/metrics/metrics.do';
import type { OrdersDO } from '../../../durable-objects/orders/orders.do';
import {
  type AdminOrder,
  AdminOrderId,
  CancelBody,
  FulfilBody,
  RefundBody,
  StuckTaskQuery,
  TaskRef,
} from '../../../lib/checkout/admin-schemas';
import { canonical, sha256 } from '../../../lib/checkout/fingerprint';
import { IdempotencyKey } from '../../../lib/checkout/schemas';
import type { OrderActor, RefundAnswer, StuckTaskInfo } from '../../../lib/contracts/admin-orders';
import { pgBreaker } from '../../../lib/db/breaker';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { isDbUnavailable, mapDbError } from '../../../lib/db/errors';
import { AppError, validationError } from '../../../lib/errors';
import { log } from '../../../lib/log';
import { withTimeout } from '../../../lib/resilience';
import { type RpcResult, unwrap } from '../../../lib/rpc';
import { traced } from '../../../lib/trace';

type Env = CheckoutEnv & DbEnv;

/** A merchant's call waits for its OrdersDO at most this long (a refund includes one Stripe call). */
const DO_TIMEOUT_MS = 20_000;
/** The object's answer, typed as the object declares it (a stub's RPC types do not carry it through). */
const bounded = <T>(p: PromiseLike<unknown>, what: string) =>
  withTimeout(Promise.resolve(p) as Promise<RpcResult<T>>, DO_TIMEOUT_MS, what);

function parse<S extends z.ZodType>(schema: S, where: string, v: unknown): z.output<S> {
  const r = schema.safeParse(v);
  if (!r.success) throw validationError(where, r.error.issues);
  return r.data;
}

/** The shopper whose OrdersDO holds the order, from the Postgres copy. */
async function ownerOf(env: Env, orderId: string): Promise<string> {
  const settings = dbSettings(env);
  let rows: { owner_sub: string }[];
  try {
    rows = (await pgBreaker.run(
      () => sqlClient(settings.DATABASE_URL, settings).query('select owner_sub from orders where id = $1', [orderId]),
      isDbUnavailable,
    )) as { owner_sub: string }[];
  } catch (err) {
    mapDbError(err);
  }
  if (!rows[0]) throw new AppError('NOT_FOUND', 'No such order.');
  return rows[0].owner_sub;
}

const stubOf = (env: Env, sub: string) => traced(env.ORDERS.get(env.ORDERS.idFromName(sub)));

async function orderObject(env: Env, id: unknown) {
  const { id: orderId } = parse(AdminOrderId, 'path', { id });
  return { orderId, stub: stubOf(env, await ownerOf(env, orderId)) };
}

export async function adminOrder(env: Env, id: unknown) {
  const { orderId, stub } = await orderObject(env, id);
  return unwrap(await bounded<{ order: AdminOrder }>(stub.adminOrder(orderId), 'OrdersDO adminOrder'));
}

export async function cancelOrder(env: Env, id: unknown, body: unknown, actor: OrderActor) {
  const parsed = parse(CancelBody, 'body', body ?? {});
  const { orderId, stub } = await orderObject(env, id);
  return unwrap(
    await bounded<{ order: AdminOrder }>(stub.adminCancel({ orderId, body: parsed, actor }), 'OrdersDO adminCancel'),
  );
}

export async function fulfilOrder(env: Env, id: unknown, body: unknown, actor: OrderActor) {
  const parsed = parse(FulfilBody, 'body', body);
  const { orderId, stub } = await orderObject(env, id);
  return unwrap(
    await bounded<{ order: AdminOrder }>(stub.adminFulfil({ orderId, body: parsed, actor }), 'OrdersDO adminFulfil'),
  );
}

export async function refundOrder(env: Env, id: unknown, key: unknown, body: unknown, actor: OrderActor) {
  if (key === undefined || key === null || key === '')
    throw new AppError('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header: a new one per refund.');
  const idempotencyKey = parse(IdempotencyKey, 'headers', key);
  const parsed = parse(RefundBody, 'body', body);
  const { orderId, stub } = await orderObject(env, id);
  const requestHash = await sha256(canonical(parsed));
  const call = { orderId, key: idempotencyKey, requestHash, body: parsed, actor };
  return unwrap(await bounded<RefundAnswer>(stub.adminRefund(call), 'OrdersDO adminRefund'));
}

/** The failing tasks of every OrdersDO the outbox figures name, most attempts first. */
export async function stuckTasks(env: Env, query: unknown): Promise<{ tasks: StuckTaskInfo[] }> {
  const q = parse(StuckTaskQuery, 'query', query ?? {});
  const sources = (
    await Promise.all(
      Array.from({ length: OUTBOX_SHARDS }, (_, i) =>
        withTimeout(
          env.METRICS.get(env.METRICS.idFromName(`outbox-${i}`)).failingSources(q.limit),
          5000,
          'outbox failing sources',
        ),
      ),
    )
  ).flat();
  // One slow or broken OrdersDO leaves its tasks out of the list (logged), not the whole list failed.
  const answers = await Promise.allSettled(
    sources.map(async (source) =>
      unwrap(
        await bounded<{ tasks: StuckTaskInfo[] }>(
          traced(env.ORDERS.get(env.ORDERS.idFromString(source))).stuckTasks(q.minAttempts, q.limit),
          'OrdersDO stuckTasks',
        ),
      ),
    ),
  );
  const tasks = answers.flatMap((a, i) => {
    if (a.status === 'fulfilled') return a.value.tasks;
    log.warn('stuck tasks of an OrdersDO not listed', { source: sources[i], error: String(a.reason) });
    return [];
  });
  tasks.sort((a, b) => b.attempts - a.attempts || a.id.localeCompare(b.id));
  return { tasks: tasks.slice(0, q.limit) };
}

/** The OrdersDO and row a task id names; an id this namespace never made is simply not found. */
function taskObject(env: Env, ref: unknown): { stub: DurableObjectStub<OrdersDO>; row: number } {
  const { id } = parse(TaskRef, 'path', { id: ref });
  const [objectId, row] = id.split('.') as [string, string];
  let doId: DurableObjectId;
  try {
    doId = env.ORDERS.idFromString(objectId);
  } catch {
    throw new AppError('NOT_FOUND', 'No such task.');
  }
  return { stub: traced(env.ORDERS.get(doId)), row: Number(row) };
}

export async function retryTask(env: Env, ref: unknown) {
  const { stub, row } = taskObject(env, ref);
  return unwrap(await bounded<{ task: StuckTaskInfo | null }>(stub.retryTask(row), 'OrdersDO retryTask'));
}

export async function giveUpTask(env: Env, ref: unknown, actor: OrderActor) {
  const { stub, row } = taskObject(env, ref);
  return unwrap(await bounded<{ task: null }>(stub.giveUpTask(row, actor), 'OrdersDO giveUpTask'));
}
