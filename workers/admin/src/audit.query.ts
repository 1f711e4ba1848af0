// GET /v1/admin/audit: the audit log, newest first, filtered by actor, action, target and time, in keyset pages
// (the cursor is the last row's id). Read from the primary: an admin looking for the change just made must see it,
// and the filters each have an index (db/schema/audit.ts).
import { and, desc, eq, like, lt, or, type SQL, sql } from 'drizzle-orm';
import { auditLog } from '../../../db/schema';
import type { AuditQuery } from '../../../lib/admin/audit.schemas';
import type { AuditPage } from '../../../lib/contracts/admin';
import { createDb, type DbEnv } from '../../../lib/db/client';
import { mapDbError } from '../../../lib/db/errors';
import { isoFromPostgres } from '../../../lib/db/timestamps';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function auditPage(env: DbEnv, q: AuditQuery): Promise<AuditPage> {
  const where: SQL[] = [];
  if (q.actor) {
    where.push(
      UUID.test(q.actor)
        ? eq(auditLog.actorSub, q.actor.toLowerCase())
        : or(eq(auditLog.actorSub, q.actor), sql`lower(${auditLog.actorEmail}) = lower(${q.actor})`)!,
    );
  }
  if (q.action?.endsWith('.*')) where.push(like(auditLog.action, `${q.action.slice(0, -1).replaceAll('_', '\\_')}%`));
  else if (q.action) where.push(eq(auditLog.action, q.action));
  if (q.targetType) where.push(eq(auditLog.targetType, q.targetType));
  if (q.targetId) where.push(eq(auditLog.targetId, q.targetId));
  if (q.from) where.push(sql`${auditLog.at} >= ${q.from}::timestamptz`);
  if (q.to) where.push(sql`${auditLog.at} < ${q.to}::timestamptz`);
  if (q.cursor) where.push(lt(auditLog.id, Number(q.cursor)));
  let rows: (typeof auditLog.$inferSelect)[];
  try {
    rows = await createDb(env)
      .$primary.select()
      .from(auditLog)
      .where(and(...where))
      .orderBy(desc(auditLog.id))
      .limit(q.limit + 1);
  } catch (err) {
    mapDbError(err);
  }
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((r) => ({
      id: String(r.id),
      at: isoFromPostgres(r.at),
      actor: { sub: r.actorSub, email: r.actorEmail, role: r.actorRole },
      action: r.action,
      target: { type: r.targetType, id: r.targetId },
      before: r.before ?? null,
      after: r.after ?? null,
      outcome: r.outcome,
      error: r.error,
      requestId: r.requestId,
      address: r.clientAddress,
    })),
    nextCursor: rows.length > q.limit ? String(page.at(-1)!.id) : null,
  };
}
