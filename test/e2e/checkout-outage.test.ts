// Checkout while Postgres is down: orders keep being accepted (stock lives in the Durable Objects, the order
// waits in the Queue) and every accepted order lands in Postgres exactly once when it returns — through the
// consumer's retries, or from the dead-letter queue, where messages stay visible until an admin replays them.
// Replaying a dead letter several times (the same message delivered again and again) still makes one row.
import { afterEach, describe, expect, it } from 'vitest';
import {
  adminToken,
  checkout,
  freshSku,
  guestToken,
  inventory,
  pgOrderRows,
  shopperWith,
  waitForStatus,
} from './checkout-helpers';
import { client, eventually, ok, primary } from './helpers';
import { pgControl } from './pg-control';

let pgStopped = false;
afterEach(async () => {
  if (pgStopped) await pgControl('startAll');
  pgStopped = false;
});

async function stopPostgres() {
  await adminToken(); // signing in needs the database
  pgStopped = true;
  await pgControl('stopAll');
}
async function startPostgres() {
  await pgControl('startAll');
  pgStopped = false;
}

async function deadLetters(includeReplayed = false) {
  const query = { includeReplayed: includeReplayed ? ('true' as const) : ('false' as const) };
  return ok('dead letters', client(await adminToken()).GET('/v1/admin/dead-letters', { params: { query } }));
}

async function replay(ids?: string[]) {
  const body = ids ? { ids } : {};
  return (await ok('replay', client(await adminToken()).POST('/v1/admin/dead-letters/replay', { body }))).replayed;
}

describe('checkout while Postgres is down', () => {
  it('keeps accepting orders, and each lands in Postgres exactly once when it returns', async () => {
    const sku = await freshSku(40);
    const shoppers = await Promise.all(Array.from({ length: 8 }, () => shopperWith(sku, 2)));
    await stopPostgres();
    const answers = await Promise.all(shoppers.map((t) => checkout(t)));
    expect(answers.map((a) => a.response.status)).toEqual(Array(8).fill(202));
    const ids = answers.map((a) => a.data!.orderId);
    // The orders are there for their owners, and get paid, with no database at all.
    await Promise.all(ids.map((id, i) => waitForStatus(shoppers[i]!, id, 'paid', 15_000)));
    expect(await inventory(sku)).toMatchObject({ onHand: 40, held: 0, sold: 16, available: 24 });
    await new Promise((r) => setTimeout(r, 1500));
    await startPostgres();

    // Retries land them; anything that ran out of retries is in the dead-letter queue: replay it.
    await eventually(
      'every order in Postgres or in the dead-letter queue',
      async () => {
        const landed = new Set((await pgOrderRows(ids)).filter((o) => o.status === 'paid').map((o) => o.id));
        const dead = new Set((await deadLetters()).letters.map((l) => l.subject));
        return ids.every((id) => landed.has(id) || dead.has(id));
      },
      45_000,
      500,
    );
    const waiting = (await deadLetters()).letters.filter((l) => ids.includes(l.subject)).map((l) => l.id);
    if (waiting.length) await replay(waiting);
    const rows = await eventually(
      'all 8 paid in Postgres',
      async () => {
        const found = await pgOrderRows(ids);
        return found.length === 8 && found.every((o) => o.status === 'paid') ? found : false;
      },
      30_000,
      250,
    );
    expect(new Set(rows.map((r) => r.id)).size).toBe(8);
    const [lines] = await primary<{ n: string; q: string }>(
      'select count(*) as n, sum(quantity) as q from order_lines where order_id = any($1)',
      [ids],
    );
    expect(Number(lines!.n)).toBe(8);
    expect(Number(lines!.q)).toBe(16);
  }, 150_000);

  it('keeps what ran out of retries in the dead-letter queue, visible to admins and replayable, and a message replayed three times makes one order', async () => {
    const sku = await freshSku(5);
    const token = await shopperWith(sku, 1);
    const stranger = await guestToken();
    await stopPostgres();
    const r = await checkout(token);
    expect(r.response.status).toBe(202);
    const orderId = r.data!.orderId;
    await waitForStatus(token, orderId, 'paid', 15_000);

    // Four retries with backoff (test setting), then orders-dlq -> DeadLetterDO.
    const dead = await eventually(
      'the order in the dead-letter queue',
      async () => {
        const letters = (await deadLetters()).letters.filter((l) => l.subject === orderId);
        // One copy of the order, v3 (paid): the accepted version (v2) waited ORDER_PUBLISH_DELAY_MS, and the payment
        // landing meanwhile went in the same copy. (An older copy arriving last: test/inventory/orders.copy.test.ts.)
        return letters.some((l) => l.id === `${orderId}@3`) ? letters : false;
      },
      60_000,
      500,
    );
    expect(dead.map((l) => l.id)).toEqual([`${orderId}@3`]);
    expect(dead.every((l) => l.type === 'order.snapshot' && l.replayedAt === null)).toBe(true);
    // Ops only.
    expect((await client(stranger).GET('/v1/admin/dead-letters')).response.status).toBe(403);

    await startPostgres();
    expect(await pgOrderRows([orderId])).toEqual([]);
    const ids = dead.map((l) => l.id);
    for (let i = 0; i < 3; i++) expect((await replay(ids)).sort()).toEqual([...ids].sort());
    const [row] = await eventually(
      'the order in Postgres',
      async () => {
        const found = await pgOrderRows([orderId]);
        return found.length === 1 && found[0]!.status === 'paid' ? found : false;
      },
      30_000,
      250,
    );
    expect(row!.version).toBe(3);
    await new Promise((res) => setTimeout(res, 1500)); // let every replayed copy be consumed
    expect(await pgOrderRows([orderId])).toEqual([{ id: orderId, status: 'paid', version: 3 }]);
    expect(await primary('select sku, quantity from order_lines where order_id = $1', [orderId])).toEqual([
      { sku, quantity: 1 },
    ]);
    expect(await primary('select to_status from order_events where order_id = $1 order by seq', [orderId])).toEqual([
      { to_status: 'pending_payment' },
      { to_status: 'paid' },
    ]);
    const after = (await deadLetters(true)).letters.filter((l) => l.subject === orderId);
    expect(after.every((l) => l.replays === 3 && l.replayedAt !== null)).toBe(true);
    expect((await deadLetters()).letters.filter((l) => l.subject === orderId)).toEqual([]);
  }, 150_000);
});
