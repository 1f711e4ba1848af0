// The rate-limit pieces in plain Node: the rule table, the refill arithmetic both stores share, the headers, and
// the global tier's behaviour with a store that is slow, failing or refusing (a fake store, real timers).
import { describe, expect, it } from 'vitest';
import type { LimitResult } from '../../../../durable-objects/rate-limiter/rate-limiter.do';
import { gatewayConfig } from '../config';
import { type Limiter, refillOf } from './backends';
import { rateHeaders } from './middleware';
import { classify, type Rule, routeClass, rules, storeWaitMs } from './rules';
import { GlobalStore } from './store';

const all = rules(gatewayConfig({}));
const customer = { sub: 'c1', role: 'customer' as const };

describe('the rule table', () => {
  it('names a rule and a key for each route class and tier', () => {
    expect(routeClass('POST', '/v1/auth/guest')).toBe('guestCreation');
    expect(routeClass('GET', '/v1/auth/guest')).toBe('browse');
    expect(routeClass('POST', '/v1/cart/items')).toBe('cart');
    expect(routeClass('POST', '/v1/checkout')).toBe('checkout');
    expect(classify(all, 'browse', '1.2.3.4', undefined)).toMatchObject({
      rule: { name: 'anonymous' },
      key: 'ip:1.2.3.4',
    });
    expect(classify(all, 'cart', '1.2.3.4', customer)).toMatchObject({ rule: { name: 'customer' }, key: 'sub:c1' });
    expect(classify(all, 'checkout', '1.2.3.4', customer)).toMatchObject({ rule: { name: 'checkout' }, key: 'sub:c1' });
    // Credential-grade rules count per address whoever calls: a token does not buy more guests or logins.
    expect(classify(all, 'guestCreation', '1.2.3.4', customer)).toMatchObject({
      rule: { name: 'guestCreation', failClosed: true },
      key: 'ip:1.2.3.4',
    });
    expect(classify(all, 'browse', '1.2.3.4', { sub: 'a', role: 'admin' }).rule.name).toBe('admin');
  });

  it('lets requests under a fail-open rule go on without the store; fail-closed rules wait for it', () => {
    const config = gatewayConfig({});
    expect(config.RATE_LIMIT_BROWSE_WAIT_MS).toBe(0);
    const waitOf = (cls: Parameters<typeof classify>[1], who?: typeof customer) =>
      storeWaitMs(classify(all, cls, '1.2.3.4', who).rule, config);
    for (const cls of ['browse', 'cart', 'webhook'] as const) expect(waitOf(cls, customer), cls).toBe(0);
    expect(waitOf('browse')).toBe(0);
    for (const cls of ['checkout', 'auth', 'guestCreation'] as const)
      expect(waitOf(cls, customer), cls).toBe(config.RATE_LIMIT_TIMEOUT_MS);
    // The tests' setting (the store's own count and headers for a burst) applies to every fail-open rule.
    const waiting = gatewayConfig({ RATE_LIMIT_BROWSE_WAIT_MS: '3000' });
    expect(storeWaitMs(all.guest, waiting)).toBe(3000);
    expect(storeWaitMs(all.checkout, waiting)).toBe(waiting.RATE_LIMIT_TIMEOUT_MS);
  });
});

describe('refill and headers', () => {
  it('turns a rate into whole tokens per whole milliseconds', () => {
    expect(refillOf({ limit: 120, windowSeconds: 60 })).toEqual({ refillRate: 1, intervalMs: 500 });
    expect(refillOf({ limit: 7, windowSeconds: 60 })).toEqual({ refillRate: 1, intervalMs: 8571 });
    expect(refillOf({ limit: 1_000_000_000, windowSeconds: 60 })).toEqual({ refillRate: 16667, intervalMs: 1 });
  });

  it('reports capacity, tokens left, seconds until full and the policy with its burst', () => {
    const rule: Rule = { name: 'anonymous', limit: 60, windowSeconds: 60, burst: 10, failClosed: false };
    const now = 1_000_000;
    // 7 of 10 left, next token in 400 ms, one a second: full after 0.4 + 2 s.
    expect(rateHeaders(rule, { success: true, limit: 10, remaining: 7, reset: now + 400 }, now)).toEqual({
      'ratelimit-limit': '10',
      'ratelimit-remaining': '7',
      'ratelimit-reset': '3',
      'ratelimit-policy': '60;w=60;burst=10',
    });
    const plain = { ...rule, burst: 60 };
    expect(rateHeaders(plain, { success: true, limit: 60, remaining: 60, reset: now }, now)).toMatchObject({
      'ratelimit-reset': '0',
      'ratelimit-policy': '60;w=60',
    });
  });
});

