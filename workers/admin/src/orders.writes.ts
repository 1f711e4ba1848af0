// The merchant's writes to orders and the admin's to stuck tasks, each audited (audit.ts, auditedCall): the input
// is checked first (bad input is a 4xx with no audit row and no change), the order's state before is read from its
// OrdersDO, the `pending` audit row is committed, and only then does CheckoutOps make the change in the order's
// object; the row then records the outcome and the order's state after.
import type { z } from 'zod';
import {
  type AdminOrder,
  AdminOrderId,
  CancelBody,
  FulfilBody,
  RefundBody,
  TaskRef,
} from '../../../lib/checkout/admin-schemas';
import { IdempotencyKey } from '../../../lib/checkout/schemas';
import type { Actor } from '../../../lib/contracts/admin';
import { createDb, type DbEnv } from '../../../lib/db/client';
import { AppError, validationError } from '../../../lib/errors';
import { unwrap } from '../../../lib/rpc';
import { auditedCall } from './audit';
import { checkoutOps } from './checkout-ops';

type Env = AdminEnv & DbEnv;

export function parseInput<S extends z.ZodType>(schema: S, where: string, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(where, parsed.error.issues);
  return parsed.data;
}

/** What the audit log keeps of an order: its status, money refunded and refundable, and fulfilment. */
const orderState = (o: AdminOrder) => ({
  status: o.status,
  refunded: o.payment.refunded,
  refundable: o.refundable,
  fulfillment: o.fulfillment,
  refunds: o.refunds.map((r) => ({ id: r.id, amount: r.amount, status: r.status })),
});

const who = (actor: Actor) => ({ sub: actor.sub, role: actor.role });

/** An audited write to an order: its state before (which also 404s an unknown order before anything is logged). */
async function orderWrite<R extends { order: AdminOrder }>(
  env: Env,
  actor: Actor,
  action: string,
  orderId: string,
  write: () => Promise<R>,
  after: (r: R) => unknown = (r) => orderState(r.order),
): Promise<R> {
  const before = unwrap(await checkoutOps(env).order(orderId)).order;
  return auditedCall(
    () => createDb(env).$primary,
    actor,
    { action, target: { type: 'order', id: orderId }, before: orderState(before) },
    write,
    after,
  );
}

export async function cancelOrder(env: Env, actor: Actor, id: unknown, bodyInput: unknown) {
  const { id: orderId } = parseInput(AdminOrderId, 'path', { id });
  const body = parseInput(CancelBody, 'body', bodyInput ?? {});
  return orderWrite(env, actor, 'order.cancel', orderId, async () => ({
    order: unwrap(await checkoutOps(env).cancelOrder(orderId, body, who(actor))).order,
  }));
}

export async function fulfilOrder(env: Env, actor: Actor, id: unknown, bodyInput: unknown) {
  const { id: orderId } = parseInput(AdminOrderId, 'path', { id });
  const body = parseInput(FulfilBody, 'body', bodyInput);
  return orderWrite(env, actor, 'order.fulfil', orderId, async () => ({
    order: unwrap(await checkoutOps(env).fulfilOrder(orderId, body, who(actor))).order,
  }));
}

export async function refundOrder(env: Env, actor: Actor, id: unknown, key: unknown, bodyInput: unknown) {
  const { id: orderId } = parseInput(AdminOrderId, 'path', { id });
  if (key === undefined || key === null || key === '')
    throw new AppError('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header: a new one per refund.');
  const idempotencyKey = parseInput(IdempotencyKey, 'headers', key);
  const body = parseInput(RefundBody, 'body', bodyInput);
  return orderWrite(
    env,
    actor,
    'order.refund',
    orderId,
    async () => {
      const { refund, order, created } = unwrap(
        await checkoutOps(env).refundOrder(orderId, idempotencyKey, body, who(actor)),
      );
      return { refund, order, created };
    },
    (r) => ({ refund: r.refund, replayed: !r.created, order: orderState(r.order) }),
  );
}

/** Ops: run a stuck task now, or give it up; audited with the task's id as the target. */
export async function taskAction(env: Env, actor: Actor, action: 'retry' | 'give_up', id: unknown) {
  const { id: taskId } = parseInput(TaskRef, 'path', { id });
  return auditedCall(
    () => createDb(env).$primary,
    actor,
    { action: `task.${action}`, target: { type: 'task', id: taskId }, before: null },
    async () => {
      const ops = checkoutOps(env);
      const r = action === 'retry' ? await ops.retryTask(taskId) : await ops.giveUpTask(taskId, who(actor));
      return { task: unwrap(r).task };
    },
  );
}
