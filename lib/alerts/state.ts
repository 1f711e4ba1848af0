// The alert state machine, apart from where readings come from and where notifications go: one notification when
// a rule starts firing (not one per evaluation), a reminder at most every `renotifyMs` while it keeps firing, and
// a "resolved" one when its condition clears. A rule whose source could not be read keeps its state, and so does one
// with too few events to judge (a firing rule must not resolve because clients back off during an outage).
import type { NotificationKind, RuleReading } from '../contracts/alerts';

export interface StoredState {
  status: 'ok' | 'firing';
  /** Epoch ms it entered `status`; null before its first reading. */
  since: number | null;
  /** Epoch ms of the last notification about it. */
  notifiedAt: number | null;
}

export const initialState: StoredState = { status: 'ok', since: null, notifiedAt: null };

/** The rule's next state after `reading` at `now`, and the notification that move calls for (or none). */
export function step(
  prev: StoredState | undefined,
  reading: RuleReading,
  now: number,
  renotifyMs: number,
): { next: StoredState; notify: NotificationKind | null } {
  const state = prev ?? initialState;
  if (reading.value === null || reading.enough === false) return { next: state, notify: null };
  if (reading.firing) {
    if (state.status !== 'firing') return { next: { status: 'firing', since: now, notifiedAt: now }, notify: 'firing' };
    if (state.notifiedAt === null || now - state.notifiedAt >= renotifyMs)
      return { next: { ...state, notifiedAt: now }, notify: 'reminder' };
    return { next: state, notify: null };
  }
  if (state.status === 'firing') return { next: { status: 'ok', since: now, notifiedAt: now }, notify: 'resolved' };
  return { next: { ...state, since: state.since ?? now }, notify: null };
}
