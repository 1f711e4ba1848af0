// What crosses the AlertsDO binding: the gateway's readings of every alert rule at an evaluation going in, the rules'
// state and the recent notifications coming out (GET /v1/admin/ops/alerts). Shapes only; the state machine is in
// lib/alerts/state.ts, the rules in workers/gateway/src/ops/alert-rules.ts.

export type AlertStatus = 'ok' | 'firing';

/** One rule as the gateway read it at an evaluation. */
export interface RuleReading {
  rule: string;
  /** What the rule watches, in words (the notification's title). */
  summary: string;
  /** The measured value; null when its source could not be read (the rule then keeps its state). */
  value: number | null;
  threshold: number;
  /** The condition holds (value at or over the threshold, and enough events to judge). */
  firing: boolean;
  /** false: too few events to judge (the value is shown, the rule keeps its state as if unread). */
  enough?: false;
  /** What the value is made of (e.g. the open breakers' names), or why it could not be read. */
  detail?: string;
  /** Fires only once its condition has held at every evaluation for this many minutes (AlertsDO keeps since when). */
  forMinutes?: number;
}

/** A rule's state as AlertsDO keeps it. */
export interface RuleState {
  rule: string;
  summary: string;
  status: AlertStatus;
  /** When it entered its status (ISO 8601); null before its first evaluation. */
  since: string | null;
  lastValue: number | null;
  threshold: number;
  detail: string | null;
  /** The last evaluation that read it (ISO 8601). */
  evaluatedAt: string;
  /** The last notification about it (firing, reminder or resolved). */
  notifiedAt: string | null;
}

export type NotificationKind = 'firing' | 'reminder' | 'resolved';

/** One notification, as recorded (whether or not a webhook is configured) and as delivered. */
export interface AlertEvent {
  id: number;
  rule: string;
  kind: NotificationKind;
  at: string;
  /** Firing and reminder: since when the rule fires; resolved: when it had started firing. */
  since: string | null;
  summary: string;
  value: number | null;
  threshold: number;
  detail: string | null;
  /** pending: waiting for (another) attempt; sent; failed: out of attempts; expired: given up for its age
   * (ALERT_DELIVERY_MAX_AGE_MINUTES); unsent: no webhook configured. */
  delivery: 'pending' | 'sent' | 'failed' | 'expired' | 'unsent';
  attempts: number;
  lastError: string | null;
}

export interface AlertsReport {
  /** The last evaluation (ISO 8601), null before the first; `evaluations` counts them. */
  evaluatedAt: string | null;
  evaluations: number;
  webhook: { configured: boolean };
  rules: RuleState[];
  /** Newest first. */
  history: AlertEvent[];
}
