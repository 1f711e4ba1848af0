// Postgres for the checkout worker: one circuit breaker per isolate around the primary, so an outage fails fast
// (the queue retries later) instead of holding every message for the full timeout.
import { CircuitBreaker } from '../../../lib/resilience';

export const pgBreaker = new CircuitBreaker('postgres', { failureThreshold: 3, openMs: 5_000 });
