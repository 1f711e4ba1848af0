// The audit log end to end (issue 13): every merchant and admin write leaves one append-only row with who, role,
// action, target, before and after, request id, address and time; GET /v1/admin/audit filters and pages them; a
// write whose audit entry cannot be recorded does not happen, for Postgres writes and Durable Object writes alike.
import { afterAll, describe, expect, it } from 'vitest';
import type { paths } from '../../lib/client';
import { freshSku, guestToken, inventory } from './checkout-helpers';
import { client, devAccountToken, freshIp, insertProduct, merchantToken, ok, primary, uniqueWord } from './helpers';
import { expectError, registered } from './identity-helpers';
import { startReceiver } from './notify-helpers';

type AuditQuery = NonNullable<paths['/v1/admin/audit']['get']['parameters']['query']>;

const audit = async (query: AuditQuery, token?: string) =>
  client(token ?? (await merchantToken())).GET('/v1/admin/audit', { params: { query } });

const merchantEmail = 'merchant@storefront.local';

async function patchTitle(slug: string, title: string, ip?: string) {
  return client(await merchantToken(), ip).PATCH('/v1/admin/products/{slug}', {
    params: { path: { slug } },
    body: { title },
  });
}

async function setStockAsMerchant(sku: string, onHand: number) {
  return client(await merchantToken()).PUT('/v1/admin/inventory/{sku}', {
    params: { path: { sku } },
    body: { onHand },
  });
}

const productIdOf = async (slug: string) =>
  (await primary<{ id: string }>('select id from products where slug = $1', [slug]))[0]!.id;

