// Ports and settings of the stack that `npm test` starts (apart from `npm run dev`'s, so both can run).
import type { StackPorts } from '../dev/stack';

export const testPorts: StackPorts = {
  gateway: 18787,
  inspector: 19230,
  pgPrimary: 15432,
  pgReplica: 15433,
  neonProxy: 15440,
  redis: 15450,
  upstashBridge: 15451,
};

/** Short cache windows so that fresh -> stale -> refreshed can be observed in a test. */
export const testVars = {
  CACHE_FRESH_SECONDS: '3',
  CACHE_SWR_SECONDS: '4',
  CACHE_STALE_IF_ERROR_SECONDS: '3600',
  GENERATION_TTL_MS: '250',
};

export const testDb = {
  primaryUrl: `postgres://storefront:storefront@127.0.0.1:${testPorts.pgPrimary}/storefront`,
  replicaUrl: `postgres://storefront:storefront@127.0.0.1:${testPorts.pgReplica}/storefront`,
};
