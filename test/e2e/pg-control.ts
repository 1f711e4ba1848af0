// Lets a test stop and start the test stack's PostgreSQL and Redis, which the global setup owns (another process),
// through a small loopback control endpoint that the global setup serves.
import { inject } from 'vitest';

export type PgAction =
  | 'stopAll'
  | 'startAll'
  | 'stopPrimary'
  | 'stopReplica'
  | 'stopReplicaEu'
  | 'startReplicaEu'
  | 'stopRedis'
  | 'startRedis'
  | 'hangPrimary'
  | 'resumePrimary'
  | 'killPrimary'
  | 'startPrimary'
  | 'killReplica'
  | 'startReplica'
  | 'crashWorkers'
  | 'startWorkers';

export async function pgControl(action: PgAction): Promise<void> {
  const res = await fetch(`${inject('pgControlUrl')}/${action}`, {
    method: 'POST',
    signal: AbortSignal.timeout(150_000), // a restart of the workers waits up to 90 s for them
  });
  if (!res.ok) throw new Error(`pg control ${action} failed: ${res.status} ${await res.text()}`);
}
