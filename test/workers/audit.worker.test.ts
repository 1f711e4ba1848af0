// The audit helpers of the admin worker (workers/admin/src/audit.ts) inside workerd against the stack's Postgres: a
// write and its audit row commit or roll back together; a Durable Object write is never made when its pending row
// cannot be written; a pending row moves to its outcome once, and the table refuses every other change.
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { products } from '../../db/schema';
import type { Actor } from '../../lib/contracts/admin';
import { createDb, type DbEnv, dbSettings, sqlClient } from '../../lib/db/client';
import { AppError } from '../../lib/errors';
import { auditedCall, auditedWrites } from '../../workers/admin/src/audit';

const dbEnv = env as unknown as DbEnv;
const raw = () => {
  const settings = dbSettings(dbEnv);
  return sqlClient(settings.DATABASE_URL, settings);
};
const actor: Actor = {
  sub: crypto.randomUUID(),
  role: 'merchant',
  requestId: crypto.randomUUID(),
  address: '2001:db8::7',
};

async function productWithTitle(title: string): Promise<string> {
  const slug = `audit-worker-${crypto.randomUUID().slice(0, 8)}`;
  await raw().query(
    // A draft in a leaf category: kept out of every catalog read other tests make.
    `insert into products (slug, title, description, brand, category_id, price_amount, currency, status)
     values ($1, $2, 'x', 'x', (select id from categories where slug = 'kitchen'), 100, 'USD', 'draft')`,
    [slug, title],
  );
  return slug;
}

const titleOf = async (slug: string) =>
  ((await raw().query('select title from products where slug = $1', [slug])) as { title: string }[])[0]?.title;
type Entry = { action: string; before: unknown; after: unknown; outcome: string; error: string | null };
const entriesOf = async (requestId: string) =>
  (await raw().query('select action, before, after, outcome, error from audit_log where request_id = $1 order by id', [
    requestId,
  ])) as Entry[];

const rename = (slug: string, title: string, action: string, who: Actor) => {
  const db = createDb(dbEnv).$primary;
  return auditedWrites(
    db,
    who,
    {
      action,
      target: { type: 'product', id: slug },
      state: sql`(select jsonb_build_object('title', title) from products where slug = ${slug})`,
    },
    [db.update(products).set({ title }).where(sql`${products.slug} = ${slug}`).returning({ title: products.title })],
  );
};

describe('auditedWrites', () => {
  it('commits the write with its entry, before and after read in the same transaction', async () => {
    const slug = await productWithTitle('Old title');
    const who = { ...actor, requestId: crypto.randomUUID() };
    const [rows] = await rename(slug, 'New title', 'product.update', who);
    expect(rows).toEqual([{ title: 'New title' }]);
    expect(await entriesOf(who.requestId)).toEqual([
      {
        action: 'product.update',
        before: { title: 'Old title' },
        after: { title: 'New title' },
        outcome: 'succeeded',
        error: null,
      },
    ]);
  });

  it('rolls the write back when its audit row is refused, and answers AUDIT_UNAVAILABLE', async () => {
    const slug = await productWithTitle('Kept title');
    const who = { ...actor, requestId: crypto.randomUUID() };
    // The table's CHECK refuses this action name: the audit insert fails inside the transaction.
    const err = await rename(slug, 'Lost title', 'Not An Action', who).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'AUDIT_UNAVAILABLE', status: 503 });
    expect(await titleOf(slug)).toBe('Kept title');
    expect(await entriesOf(who.requestId)).toEqual([]);
  });

  it('writes no entry for a write that changed nothing', async () => {
    const who = { ...actor, requestId: crypto.randomUUID() };
    const [rows] = await rename('no-such-product-slug', 'Anything', 'product.update', who);
    expect(rows).toEqual([]);
    expect(await entriesOf(who.requestId)).toEqual([]);
  });
});

describe('auditedCall (writes made by a Durable Object)', () => {
  it('never makes the call when the pending entry cannot be written', async () => {
    const who = { ...actor, requestId: crypto.randomUUID() };
    let called = false;
    const err = await auditedCall(
      () => createDb(dbEnv).$primary,
      who,
      { action: 'Bad Action', target: { type: 'sku', id: 'X-1' }, before: null },
      async () => {
        called = true;
        return { ok: true };
      },
    ).catch((e) => e);
    expect(err).toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    expect(called).toBe(false);
  });

  it('records the outcome once: succeeded with after, failed with the error code', async () => {
    const who = { ...actor, requestId: crypto.randomUUID() };
    const db = () => createDb(dbEnv).$primary;
    const subject = { action: 'stock.set', target: { type: 'sku', id: 'X-2' }, before: { onHand: 1 } };
    expect(await auditedCall(db, who, subject, async () => ({ onHand: 9 }))).toEqual({ onHand: 9 });
    const refusal = new AppError('STOCK_BELOW_COMMITTED', 'On hand cannot go below 3.');
    await expect(
      auditedCall(db, who, subject, async () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    const entries = await entriesOf(who.requestId);
    expect(entries).toEqual([
      { action: 'stock.set', before: { onHand: 1 }, after: { onHand: 9 }, outcome: 'succeeded', error: null },
      {
        action: 'stock.set',
        before: { onHand: 1 },
        after: null,
        outcome: 'failed',
        error: 'STOCK_BELOW_COMMITTED: On hand cannot go below 3.',
      },
    ]);
    // Resolved rows are final: the trigger refuses a second outcome.
    await expect(
      raw().query(`update audit_log set outcome = 'succeeded' where request_id = $1`, [who.requestId]),
    ).rejects.toThrow(/append-only/);
  });

  it('records the outcome of a call that outlasts the database deadline (a fresh client per step)', async () => {
    // The stack's deadline is shortened so that the call outlasts it: one client for both steps would abort.
    const shortEnv = { ...dbEnv, DB_TIMEOUT_MS: '600' } as DbEnv;
    const who = { ...actor, requestId: crypto.randomUUID() };
    const subject = { action: 'stock.set', target: { type: 'sku', id: 'X-3' }, before: { onHand: 1 } };
    const slow = async () => {
      await new Promise((r) => setTimeout(r, 900));
      return { onHand: 4 };
    };
    expect(await auditedCall(() => createDb(shortEnv).$primary, who, subject, slow)).toEqual({ onHand: 4 });
    expect(await entriesOf(who.requestId)).toEqual([
      { action: 'stock.set', before: { onHand: 1 }, after: { onHand: 4 }, outcome: 'succeeded', error: null },
    ]);
  });

  it('leaves the entry pending when the call ends without a definite answer (a timeout, a 5xx)', async () => {
    const who = { ...actor, requestId: crypto.randomUUID() };
    const subject = { action: 'stock.set', target: { type: 'sku', id: 'X-4' }, before: { onHand: 1 } };
    const db = () => createDb(dbEnv).$primary;
    const outage = new AppError('DB_UNAVAILABLE', 'The database is not answering.');
    await expect(auditedCall(db, who, subject, () => Promise.reject(outage))).rejects.toBe(outage);
    const lost = new Error('CheckoutOps did not answer within 5000 ms');
    await expect(auditedCall(db, who, subject, () => Promise.reject(lost))).rejects.toBe(lost);
    const entries = await entriesOf(who.requestId);
    expect(entries.map((e) => [e.outcome, e.after, e.error])).toEqual([
      ['pending', null, null],
      ['pending', null, null],
    ]);
  });
});
