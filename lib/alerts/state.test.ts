import { describe, expect, it } from 'vitest';
import type { RuleReading } from '../contracts/alerts';
import { signatureHeader, verifySignature } from './signature';
import { type StoredState, step } from './state';

const MIN = 60_000;
const reading = (value: number | null, threshold = 1): RuleReading => ({
  rule: 'dead-letters',
  summary: 'Dead letters waiting',
  value,
  threshold,
  firing: value !== null && value >= threshold,
});

/** Runs readings (one a minute) through the state machine; answers the notifications, by minute. */
function run(values: (number | null)[], renotifyMinutes = 60, resolveAfter = 1) {
  let state: StoredState | undefined;
  const notes: string[] = [];
  values.forEach((v, minute) => {
    const { next, notify } = step(state, reading(v), minute * MIN, { renotifyMs: renotifyMinutes * MIN, resolveAfter });
    state = next;
    if (notify) notes.push(`${minute}:${notify}`);
  });
  return { notes, state: state! };
}

describe('the alert state machine', () => {
  it('notifies once when a rule starts firing, not on every evaluation, and once when it clears', () => {
    const { notes, state } = run([0, 0, 2, 3, 5, 1, 0, 0]);
    expect(notes).toEqual(['2:firing', '6:resolved']);
    expect(state).toEqual({ status: 'ok', since: 6 * MIN, notifiedAt: 6 * MIN, clearStreak: 0 });
  });

  it('reminds at most every renotify interval while firing, counted from the last notification', () => {
    const { notes } = run([1, 1, 1, 1, 1, 1, 1, 1, 0], 3);
    expect(notes).toEqual(['0:firing', '3:reminder', '6:reminder', '8:resolved']);
  });

  it('keeps firing since its start through reminders', () => {
    const { state } = run([0, 1, 1, 1, 1], 2);
    expect(state).toEqual({ status: 'firing', since: 1 * MIN, notifiedAt: 3 * MIN, clearStreak: 0 });
  });

  it('keeps the state, firing or not, while the signal cannot be read: no resolve, no new firing', () => {
    expect(run([1, null, null, 1, 0]).notes).toEqual(['0:firing', '4:resolved']);
    expect(run([0, null, 0]).notes).toEqual([]);
  });

  it('keeps a firing rule firing while too few events judge (traffic dropping in an outage is no recovery)', () => {
    let state: StoredState | undefined;
    const notes: string[] = [];
    const readings: RuleReading[] = [
      reading(9, 5),
      { ...reading(0, 5), enough: false },
      { ...reading(3, 5), enough: false },
      reading(0, 5),
    ];
    readings.forEach((r, minute) => {
      const { next, notify } = step(state, r, minute * MIN, { renotifyMs: 60 * MIN, resolveAfter: 1 });
      state = next;
      if (notify) notes.push(`${minute}:${notify}`);
    });
    expect(notes).toEqual(['0:firing', '3:resolved']);
    // Nor does a quiet rule that was ok start anything.
    const quiet = { ...reading(9, 5), firing: false, enough: false as const };
    expect(step(undefined, quiet, 0, { renotifyMs: MIN, resolveAfter: 1 }).notify).toBeNull();
  });

  it('resolves only after resolveAfter clear evaluations in a row: a flapping condition stays one alert', () => {
    // Clear once, firing again, clear twice, firing, then clear three times.
    const flapping = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0];
    expect(run(flapping, 60, 3).notes).toEqual(['0:firing', '8:resolved']);
    // An unreadable evaluation neither counts nor breaks the streak.
    expect(run([1, 0, null, 0, 0], 60, 3).notes).toEqual(['0:firing', '4:resolved']);
    // Still firing since its start while clearing, and a reminder is not due on a clear reading.
    const { state, notes } = run([1, 1, 0, 0], 1, 3);
    expect(notes).toEqual(['0:firing', '1:reminder']);
    expect(state).toEqual({ status: 'firing', since: 0, notifiedAt: MIN, clearStreak: 2 });
  });

  it('starts again after a resolve: a new firing, not a reminder', () => {
    expect(run([1, 0, 1]).notes).toEqual(['0:firing', '1:resolved', '2:firing']);
  });
});

describe('the webhook signature', () => {
  it('verifies the body it signed with the same secret, within the tolerance only', async () => {
    const body = JSON.stringify({ text: 'x', alert: { rule: 'r' } });
    const now = Date.UTC(2026, 10, 29, 23, 0);
    const header = await signatureHeader('s3cret', body, now / 1000);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifySignature('s3cret', body, header, now)).toBe(true);
    expect(await verifySignature('other', body, header, now)).toBe(false);
    expect(await verifySignature('s3cret', `${body} `, header, now)).toBe(false);
    expect(await verifySignature('s3cret', body, header, now + 301_000)).toBe(false);
    expect(await verifySignature('s3cret', body, header.replace(/v1=./, 'v1=0'), now)).toBe(false);
    expect(await verifySignature('s3cret', body, undefined, now)).toBe(false);
  });
});
