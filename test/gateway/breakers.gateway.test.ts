// MetricsDO `breakers` inside workerd: what the isolates of every worker push (lib/metrics/breaker-reports.ts) shows
// together per worker × breaker; a breaker reported open and then closed shows closed; a report of a breaker not
// closed that stops coming ages out after the stale bound (BREAKER_STALE_MS) rather than showing it open forever;
// an older push never replaces a newer one.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { BreakerSnapshot, BreakerState } from '../../lib/contracts/ops';
import { BREAKER_STALE_MS } from '../../lib/metrics/breaker-reports';

const object = () => env.METRICS.get(env.METRICS.idFromName(`breakers-${crypto.randomUUID()}`));
const snap = (name: string, state: BreakerState, at: number, extra: Partial<BreakerSnapshot> = {}) => ({
  name,
  state,
  since: new Date(at).toISOString(),
  failures: state === 'closed' ? 0 : 3,
  ...(state === 'open' ? { retryAt: new Date(at + 60_000).toISOString() } : {}),
  transitions: [],
  ...extra,
});

describe('MetricsDO breakers', () => {
  it("shows two isolates' and two workers' breakers together, the worst state per worker × breaker", async () => {
    const o = object();
    const now = Date.now();
    await o.pushBreakers({ worker: 'catalog', isolate: 'a', at: now, breakers: [snap('postgres', 'open', now)] });
    await o.pushBreakers({ worker: 'catalog', isolate: 'b', at: now, breakers: [snap('postgres', 'closed', now)] });
    await o.pushBreakers({
      worker: 'checkout',
      isolate: 'c',
      at: now,
      breakers: [snap('stripe', 'closed', now), snap('postgres', 'closed', now)],
    });
    const views = await o.breakers(BREAKER_STALE_MS);
    expect(views.map((v) => `${v.worker}/${v.name} ${v.state}`)).toEqual([
      'catalog/postgres open',
      'checkout/postgres closed',
      'checkout/stripe closed',
    ]);
    expect(views[0]!.isolates).toEqual({ closed: 1, open: 1, halfOpen: 0, stale: 0 });
    expect(views[0]!.retryAt).toBe(new Date(now + 60_000).toISOString());
  });

  it('shows a breaker reported open and then closed as closed, with both transitions', async () => {
    const o = object();
    const t0 = Date.now() - 10_000;
    const opened = { from: 'closed' as const, to: 'open' as const, at: new Date(t0).toISOString(), reason: 'down' };
    const closed = {
      from: 'half-open' as const,
      to: 'closed' as const,
      at: new Date(t0 + 5000).toISOString(),
      reason: 'ok',
    };
    await o.pushBreakers({
      worker: 'catalog',
      isolate: 'a',
      at: t0,
      breakers: [snap('postgres', 'open', t0, { transitions: [opened] })],
    });
    expect((await o.breakers(BREAKER_STALE_MS))[0]!.state).toBe('open');
    await o.pushBreakers({
      worker: 'catalog',
      isolate: 'a',
      at: t0 + 5000,
      breakers: [snap('postgres', 'closed', t0 + 5000, { transitions: [opened, closed] })],
    });
    // A push built earlier that arrives late changes nothing.
    await o.pushBreakers({ worker: 'catalog', isolate: 'a', at: t0 + 1, breakers: [snap('postgres', 'open', t0)] });
    const [v] = await o.breakers(BREAKER_STALE_MS);
    expect(v).toMatchObject({ state: 'closed', isolates: { closed: 1, open: 0, halfOpen: 0, stale: 0 } });
    expect(v!.transitions.map((t) => `${t.from}>${t.to}@${t.isolate}`)).toEqual([
      'closed>open@a',
      'half-open>closed@a',
    ]);
  });

  it('ages out a report of a breaker not closed that stops coming (stale, not open)', async () => {
    const o = object();
    const now = Date.now();
    const old = now - BREAKER_STALE_MS - 1000;
    await o.pushBreakers({ worker: 'checkout', isolate: 'gone', at: old, breakers: [snap('stripe', 'open', old)] });
    const [v] = await o.breakers(BREAKER_STALE_MS);
    expect(v).toMatchObject({ state: 'closed', isolates: { closed: 0, open: 0, halfOpen: 0, stale: 1 } });
    // Within the bound it still counts: an open breaker whose open time ended reads half-open, as the breaker would.
    const recent = now - BREAKER_STALE_MS + 5000;
    await o.pushBreakers({
      worker: 'checkout',
      isolate: 'alive',
      at: recent,
      breakers: [snap('stripe', 'open', recent)],
    });
    const [w] = await o.breakers(BREAKER_STALE_MS);
    expect(w).toMatchObject({ state: 'half-open', isolates: { closed: 0, open: 0, halfOpen: 1, stale: 1 } });
    expect(w!.since).toBe(new Date(recent + 60_000).toISOString());
  });
});
