// InventoryDO driven directly inside workerd (the checkout worker's real bindings: env.INVENTORY is the
// InventoryDO namespace, env.ORDERS_QUEUE a real queue). HOLD_GRACE_SECONDS is 0 and the sync delay 50 ms here, so
// hold expiry and levels sends also happen on their own while the tests run.
// Here: the levels go to the orders queue in few messages, and a failed send is retried by the alarm and counted in
// the ops figures (business.outbox.levels) until it goes out.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { InventoryDO } from '../../durable-objects/inventory/inventory.do';
import { levelsSource } from '../../durable-objects/inventory/levels-report';
import { outboxShardName } from '../../durable-objects/metrics/metrics.do';
import type { NotificationMessage } from '../../lib/contracts/notifications';
import type { OrdersQueueMessage } from '../../lib/contracts/queue';
import { outboxFigures } from '../../workers/checkout/src/outbox';
import { alarmAt, freshSku, levelsOf, req, type Stub, stockOf, strip, syncState, waitFor } from './helpers';

describe('InventoryDO: levels sync to the orders queue', () => {
  /** Puts a recording (and, on demand, failing) queue in front of the real ORDERS_QUEUE of the live instance. */
  const spyOnSends = (stub: Stub) =>
    runInDurableObject(stub, (instance: InventoryDO) => {
      const self = instance as unknown as { env: CheckoutEnv };
      const real = self.env.ORDERS_QUEUE;
      const spy = { sent: [] as OrdersQueueMessage[], fail: false };
      const queue = {
        send: async (body: OrdersQueueMessage) => {
          if (spy.fail) throw new Error('queue unavailable (test)');
          await real.send(body);
          spy.sent.push(body);
        },
      };
      self.env = Object.create(self.env, { ORDERS_QUEUE: { value: queue } }) as CheckoutEnv;
      return spy;
    });
  const levelsSent = (spy: { sent: OrdersQueueMessage[] }) =>
    spy.sent.flatMap((m) => (m.type === 'inventory.levels' ? [m.levels] : []));

  it('a burst of changes goes out as few messages, the last with the final levels, and then nothing is pending', async () => {
    const sku = freshSku('sync');
    const stub = stockOf(sku);
    await stub.levels(sku); // the object is running
    const spy = await spyOnSends(stub);
    await stub.initialize(sku, 100);
    await Promise.all(Array.from({ length: 40 }, (_, i) => stub.reserve(sku, req(`h${i}`))));
    const final = strip(await levelsOf(stub, sku));
    expect(final.version).toBe(41);
    await waitFor(async () => levelsSent(spy).at(-1)?.version === final.version, 'the final levels to be sent');
    const versions = levelsSent(spy).map((l) => l.version);
    expect(versions.length).toBeLessThan(10); // 41 changes, batched by the 50 ms delay
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(levelsSent(spy).at(-1)).toEqual(final);
    // The same alarm run also copies the stock ledger's events to Postgres; nothing is pending once both are done.
    await waitFor(async () => (await syncState(stub)).sync_due_at === null, 'the alarm run to finish');
    expect(await syncState(stub)).toMatchObject({
      version: 41,
      synced_version: 41,
      sync_due_at: null,
      sync_failures: 0,
    });
    // Nothing changed: an alarm (the one for the holds' expiry) sends nothing.
    const count = spy.sent.length;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(spy.sent.length).toBe(count);
  });

  it('a failed send stays pending and is retried by the alarm until it goes out', async () => {
    const sku = freshSku('sync-fail');
    const stub = stockOf(sku);
    await stub.levels(sku);
    const spy = await spyOnSends(stub);
    spy.fail = true;
    // Both changes in one stretch, the alarm held back, so that the first send is the test's alarm run.
    await runInDurableObject(stub, (i: InventoryDO, state) => {
      i.initialize(sku, 3);
      i.reserve(sku, req('h1'));
      void state.storage.setAlarm(Date.now() + 3_600_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const failed = await syncState(stub);
    expect(failed).toMatchObject({ version: 2, synced_version: 0 });
    expect(failed.sync_failures).toBeGreaterThanOrEqual(1);
    expect(failed.sync_due_at).toBeGreaterThan(Date.now());
    expect(await alarmAt(stub)).toBe(failed.sync_due_at); // the retry comes before the hold's expiry
    expect(spy.sent).toEqual([]);

    spy.fail = false;
    await runDurableObjectAlarm(stub); // the retry (unless the scheduler has just run it)
    expect(levelsSent(spy).at(-1)).toEqual(strip(await levelsOf(stub, sku)));
    expect(await syncState(stub)).toMatchObject({ version: 2, synced_version: 2, sync_due_at: null, sync_failures: 0 });
  });

  it('a failed inventory.low send keeps the alarm armed and is retried until it goes out', async () => {
    const sku = freshSku('low-fail');
    const stub = stockOf(sku);
    await stub.levels(sku);
    const spy = await runInDurableObject(stub, (instance: InventoryDO) => {
      const self = instance as unknown as { env: CheckoutEnv };
      const spy = { sent: [] as NotificationMessage[], fail: true };
      const queue = {
        send: async (body: NotificationMessage) => {
          if (spy.fail) throw new Error('notifications queue unavailable (test)');
          spy.sent.push(body);
        },
      };
      self.env = Object.create(self.env, { NOTIFICATIONS: { value: queue } }) as CheckoutEnv;
      return spy;
    });
    // 3 on hand, at or below the threshold (5): low at once. The alarm held back, so the first send is the test's.
    await runInDurableObject(stub, (i: InventoryDO, state) => {
      i.initialize(sku, 3);
      void state.storage.setAlarm(Date.now() + 3_600_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const failed = await syncState(stub);
    // The levels and the ledger went out; only the inventory.low send failed.
    expect(failed).toMatchObject({ version: 1, synced_version: 1 });
    expect(failed.sync_failures).toBeGreaterThanOrEqual(1);
    expect(await alarmAt(stub)).toBe(failed.sync_due_at);
    expect(spy.sent).toEqual([]);

    spy.fail = false;
    await waitFor(async () => {
      await runDurableObjectAlarm(stub);
      return spy.sent.length === 1;
    }, 'the inventory.low retry');
    expect(spy.sent[0]).toMatchObject({ type: 'event', event: { type: 'inventory.low', data: { sku, available: 3 } } });
    expect(await syncState(stub)).toMatchObject({ sync_due_at: null, sync_failures: 0 });
  });

  it('a failed copy is counted in the ops outbox figures until it goes out; a healthy SKU reports nothing', async () => {
    const checkoutEnv = env as unknown as CheckoutEnv;
    const metricsRow = (sku: string) =>
      runInDurableObject(
        checkoutEnv.METRICS.get(checkoutEnv.METRICS.idFromName(outboxShardName(levelsSource(sku)))),
        (_, state) =>
          state.storage.sql
            .exec<{ failing: number; since: number | null; due_at: number | null }>(
              'select failing, since, due_at from levels where sku = ?',
              sku,
            )
            .toArray()[0],
      );
    const sku = freshSku('sync-report');
    const stub = stockOf(sku);
    await stub.levels(sku);
    const spy = await spyOnSends(stub);
    spy.fail = true;
    const changedFrom = Date.now();
    await runInDurableObject(stub, (i: InventoryDO, state) => {
      i.initialize(sku, 3);
      i.reserve(sku, req('h1'));
      void state.storage.setAlarm(Date.now() + 3_600_000);
    });
    const changedTo = Date.now();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await waitFor(async () => (await metricsRow(sku)) !== undefined, 'the failed copy reported');
    const reported = (await metricsRow(sku))!;
    expect(reported.failing).toBe(1);
    expect(reported.since).toBeGreaterThanOrEqual(changedFrom);
    expect(reported.since).toBeLessThanOrEqual(changedTo);
    expect(reported.due_at).toBe((await syncState(stub)).sync_due_at);
    const figures = await outboxFigures(checkoutEnv);
    expect(figures.levels.pending).toBeGreaterThanOrEqual(1);
    expect(figures.levels.failing).toBeGreaterThanOrEqual(1);
    expect(figures.levels.oldestPendingAt! <= new Date(reported.since!).toISOString()).toBe(true);

    // Copied at last: the report is taken back.
    spy.fail = false;
    await waitFor(async () => {
      await runDurableObjectAlarm(stub);
      return (await metricsRow(sku)) === undefined;
    }, 'the report taken back');
    expect(await syncState(stub)).toMatchObject({ synced_version: 2, sync_failures: 0, pending_since: null });

    // A SKU whose copies go out on schedule is never reported (no DO call per change).
    const healthy = freshSku('sync-healthy');
    const healthyStub = stockOf(healthy);
    await healthyStub.initialize(healthy, 3);
    await waitFor(async () => (await syncState(healthyStub)).sync_due_at === null, 'the healthy copy');
    await new Promise((r) => setTimeout(r, 200));
    expect(await metricsRow(healthy)).toBeUndefined();
  });
});
