// The audit log's one writer. Every merchant and admin write goes through one of two helpers, so that "a write whose
// audit entry cannot be recorded does not happen" (docs/admin.md#the-audit-log):
//  - auditedWrites: Postgres writes and their audit row in ONE transaction (a Neon HTTP batch is one transaction).
//    The target's state is read by SQL in that transaction before the first write and after the last; the row is
//    written only when they differ (a write that changed nothing, e.g. of a missing row, leaves no entry). If the
//    audit insert fails, the whole transaction rolls back.
//  - auditedCall: a write that goes to a Durable Object (stock, dead letters), which cannot join a Postgres
//    transaction. The audit row is inserted FIRST, in its own transaction, as `pending`; only once it is committed is
//    the object called; then the row is moved once to `succeeded` (with `after`) or `failed` (a definite refusal: an
//    AppError with a 4xx status, so nothing changed). Any other error (a timeout, a 5xx, a dropped binding) may
//    come after the write was made: the row stays `pending`, "outcome unknown". If the pending row cannot be
//    written, the object is never called: the write does not happen. The outcome is written with a NEW client
//    (a client's deadline runs from its creation, and the call may outlast it) and tried twice; if it still
//    cannot be recorded, the row stays `pending`. The table's trigger allows exactly that one update.
import { type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { auditLog } from '../../../db/schema';
import type { Actor } from '../../../lib/contracts/admin';
import type { Db } from '../../../lib/db/client';
import { mapDbError } from '../../../lib/db/errors';
import { AppError } from '../../../lib/errors';
import { log } from '../../../lib/log';
import { retry } from '../../../lib/resilience';

export type PrimaryDb = Db['$primary'];

export interface AuditSubject {
  /** "<thing>.<verb>": product.create, category.move, stock.set ... */
  action: string;
  /** What was written; `id` may be SQL evaluated in the transaction (e.g. the id of the product with a slug). */
  target: { type: string; id: string | SQL };
}

export interface AuditedChange extends AuditSubject {
  /** The target's state as one jsonb value (SQL null when it does not exist), read before and after the writes. */
  state: SQL;
  /** Run first, to lock what `state` reads (`select ... for update`), so `before` is what the writes replace. */
  lock?: SQL;
  /**
   * A jsonb object merged into `after` (a bulk import's file hash and counts): what the change was, where `state`
   * only says what it changed. Not part of the comparison: no change, no row, note or not.
   */
  note?: Record<string, unknown>;
}

// Transaction-local (set_config(..., true)): it dies with the transaction and never leaks to another request.
const BEFORE = 'storefront.audit_before';

const actorColumns = (actor: Actor) => sql`${actor.sub}, (select email from customers where id::text = ${actor.sub}),
  ${actor.role}, ${actor.requestId}, ${actor.address}`;

/** Whether the failure is the audit log's own (its table, constraints or trigger), not the audited write's. */
export function isAuditFailure(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue = [err];
  while (queue.length && seen.size < 8) {
    const e = queue.shift() as
      | { code?: unknown; table?: unknown; where?: unknown; constraint?: unknown; message?: unknown }
      | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    // Postgres' own fields only (a wrapper's message quotes the whole SQL, audit insert included).
    if (e.table === 'audit_log' || /audit_log/.test(`${e.where ?? ''} ${e.constraint ?? ''}`)) return true;
    if (typeof e.code === 'string' && /audit_log/.test(String(e.message ?? ''))) return true;
    queue.push((e as { cause?: unknown }).cause, (e as { sourceError?: unknown }).sourceError);
  }
  return false;
}

const auditRefused = (cause: unknown) =>
  new AppError('AUDIT_UNAVAILABLE', 'Nothing was changed: the audit entry of this change could not be recorded.', {
    retryAfter: 5,
    cause,
  });

/** An outage is a 503 DB_UNAVAILABLE, the audit log's own failure a 503 AUDIT_UNAVAILABLE; anything else as is. */
function rethrow(err: unknown): never {
  if (!(err instanceof AppError) && isAuditFailure(err)) {
    log.error('audit entry refused: the write was not made', { error: String(err) });
    throw auditRefused(err);
  }
  mapDbError(err);
}

type Results<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/**
 * `writes` and their audit row in one transaction; answers the writes' results. A failure of the audit insert rolls
 * the writes back and is answered 503 AUDIT_UNAVAILABLE; other database errors go to the caller unchanged (after
 * an outage became a 503), so it can name a conflict (a taken slug) by its constraint.
 */
export async function auditedWrites<const T extends readonly BatchItem<'pg'>[]>(
  db: PrimaryDb,
  actor: Actor,
  change: AuditedChange,
  writes: T,
): Promise<Results<T>> {
  const before = db.execute(sql`select set_config(${BEFORE}, coalesce((${change.state})::text, ''), true)`);
  const after = change.note === undefined ? sql`a.v` : sql`a.v || ${JSON.stringify(change.note)}::jsonb`;
  const record = db.execute(sql`insert into ${auditLog} (actor_sub, actor_email, actor_role, request_id,
      client_address, action, target_type, target_id, before, after, outcome)
    select ${actorColumns(actor)}, ${change.action}, ${change.target.type}, ${change.target.id},
      b.v, ${after}, 'succeeded'
    from (select nullif(current_setting(${BEFORE}, true), '')::jsonb as v) b, (select (${change.state}) as v) a
    where b.v is distinct from a.v`);
  const batch = [...(change.lock ? [db.execute(change.lock)] : []), before, ...writes, record] as unknown as [
    BatchItem<'pg'>,
    ...BatchItem<'pg'>[],
  ];
  try {
    const results = (await db.batch(batch)) as unknown[];
    return results.slice(change.lock ? 2 : 1, -1) as Results<T>;
  } catch (err) {
    rethrow(err);
  }
}

/** Whether `err` says the write was refused and nothing changed (a 4xx AppError), not that its outcome is unknown. */
export const isRefusal = (err: unknown) => err instanceof AppError && err.status >= 400 && err.status < 500;

/**
 * A write made by `call` (a Durable Object, through a binding), audited in three steps: a `pending` row committed
 * first (if that fails, `call` is never made), then `call`, then the row's outcome. `after` turns the call's answer
 * into what the row keeps; a refusal from `call` (isRefusal) is recorded as `failed` with its code, any other error
 * leaves the row `pending`; either is rethrown. `primary` makes a client: one per step, each with its own deadline.
 */
export async function auditedCall<R>(
  primary: () => PrimaryDb,
  actor: Actor,
  subject: AuditSubject & { before: unknown },
  call: () => Promise<R>,
  after: (result: R) => unknown = (r) => r,
): Promise<R> {
  let id: number;
  try {
    const [row] = await primary()
      .insert(auditLog)
      .values({
        actorSub: actor.sub,
        actorEmail: sql`(select email from customers where id::text = ${actor.sub})`,
        actorRole: actor.role,
        requestId: actor.requestId,
        clientAddress: actor.address,
        action: subject.action,
        targetType: subject.target.type,
        targetId: subject.target.id as string,
        before: subject.before ?? null,
        outcome: 'pending',
      })
      .returning({ id: auditLog.id });
    id = row!.id;
  } catch (err) {
    // Whatever stopped the entry (an outage included), the write is not made.
    if (err instanceof AppError) throw err;
    log.error('audit entry refused: the write was not made', { action: subject.action, error: String(err) });
    throw auditRefused(err);
  }
  const resolve = async (outcome: 'succeeded' | 'failed', value: unknown, error: string | null) => {
    const update = sql`update ${auditLog} set outcome = ${outcome}, after = ${JSON.stringify(value ?? null)}::jsonb,
            error = ${error} where id = ${id} and outcome = 'pending'`;
    try {
      // The update is idempotent (only a pending row moves), so a second try after a lost answer is harmless.
      await retry(() => primary().execute(update), { attempts: 2, baseMs: 50, maxMs: 200 });
    } catch (err) {
      // The write stands (or was refused) either way; the row says `pending`, i.e. "outcome not recorded".
      log.error('audit outcome not recorded', { auditId: id, outcome, error: String(err) });
    }
  };
  let result: R;
  try {
    result = await call();
  } catch (err) {
    if (isRefusal(err)) {
      const { code, message } = err as AppError;
      await resolve('failed', null, `${code}: ${message}`.slice(0, 500));
    } else {
      // A timeout or 5xx may come after the write was made: recording `failed` ("nothing changed") could be false.
      log.error('audited write ended without a definite answer: its entry stays pending', {
        auditId: id,
        action: subject.action,
        error: String(err),
      });
    }
    throw err;
  }
  await resolve('succeeded', after(result), null);
  return result;
}
