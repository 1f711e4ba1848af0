// The alert state machine, apart from where readings come from and where notifications go: one notification when
// a rule starts firing (not one per evaluation), a reminder at most every `renotifyMs` while it keeps firing, and
// a "resolved" one once its condition has been clear for `resolveAfter` evaluations in a row (a condition that
// flaps around its threshold stays one alert). A rule whose source could not be read keeps its state, and so does
// one with too few events to judge (a firing rule must not resolve because clients back off during an outage).
import type { NotificationKind, RuleReading } from '../contracts/alerts';

export interface StoredState {
  status: 'ok' | 'firing';
  /** Epoch ms it entered `status`; null before its first reading. */
  since: number | null;
  /** Epoch ms of the last notification about it. */
  notifiedAt: number | null;
  /** While firing: evaluations in a row that read its condition clear (it resolves at `resolveAfter`). */
  clearStreak: number;
}

export interface StepOptions {
  renotifyMs: number;
  /** Consecutive clear evaluations a firing rule needs to resolve (1: the first clear one). */
  resolveAfter: number;
}

export const initialState: StoredState = { status: 'ok', since: null, notifiedAt: null, clearStreak: 0 };

/** The rule's next state after `reading` at `now`, and the notification that move calls for (or none). */
export function step(
  prev: StoredState | undefined,
  reading: RuleReading,
  now: number,
  { renotifyMs, resolveAfter }: StepOptions,
): { next: StoredState; notify: NotificationKind | null } {
  const state = prev ?? initialState;
  if (reading.value === null || reading.enough === false) return { next: state, notify: null };
  if (reading.firing) {
    if (state.status !== 'firing')
      return { next: { status: 'firing', since: now, notifiedAt: now, clearStreak: 0 }, notify: 'firing' };
    if (state.notifiedAt === null || now - state.notifiedAt >= renotifyMs)
      return { next: { ...state, notifiedAt: now, clearStreak: 0 }, notify: 'reminder' };
    return { next: { ...state, clearStreak: 0 }, notify: null };
  }
  if (state.status === 'firing') {
    const clearStreak = state.clearStreak + 1;
    if (clearStreak < resolveAfter) return { next: { ...state, clearStreak }, notify: null };
    return { next: { status: 'ok', since: now, notifiedAt: now, clearStreak: 0 }, notify: 'resolved' };
  }
  return { next: { ...state, since: state.since ?? now }, notify: null };
}