describe('audit entries of merchant writes', () => {
  it('records a product change with who, role, before and after, the request id and the address', async () => {
    const slug = await insertProduct({ title: 'Audited lamp' });
    const id = await productIdOf(slug);
    const ip = freshIp();
    const answer = await patchTitle(slug, 'Audited lamp, renamed', ip);
    expect(answer.response.status).toBe(200);
    const page = await ok('audit', audit({ targetType: 'product', targetId: id }));
    expect(Object.keys(page).sort()).toEqual(['items', 'nextCursor']);
    expect(page.items).toHaveLength(1);
    const [entry] = page.items;
    expect(entry).toMatchObject({
      actor: { email: merchantEmail, role: 'merchant' },
      action: 'product.update',
      target: { type: 'product', id },
      before: { title: 'Audited lamp', slug },
      after: { title: 'Audited lamp, renamed', slug },
      outcome: 'succeeded',
      error: null,
      requestId: answer.response.headers.get('x-request-id'),
      address: ip,
    });
    expect(Date.now() - Date.parse(entry!.at)).toBeLessThan(60_000);
    // The variants travel with the product's state; the columns derived from others do not.
    expect((entry!.after as { variants: unknown[] }).variants).toHaveLength(1);
    for (const derived of ['search', 'brand_key', 'facet_keys', 'facet_labels', 'facet_combos'])
      expect(entry!.after, derived).not.toHaveProperty(derived);
  });

  it('records stock changes made by the InventoryDO, and a refused one as failed with nothing changed', async () => {
    const sku = await freshSku(5);
    expect((await setStockAsMerchant(sku, 12)).response.status).toBe(200);
    const refused = await client(await merchantToken()).POST('/v1/admin/inventory/{sku}/adjustments', {
      params: { path: { sku } },
      body: { delta: -50, reason: 'shrinkage' },
    });
    expect(refused.response.status).toBe(409);
    const page = await ok('audit', audit({ targetType: 'sku', targetId: sku }));
    const [adjust, set] = page.items;
    expect(set).toMatchObject({
      action: 'stock.set',
      before: { inventory: { onHand: 5 } },
      after: { inventory: { onHand: 12, sku }, change: { onHand: 12 } },
      outcome: 'succeeded',
    });
    expect(adjust).toMatchObject({
      action: 'stock.adjust',
      before: { inventory: { onHand: 12 } },
      after: null,
      outcome: 'failed',
      error: expect.stringMatching(/^STOCK_BELOW_COMMITTED/),
    });
    expect(await inventory(sku)).toMatchObject({ onHand: 12 });
  });

  it('writes no entry for a refused or invalid request', async () => {
    const before = await primary<{ n: string }>('select count(*) as n from audit_log');
    const missing = await patchTitle(`no-such-product-${uniqueWord()}`, 'Anything');
    expect(missing.response.status).toBe(404);
    const bad = await setStockAsMerchant('NOT-A-REAL-SKU-X', -1);
    expect(bad.response.status).toBe(400);
    const shopper = await client(await guestToken()).PUT('/v1/admin/inventory/{sku}', {
      params: { path: { sku: 'ANY-SKU' } },
      body: { onHand: 1 },
    });
    expect(shopper.response.status).toBe(403);
    const after = await primary<{ n: string }>('select count(*) as n from audit_log');
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});

describe('GET /v1/admin/audit', () => {
  it('filters by actor, action, target and time, and pages with keyset cursors', async () => {
    const started = new Date().toISOString();
    const slugs = [await insertProduct({ title: 'Paged one' }), await insertProduct({ title: 'Paged two' })];
    for (const [i, slug] of slugs.entries()) {
      for (const n of [1, 2]) expect((await patchTitle(slug, `Paged ${i}-${n}`)).response.status).toBe(200);
    }
    const mine = { actor: merchantEmail, action: 'product.update', from: started } as const;
    const all = await ok('audit', audit({ ...mine, limit: 200 }));
    expect(all.items.length).toBeGreaterThanOrEqual(4);
    expect(all.items.every((e) => e.action === 'product.update' && e.actor.email === merchantEmail)).toBe(true);
    // Newest first, and paging one at a time walks the same entries with no repeat.
    const walked: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await ok('page', audit({ ...mine, limit: 1, cursor }));
      walked.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
      if (!cursor) break;
    }
    expect(walked.slice(0, 4)).toEqual(all.items.slice(0, 4).map((e) => e.id));
    expect(new Set(walked).size).toBe(walked.length);
    const ids = all.items.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    // The actor by id too, and an action prefix.
    const sub = all.items[0]!.actor.sub;
    expect((await ok('by sub', audit({ actor: sub, from: started, action: 'product.*' }))).items.length).toBe(
      all.items.length,
    );
    // A window that ended before the writes holds none of them.
    const early = await ok('early', audit({ ...mine, from: '2020-01-01T00:00:00Z', to: started }));
    expect(early.items.filter((e) => Date.parse(e.at) >= Date.parse(started))).toEqual([]);
    expect((await ok('nobody', audit({ actor: 'nobody@example.com', from: started }))).items).toEqual([]);
  });

  it('is for merchants and admins: 401 without a token, 403 for shoppers', async () => {
    expectError(await client().GET('/v1/admin/audit', { params: { query: {} } }), 401, 'UNAUTHORIZED');
    expectError(await audit({}, await guestToken()), 403, 'FORBIDDEN');
    expectError(await audit({}, (await registered()).accessToken), 403, 'FORBIDDEN');
  });

  it('refuses bad filters with a 400 naming them', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ action: 'DROP TABLE' }, /action/],
      [{ from: 'yesterday' }, /from/],
      [{ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, /from must be before to/],
      [{ cursor: 'abc' }, /cursor/],
      [{ limit: '0' }, /limit/],
      [{ targetId: 'x' }, /targetId needs targetType/],
      [{ whom: 'x' }, /whom/],
    ];
    for (const [query, message] of cases) {
      const answer = await audit(query as AuditQuery);
      expectError(answer, 400, 'VALIDATION_FAILED');
      expect(answer.error?.error.message).toMatch(message);
    }
  });
});

