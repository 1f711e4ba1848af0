// One circuit breaker per isolate around the Postgres primary for the checkout worker's queue consumer and the
// InventoryDO client's first-stock reads, so an outage fails fast (the queue retries later) instead of holding
// every message for the full timeout.
import { CircuitBreaker } from '../resilience';

export const pgBreaker = new CircuitBreaker('postgres', { failureThreshold: 3, openMs: 5_000 });
