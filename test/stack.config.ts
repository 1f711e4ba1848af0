// Ports and settings of the stack that `npm test` starts (apart from `npm run dev`'s, so both can run).
import type { StackPorts } from '../dev/stack';

// TEST_PORT_OFFSET moves them all, so that two test runs can share a machine.
const offset = Number(process.env.TEST_PORT_OFFSET ?? 0);
export const testPorts: StackPorts = {
  gateway: 18787 + offset,
  inspector: 19230 + offset,
  pgPrimary: 15432 + offset,
  pgReplica: 15433 + offset,
  neonProxy: 15440 + offset,
  redis: 15450 + offset,
  upstashBridge: 15451 + offset,
  stripe: 15460 + offset,
};

/** Short cache windows so that fresh -> stale -> refreshed can be observed in a test. */
export const testVars = {
  CACHE_FRESH_SECONDS: '3',
  CACHE_SWR_SECONDS: '4',
  CACHE_STALE_IF_ERROR_SECONDS: '3600',
  GENERATION_TTL_MS: '250',
  // A burst of 130 requests on 2 cores can keep the limiter busy past the production deadline (300 ms), and a
  // late answer fails open by design; the tests that count exact limits need every answer to count.
  RATE_LIMIT_TIMEOUT_MS: '3000',
  // 20 identical checkouts under one key must all reach the checkout worker (production: 10/60 per shopper).
  RATE_LIMIT_CHECKOUT: '60/60',
  // Holds short enough that a test can watch an unpaid order expire and its stock come back.
  HOLD_TTL_SECONDS: '12',
  HOLD_GRACE_SECONDS: '5',
  INVENTORY_SYNC_DELAY_MS: '200',
  ORDERS_RETRY_BASE_SECONDS: '1',
};

/** The `orders` consumer gives up after this many retries in tests (then the message is a dead letter). */
export const testOrdersMaxRetries = 4;

export const testDb = {
  primaryUrl: `postgres://storefront:storefront@127.0.0.1:${testPorts.pgPrimary}/storefront`,
  replicaUrl: `postgres://storefront:storefront@127.0.0.1:${testPorts.pgReplica}/storefront`,
};
