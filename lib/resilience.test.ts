// The breaker, retries and deadlines that every outbound call of the checkout worker goes through.
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  breakerReport,
  CircuitBreaker,
  CircuitOpenError,
  retry,
  TimeoutError,
  withTimeout,
} from './resilience';

const outage = () => Promise.reject(new Error('connection refused'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive outages, fails fast while open, and closes after a good trial', async () => {
    const breaker = new CircuitBreaker('test', { failureThreshold: 3, openMs: 200 });
    for (let i = 0; i < 3; i++) await expect(breaker.run(outage)).rejects.toThrow('connection refused');
    expect(breaker.state).toBe('open');
    let called = false;
    await expect(breaker.run(async () => (called = true))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);

    await sleep(220);
    expect(breaker.state).toBe('half-open');
    // One trial at a time: callers during the trial wait for it, and run once it has closed the breaker.
    let release!: () => void;
    let calls = 0;
    const trial = breaker.run(() => new Promise<string>((r) => (release = () => r('ok'))));
    const waiting = Array.from({ length: 19 }, () => breaker.run(async () => ++calls));
    await sleep(20);
    expect(calls).toBe(0); // nobody else reached the service while the trial ran
    release();
    await expect(trial).resolves.toBe('ok');
    expect((await Promise.all(waiting)).sort((a, b) => a - b)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    expect(breaker.state).toBe('closed');
  });

  it('fails the callers that waited for a trial fast when the trial fails, without calling the service', async () => {
    const breaker = new CircuitBreaker('test', { failureThreshold: 1, openMs: 100 });
    await expect(breaker.run(outage)).rejects.toThrow('connection refused');
    await sleep(120);
    let fail!: () => void;
    const trial = breaker.run(() => new Promise<never>((_, reject) => (fail = () => reject(new Error('refused')))));
    let called = false;
    const waiting = breaker.run(async () => (called = true));
    fail();
    await expect(trial).rejects.toThrow('refused');
    await expect(waiting).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
    expect(breaker.state).toBe('open');
  });

  it('does not count answers that are not outages, and a failed trial opens it again', async () => {
    const breaker = new CircuitBreaker('test', { failureThreshold: 2, openMs: 100 });
    const declined = () => Promise.reject(new Error('card declined'));
    const isOutage = (e: unknown) => String(e).includes('refused');
    for (let i = 0; i < 5; i++) await expect(breaker.run(declined, isOutage)).rejects.toThrow('declined');
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(outage, isOutage)).rejects.toThrow();
    await expect(breaker.run(async () => 1, isOutage)).resolves.toBe(1); // a success resets the count
    await expect(breaker.run(outage, isOutage)).rejects.toThrow();
    await expect(breaker.run(outage, isOutage)).rejects.toThrow();
    expect(breaker.state).toBe('open');
    await sleep(120);
    await expect(breaker.run(outage, isOutage)).rejects.toThrow('refused');
    expect(breaker.state).toBe('open');
  });
});

describe('retry and deadlines', () => {
  it('retries with growing, jittered waits until it succeeds or runs out of attempts', async () => {
    let calls = 0;
    await expect(
      retry(async () => (++calls < 3 ? Promise.reject(new Error('again')) : 'done'), {
        attempts: 5,
        baseMs: 5,
        maxMs: 50,
      }),
    ).resolves.toBe('done');
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('never');
        },
        { attempts: 3, baseMs: 1, maxMs: 5 },
      ),
    ).rejects.toThrow('never');
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('bad input');
        },
        {
          attempts: 5,
          baseMs: 1,
          maxMs: 5,
          retryIf: () => false,
        },
      ),
    ).rejects.toThrow();
    expect(calls).toBe(1);
    const waits = Array.from({ length: 1000 }, () => backoffMs(4, 100, 1000));
    expect(Math.max(...waits)).toBeLessThan(1000);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(new Set(waits).size).toBeGreaterThan(100); // jittered, not one fixed delay
  });

  it('gives up on a call that does not answer in time', async () => {
    await expect(withTimeout(new Promise(() => {}), 50, 'a stuck call')).rejects.toBeInstanceOf(TimeoutError);
    await expect(withTimeout(Promise.resolve(7), 50, 'a quick call')).resolves.toBe(7);
  });
});

describe('breaker reporting', () => {
  const outage = async () => {
    throw new Error('connection refused');
  };

  it('records every transition with its time and reason, and reports state and since from the registry', async () => {
    const breaker = new CircuitBreaker('reported', { failureThreshold: 2, openMs: 60 });
    const entry = () => breakerReport().find((b) => b.name === 'reported')!;
    expect(entry()).toMatchObject({ state: 'closed', failures: 0, transitions: [] });

    await expect(breaker.run(outage)).rejects.toThrow();
    await expect(breaker.run(outage)).rejects.toThrow();
    const opened = entry();
    expect(opened.state).toBe('open');
    expect(opened.retryAt).toBeDefined();
    expect(opened.transitions).toHaveLength(1);
    expect(opened.transitions[0]).toMatchObject({ from: 'closed', to: 'open' });
    expect(opened.transitions[0]!.reason).toContain('connection refused');
    expect(opened.since).toBe(opened.transitions[0]!.at);

    await new Promise((r) => setTimeout(r, 80));
    // Half-open by time alone: reported without any call, dated when the open time ended.
    const half = entry();
    expect(half.state).toBe('half-open');
    expect(Date.parse(half.since) - Date.parse(opened.since)).toBeGreaterThanOrEqual(55);
    await expect(breaker.run(outage)).rejects.toThrow();
    expect(entry().transitions.map((t) => `${t.from}>${t.to}`)).toEqual([
      'closed>open',
      'open>half-open',
      'half-open>open',
    ]);
    expect(entry().transitions[2]!.reason).toMatch(/^trial call failed/);

    await new Promise((r) => setTimeout(r, 80));
    await breaker.run(async () => 'ok');
    const closed = entry();
    expect(closed.state).toBe('closed');
    expect(closed.transitions.map((t) => `${t.from}>${t.to}`).slice(-2)).toEqual([
      'open>half-open',
      'half-open>closed',
    ]);
    expect(closed.transitions.at(-1)!.reason).toBe('trial call succeeded');
  });

  it('keeps the latest 20 transitions of a flapping breaker', async () => {
    const breaker = new CircuitBreaker('flapping', { failureThreshold: 1, openMs: 1 });
    for (let i = 0; i < 15; i++) {
      await expect(breaker.run(outage)).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 3));
      await breaker.run(async () => 1);
    }
    const entry = breakerReport().find((b) => b.name === 'flapping')!;
    expect(entry.transitions).toHaveLength(20);
    expect(entry.transitions.at(-1)).toMatchObject({ from: 'half-open', to: 'closed' });
  });
});