describe('the audit log is append-only and a write without its entry does not happen', () => {
  // A test-only trick: a trigger that makes every audit insert fail, as a full disk or a revoked grant would.
  const refuse = async () => {
    await primary(`create or replace function audit_log_refuse_for_test() returns trigger language plpgsql as $$
      begin raise exception 'audit refused by the test' using table = 'audit_log'; end $$`);
    await primary(`create trigger audit_log_refuse_for_test before insert on audit_log
      for each row execute function audit_log_refuse_for_test()`);
  };
  const allow = () => primary('drop trigger if exists audit_log_refuse_for_test on audit_log');
  afterAll(allow);

  it('refuses UPDATE, DELETE and TRUNCATE of entries in the database itself', async () => {
    const slug = await insertProduct({ title: 'Kept in the log' });
    expect((await patchTitle(slug, 'Kept in the log 2')).response.status).toBe(200);
    const [row] = await primary<{ id: string }>(
      `select id from audit_log where target_id = $1 order by id desc limit 1`,
      [await productIdOf(slug)],
    );
    for (const statement of [
      `update audit_log set action = 'product.delete' where id = ${row!.id}`,
      `update audit_log set outcome = 'failed' where id = ${row!.id}`,
      `delete from audit_log where id = ${row!.id}`,
      'truncate audit_log',
    ]) {
      await expect(primary(statement), statement).rejects.toThrow(/append-only/);
    }
    expect(await primary('select action from audit_log where id = $1', [row!.id])).toEqual([
      { action: 'product.update' },
    ]);
  });

  it('makes neither the product change nor the stock change when the entry cannot be written', async () => {
    const slug = await insertProduct({ title: 'Unchanged without audit' });
    const sku = await freshSku(4);
    const entries = await primary<{ n: string }>('select count(*) as n from audit_log');
    await refuse();
    try {
      const patch = await patchTitle(slug, 'Changed without audit');
      expectError(patch, 503, 'AUDIT_UNAVAILABLE');
      const stock = await setStockAsMerchant(sku, 40);
      expectError(stock, 503, 'AUDIT_UNAVAILABLE');
    } finally {
      await allow();
    }
    expect(await primary('select title from products where slug = $1', [slug])).toEqual([
      { title: 'Unchanged without audit' },
    ]);
    expect(await inventory(sku)).toMatchObject({ onHand: 4 });
    expect(await primary<{ n: string }>('select count(*) as n from audit_log')).toEqual(entries);
    // And with the log back, the same change goes through and is recorded.
    expect((await patchTitle(slug, 'Changed with audit')).response.status).toBe(200);
  });

  it('replays no dead letter when the entry cannot be written: no delivery revived, nothing sent', async () => {
    const receiver = await startReceiver();
    const merchant = client(await merchantToken());
    const made = await merchant.POST('/v1/admin/webhooks', {
      body: { url: receiver.url('/replayed'), events: ['order.paid'], description: 'audit replay test' },
    });
    expect(made.response.status, JSON.stringify(made.error)).toBe(201);
    const endpointId = made.data!.endpoint.id;
    try {
      // A delivery the Queue gave up on, and its dead letter, as the DLQ consumer leaves them.
      const eventId = `evt_${uniqueWord()}:paid`;
      const [delivery] = await primary<{ id: string }>(
        `insert into webhook_deliveries (endpoint_id, event_id, event_type, body, state, attempts)
         values ($1, $2, 'order.paid', $3, 'dead', 4) returning id`,
        [endpointId, eventId, JSON.stringify({ id: eventId, type: 'order.paid', data: {} })],
      );
      const letterId = `dl-${uniqueWord()}`;
      await primary(
        `insert into notification_dead_letters (id, type, subject, body, attempts)
         values ($1, 'delivery', $2, $3::jsonb, 4)`,
        [letterId, delivery!.id, JSON.stringify({ type: 'delivery', deliveryId: Number(delivery!.id) })],
      );
      const entries = await primary<{ n: string }>('select count(*) as n from audit_log');
      await refuse();
      try {
        const replay = await client(await devAccountToken('admin')).POST(
          '/v1/admin/notifications/dead-letters/replay',
          { body: { ids: [letterId] } },
        );
        expectError(replay, 503, 'AUDIT_UNAVAILABLE');
      } finally {
        await allow();
      }
      expect(await primary('select state from webhook_deliveries where id = $1', [delivery!.id])).toEqual([
        { state: 'dead' },
      ]);
      expect(
        await primary('select replayed_at, replays from notification_dead_letters where id = $1', [letterId]),
      ).toEqual([{ replayed_at: null, replays: 0 }]);
      expect(await primary<{ n: string }>('select count(*) as n from audit_log')).toEqual(entries);
      // Had the message gone to the Queue, the consumer would have posted it within a second or two.
      await new Promise((r) => setTimeout(r, 4000));
      expect(receiver.received('/replayed', eventId)).toEqual([]);
    } finally {
      await merchant.DELETE('/v1/admin/webhooks/{id}', { params: { path: { id: endpointId } } });
      await receiver.stop();
    }
  });
});
