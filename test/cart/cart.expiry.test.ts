// CartDO expiry by alarm: after the idle time the alarm frees the storage, an early alarm keeps the cart, and
// reads and writes racing the alarm never find it half gone.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CartDO } from '../../durable-objects/cart/cart.do';
import type { CartResult, CartState } from '../../durable-objects/cart/types';
import { add, cartOf, freshName, LIMITS, remove, type Stub } from './helpers';

describe('CartDO: expiry by alarm', () => {
  const tables = (stub: Stub) =>
    runInDurableObject(stub, (_i: CartDO, state) =>
      state.storage.sql
        .exec<{ name: string }>(
          "select name from sqlite_master where type = 'table' and name not like '\\_cf\\_%' escape '\\' and name not like 'sqlite\\_%' escape '\\'",
        )
        .toArray()
        .map((r) => r.name)
        .sort(),
    );
  const alarmAt = (stub: Stub) => runInDurableObject(stub, (_i: CartDO, state) => state.storage.getAlarm());

  it('after the idle time, the alarm empties the cart and frees its storage; a later write recreates it', async () => {
    const stub = cartOf(freshName('expire'));
    const short = { ...LIMITS, ttlSeconds: 1 };
    const written = (await stub.apply(add('TST-1', 3), short)) as CartResult;
    expect(written.ok).toBe(true);
    const { expiresAt } = (written as { ok: true; cart: CartState }).cart;
    expect(expiresAt).not.toBeNull();
    expect(await alarmAt(stub)).toBe(expiresAt);
    expect(await tables(stub)).toEqual(['absorbed', 'checked_out', 'drain', 'drained_line', 'line', 'meta']);

    // Hold the alarm back past the expiry (so that the test, not the scheduler, runs it), then wait > 1 s.
    await runInDurableObject(stub, (_i: CartDO, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    await new Promise((r) => setTimeout(r, 1_300));
    expect(Date.now()).toBeGreaterThan(expiresAt!);
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await tables(stub)).toEqual([]); // storage freed: no table, no row
    expect(await alarmAt(stub)).toBeNull();
    expect(await stub.cart()).toEqual({ version: 0, currency: null, lines: [], expiresAt: null });
    expect(await runDurableObjectAlarm(stub)).toBe(false); // nothing left scheduled

    const again = (await stub.apply(add('TST-2', 1), LIMITS)) as CartResult;
    expect(again).toMatchObject({
      ok: true,
      cart: { version: 1, currency: 'USD', lines: [{ sku: 'TST-2', quantity: 1 }] },
    });
    expect(await tables(stub)).toEqual(['absorbed', 'checked_out', 'drain', 'drained_line', 'line', 'meta']);
    expect(await alarmAt(stub)).toBe((again as { ok: true; cart: CartState }).cart.expiresAt);
  });

  it('sets its alarm once, on the first write of an instance, not on every write (the alarm re-arms itself)', async () => {
    const stub = cartOf(freshName('alarm-once'));
    const first = (await stub.apply(add('TST-1', 1), LIMITS)) as { ok: true; cart: CartState };
    await new Promise((r) => setTimeout(r, 5));
    const second = (await stub.apply(add('TST-1', 1), LIMITS)) as { ok: true; cart: CartState };
    expect(second.cart.expiresAt).toBeGreaterThan(first.cart.expiresAt!);
    // The alarm stays at the first expiry; when it fires, it finds the later one and re-arms (the test below).
    expect(await alarmAt(stub)).toBe(first.cart.expiresAt);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await alarmAt(stub)).toBe(second.cart.expiresAt);
  });

  it('the alarm scheduled by a write fires on its own after the idle time', async () => {
    const stub = cartOf(freshName('expire-auto'));
    expect(await stub.apply(add('TST-1', 1), { ...LIMITS, ttlSeconds: 1 })).toMatchObject({ ok: true });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await tables(stub)).length > 0) await new Promise((r) => setTimeout(r, 100));
    expect(await tables(stub)).toEqual([]);
    expect(await stub.cart()).toEqual({ version: 0, currency: null, lines: [], expiresAt: null });
  });

  it('an alarm that fires before the expiry keeps the cart and re-arms for the real expiry', async () => {
    const stub = cartOf(freshName('early-alarm'));
    expect(await stub.apply(add('TST-1', 2), LIMITS)).toMatchObject({ ok: true });
    const before = (await stub.cart()) as CartState;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.cart()).toEqual(before);
    expect(await alarmAt(stub)).toBe(before.expiresAt);
    expect(await stub.apply(add('TST-1', 1), LIMITS)).toMatchObject({
      ok: true,
      cart: { version: 2, lines: [{ sku: 'TST-1', quantity: 3 }] },
    });
  });

  it('reads and refused writes racing the expiring alarm never find the tables half gone', async () => {
    const stub = cartOf(freshName('expire-race'));
    expect(await stub.apply(add('TST-1', 3), { ...LIMITS, ttlSeconds: 1 })).toMatchObject({ ok: true });
    await runInDurableObject(stub, (_i: CartDO, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    await new Promise((r) => setTimeout(r, 1_200));
    // Reads and writes that do not commit (so do not push the expiry out) around the alarm.
    const calls = Array.from({ length: 60 }, (_, i) =>
      (i % 2 ? stub.cart() : stub.apply(remove('TST-9'), LIMITS)).then(
        (v) => ({ v: v as CartState | CartResult }),
        (error: unknown) => ({ error: String(error) }),
      ),
    );
    const [ran, ...answers] = await Promise.all([runDurableObjectAlarm(stub), ...calls]);
    expect(ran).toBe(true);
    expect(answers.filter((a) => 'error' in a)).toEqual([]);
    for (const a of answers as { v: CartState | CartResult }[]) {
      if ('version' in a.v) expect([0, 1]).toContain(a.v.version);
      else expect(a.v).toEqual({ ok: false, reason: 'NOT_IN_CART', sku: 'TST-9' });
    }
    expect(await stub.cart()).toEqual({ version: 0, currency: null, lines: [], expiresAt: null });
  });
});