const rule: Rule = { name: 'auth', limit: 10, windowSeconds: 60, burst: 10, failClosed: true };
const ok: LimitResult = { success: true, limit: 10, remaining: 9, reset: Date.now() + 6000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeStore(answer: (key: string) => Promise<LimitResult>, batchMs = 0) {
  let calls = 0;
  const batches: string[][] = [];
  const backend: Limiter = {
    name: 'durable-object',
    limit: (_rule, key) => {
      calls++;
      return answer(key);
    },
    limitMany: async (checks) => {
      batches.push(checks.map((c) => c.key));
      return Promise.all(checks.map((c) => answer(c.key).catch((e: Error) => e)));
    },
  };
  const store = new GlobalStore(backend, {
    storeTimeoutMs: 100,
    breakerFailures: 2,
    breakerOpenMs: 1000,
    slowMs: 30,
    batchMs,
  });
  return { store, calls: () => calls, batches };
}
const held: Promise<unknown>[] = [];
const keep = (p: Promise<unknown>) => held.push(p);

describe('the global tier', () => {
  it('answers late (the edge verdict stands) when the store is slow, and then applies its refusal', async () => {
    const { store, calls } = fakeStore(async () => {
      await sleep(50);
      return { success: false, limit: 10, remaining: 0, reset: Date.now() + 5000 };
    });
    expect(await store.check(rule, 'k', 10, keep)).toEqual({ kind: 'late' });
    await Promise.all(held);
    // The late refusal now holds without another call, and a slow store did not open the breaker.
    expect(await store.check(rule, 'k', 10, keep)).toMatchObject({ kind: 'answer', result: { success: false } });
    expect(calls()).toBe(1);
    expect(store.breaker.state).toBe('closed');
  });

  it('does not count a store that never answers as failing: late, the breaker stays closed', async () => {
    const { store, calls } = fakeStore(() => new Promise<LimitResult>(() => {}));
    for (let i = 0; i < 4; i++) expect(await store.check(rule, `k${i}`, 150, keep)).toEqual({ kind: 'late' });
    expect(store.breaker.state).toBe('closed');
    expect(calls()).toBe(4);
  });

  it('opens the breaker on real failures (errors), then answers "down" without calling the store', async () => {
    const { store, calls } = fakeStore(() => Promise.reject(new Error('503 redis unavailable')));
    for (let i = 0; i < 2; i++) expect((await store.check(rule, `k${i}`, 150, keep)).kind).toBe('down');
    expect(store.breaker.state).toBe('open');
    const verdict = await store.check(rule, 'other', 150, keep);
    expect(verdict).toMatchObject({ kind: 'down' });
    expect(verdict.kind === 'down' && verdict.retryAfterMs).toBeGreaterThan(0);
    expect(calls()).toBe(2);
  });

  it('answers "unwaited" at once when nobody waits, and applies the refusal from the next request', async () => {
    const { store, calls } = fakeStore(async () => ({
      success: false,
      limit: 10,
      remaining: 0,
      reset: Date.now() + 5000,
    }));
    expect(await store.check(rule, 'u', 0, keep)).toEqual({ kind: 'unwaited' });
    await Promise.all(held);
    expect(await store.check(rule, 'u', 0, keep)).toMatchObject({ kind: 'answer', result: { success: false } });
    expect(calls()).toBe(1);
  });

  it('counts as degraded after a late answer, not while it answers in time', async () => {
    const fast = fakeStore(async () => ok);
    await fast.store.check(rule, 'k', 100, keep);
    expect(fast.store.degraded).toBe(false);
    const slow = fakeStore(() => new Promise<LimitResult>(() => {}));
    expect(await slow.store.check(rule, 'k', 10, keep)).toEqual({ kind: 'late' });
    expect(slow.store.degraded).toBe(true);
    // Nobody waits (browse), yet an answer slower than a waiting request's deadline marks it degraded too.
    const sluggish = fakeStore(async () => {
      await sleep(50);
      return ok;
    });
    expect(await sluggish.store.check(rule, 'k', 0, keep)).toEqual({ kind: 'unwaited' });
    expect(sluggish.store.degraded).toBe(false);
    await Promise.all(held);
    expect(sluggish.store.degraded).toBe(true);
  });

  it('gathers the checks nobody waits for into one store call, and applies each refusal from the next request', async () => {
    const refused = new Set(['b']);
    const { store, calls, batches } = fakeStore(
      async (key) => ({ success: !refused.has(key), limit: 10, remaining: 0, reset: Date.now() + 5000 }),
      20,
    );
    for (const key of ['a', 'b', 'c', 'b']) expect(await store.check(rule, key, 0, keep)).toEqual({ kind: 'unwaited' });
    expect(batches).toEqual([]); // not yet: the batch waits 20 ms for more
    await Promise.all(held);
    expect(batches).toEqual([['a', 'b', 'c', 'b']]);
    expect(calls()).toBe(0); // no call of its own for any of them
    expect(await store.check(rule, 'b', 0, keep)).toMatchObject({ kind: 'answer', result: { success: false } });
    // A check someone waits for is never gathered: its own call, answered now.
    expect(await store.check(rule, 'd', 100, keep)).toMatchObject({ kind: 'answer', result: { success: true } });
    expect(calls()).toBe(1);
    await Promise.all(held);
  });

  it('sends a full batch at once, and counts a batch whose every call failed as one failure', async () => {
    const full = fakeStore(async () => ok, 10_000);
    for (let i = 0; i < 100; i++) await full.store.check(rule, `k${i}`, 0, keep);
    // Sent when the 100th arrived, long before its 10 s window.
    await new Promise((r) => setTimeout(r, 0));
    expect(full.batches.map((b) => b.length)).toEqual([100]);
    const failing = fakeStore(() => Promise.reject(new Error('503 redis unavailable')), 5);
    for (let round = 0; round < 2; round++) {
      await failing.store.check(rule, `k${round}`, 0, keep);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(failing.batches.length).toBe(2);
    expect(failing.store.breaker.state).toBe('open');
    expect(failing.store.degraded).toBe(true);
  });

  it('passes the answer of a healthy store through', async () => {
    const { store } = fakeStore(async () => ok);
    expect(await store.check(rule, 'k', 100, keep)).toEqual({ kind: 'answer', result: ok });
  });
});
