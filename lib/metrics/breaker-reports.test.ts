import { afterEach, describe, expect, it } from 'vitest';
import type { BreakerPush } from '../contracts/ops';
import { CircuitBreaker, onBreakerActivity } from '../resilience';
import { reportBreakers } from './breaker-reports';

const fail = () => Promise.reject(new Error('down'));
const ok = () => Promise.resolve('ok');

function setup() {
  let clock = 1_000_000;
  const pushes: BreakerPush[] = [];
  const pending: Promise<unknown>[] = [];
  reportBreakers({
    worker: 'test',
    now: () => clock,
    waitUntil: (p) => pending.push(p),
    send: async (p) => {
      pushes.push(p);
    },
  });
  const settle = async () => {
    while (pending.length) await pending.shift();
  };
  return { pushes, settle, advance: (ms: number) => (clock += ms) };
}

describe('breaker reports', () => {
  afterEach(() => onBreakerActivity(undefined));

  it('pushes on first use and on each transition, never on a plain call of a closed breaker', async () => {
    const { pushes, settle } = setup();
    const b = new CircuitBreaker(`t-${Math.random()}`, { failureThreshold: 2, openMs: 60_000 });
    await b.run(ok);
    await settle();
    expect(pushes).toHaveLength(1);
    await b.run(ok);
    await b.run(fail).catch(() => {});
    await settle();
    expect(pushes).toHaveLength(1);
    await b.run(fail).catch(() => {});
    await settle();
    expect(pushes).toHaveLength(2);
    expect(pushes[1]!.breakers.find((x) => x.name === b.name)!.state).toBe('open');
    expect(pushes[1]!.isolate).toBe(pushes[0]!.isolate);
  });

  it('repeats the report of a breaker not closed at most every heartbeat, on its calls', async () => {
    const { pushes, settle, advance } = setup();
    const b = new CircuitBreaker(`t-${Math.random()}`, { failureThreshold: 1, openMs: 10 * 60_000 });
    await b.run(fail).catch(() => {});
    await settle();
    const before = pushes.length;
    await b.run(ok).catch(() => {}); // refused: open
    await settle();
    expect(pushes.length).toBe(before);
    advance(30_000);
    await b.run(ok).catch(() => {});
    await settle();
    expect(pushes.length).toBe(before + 1);
    expect(pushes.at(-1)!.at).toBe(pushes[before - 1]!.at + 30_000);
  });

  it('never throws into the call, and a failed push is retried by the next transition', async () => {
    const pushes: BreakerPush[] = [];
    let failing = true;
    const pending: Promise<unknown>[] = [];
    reportBreakers({
      worker: 'test',
      waitUntil: (p) => pending.push(p),
      send: async (p) => {
        if (failing) throw new Error('object away');
        pushes.push(p);
      },
    });
    const b = new CircuitBreaker(`t-${Math.random()}`, { failureThreshold: 1, openMs: 60_000 });
    await expect(b.run(ok)).resolves.toBe('ok');
    await Promise.all(pending.splice(0));
    failing = false;
    await b.run(fail).catch(() => {});
    await Promise.all(pending.splice(0));
    expect(pushes.at(-1)!.breakers.find((x) => x.name === b.name)!.state).toBe('open');
  });
});
