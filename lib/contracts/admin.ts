// What crosses the gateway → admin binding for merchant and admin operations: the caller as an `Actor` (the verified
// identity plus what the audit log keeps of the request), and the audit log's query and page.
import type { Identity } from '../auth/tokens';

/**
 * The caller of an admin operation, built by the gateway once per request (routes/actor.ts): the verified
 * identity, the gateway's own request id and the client address Cloudflare reports (`CF-Connecting-IP`).
 * The admin worker records it in every audit row; it never reads any of it from a client header itself.
 */
export interface Actor extends Identity {
  requestId: string;
  /** The client's IP address, as Cloudflare sets it; null when the request has none (local tools). */
  address: string | null;
}

export type AuditOutcome = 'succeeded' | 'pending' | 'failed';

/** One audit row as the API shows it. */
export interface AuditEntryView {
  id: string;
  at: string;
  actor: { sub: string; email: string | null; role: string };
  action: string;
  target: { type: string; id: string };
  before: unknown;
  after: unknown;
  /** `pending`: the operation was sent to a Durable Object and its outcome never recorded (see docs/admin.md). */
  outcome: AuditOutcome;
  error: string | null;
  requestId: string;
  address: string | null;
}

export interface AuditPage {
  items: AuditEntryView[];
  nextCursor: string | null;
}
