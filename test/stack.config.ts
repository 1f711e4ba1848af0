// Settings of the stack that `npm test` starts, and which of its suites this machine can run. Its ports are not
// here: the global setup takes free ones when it starts the stack (dev/ports.ts) and hands the URLs to the tests.
import { redisAvailable, redisMissing } from '../dev/redis';

/** Short cache windows so that fresh -> stale -> refreshed can be observed in a test. */
export const testVars = {
  CACHE_FRESH_SECONDS: '3',
  CACHE_SWR_SECONDS: '4',
  CACHE_STALE_IF_ERROR_SECONDS: '3600',
  GENERATION_TTL_MS: '250',
  // A burst of 130 requests on 2 cores can keep the limiter busy past the production deadline (300 ms), and a
  // late answer fails open by design; the tests that count exact limits need every answer to count. 200 checkouts
  // at once on a loaded machine kept the checkout rule (fail-closed) past 3 s: the limiter's behaviour under load
  // is issue "A flash sale stays fast", not what these tests check.
  RATE_LIMIT_TIMEOUT_MS: '10000',
  // 20 identical checkouts under one key must all reach the checkout worker (production: 10/60 per shopper).
  RATE_LIMIT_CHECKOUT: '60/60',
  // Holds short enough that a test can watch an unpaid order expire and its stock come back.
  HOLD_TTL_SECONDS: '12',
  HOLD_GRACE_SECONDS: '5',
  // Shorter than HOLD_TTL_SECONDS, so a test can tell a 3-D Secure hold's own bound from the general one.
  HOLD_ACTION_TTL_SECONDS: '8',
  INVENTORY_SYNC_DELAY_MS: '200',
  ORDERS_RETRY_BASE_SECONDS: '1',
};

/** The `orders` consumer gives up after this many retries in tests (then the message is a dead letter). */
export const testOrdersMaxRetries = 4;

const ci = ['1', 'true'].includes((process.env.CI ?? '').toLowerCase());

/**
 * Whether this run includes the Upstash suite (rate limits on a real redis-server): wherever redis-server is
 * installed, and always in CI, where a missing one is an error rather than a smaller run. The only suite that
 * depends on the machine; where it cannot run, the run says so in one line (`upstashSkippedNotice`).
 */
export function upstashSuite(): boolean {
  if (redisAvailable()) return true;
  if (ci) throw new Error(`CI=${process.env.CI}: the Upstash suite must run, but ${redisMissing()}`);
  return false;
}

/** Test files that need redis-server; named so (upstash/redis in the file name) and left out without it. */
export const redisTestFiles = ['**/*upstash*.test.ts', '**/*redis*.test.ts'];

export const upstashSkippedNotice = () =>
  `[tests] Upstash suite not run: ${redisMissing()}; left out: the gateway-upstash project and ` +
  `${redisTestFiles.join(', ')} (in CI it always runs)`;
