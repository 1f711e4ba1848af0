// One circuit breaker per isolate around Postgres, shared by every worker that reads or writes it through a
// breaker: the checkout worker's queue consumer and the InventoryDO client's first-stock reads, and the catalog's
// cache fills. An outage then fails fast (the queue retries later, the catalog serves stale or 503) instead of
// holding every call for the full timeout. Its state and transitions are reported with the worker's health.
import { CircuitBreaker } from '../resilience';

export const pgBreaker = new CircuitBreaker('postgres', { failureThreshold: 3, openMs: 5_000 });
