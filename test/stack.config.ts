// Settings of the stack that `npm test` starts, and which of its suites this machine can run. Its ports are not
// here: the global setup takes free ones when it starts the stack (dev/ports.ts) and hands the URLs to the tests.
import { redisAvailable, redisMissing } from '../dev/redis';

/** Short cache windows so that fresh -> stale -> refreshed can be observed in a test. */
export const testVars = {
  CACHE_FRESH_SECONDS: '3',
  CACHE_SWR_SECONDS: '4',
  CACHE_STALE_IF_ERROR_SECONDS: '3600',
  GENERATION_TTL_MS: '250',
  // The shared cache tier's deadline per Redis call (production 100 ms): on two busy cores the local bridge can take
  // longer, and a call that misses it is only a miss, but the tests that look into Redis need its writes.
  SHARED_CACHE_TIMEOUT_MS: '300',
  // Every request reads in region `us` (the first replica), whatever request.cf says on this machine; a test names
  // another with the x-read-region header.
  REPLICA_REGIONS: '*=us',
  // A replica lagging over 6 s is skipped (production: 5 s): longer than the files that pause replay on the first
  // replica keep it paused, so they still read it; measured at most every 250 ms.
  REPLICA_MAX_LAG_MS: '6000',
  REPLICA_LAG_CHECK_MS: '250',
  // Health tests watch a dependency go down and come back: every /health computes a fresh report.
  HEALTH_CACHE_MS: '0',
  // Production lets requests under a fail-open rule (browse, cart, the webhook) go on without waiting for the
  // global store (0); the tests that count a burst's exact answers and RateLimit-* headers on a browse route need
  // the store's own, and 130 requests at once on two busy cores can keep it past 3 s. So in the e2e stack those
  // rules wait for the store (one call each; the unwaited, gathered path is unit-tested in rate-limit.test.ts).
  // Fail-closed rules wait the production 300 ms, then the edge tier's verdict stands (its fail-closed counters
  // repeat the rules' figures, rate-limit/edge.ts).
  RATE_LIMIT_BROWSE_WAIT_MS: '10000',
  // How long a store call may take before it is given up (production 2 s): on two busy cores a healthy bridge can
  // take longer under a burst, and those tests need its answers.
  RATE_LIMIT_STORE_TIMEOUT_MS: '10000',
  // 20 identical checkouts under one key must all reach the checkout worker (production: 10/60 per shopper).
  RATE_LIMIT_CHECKOUT: '60/60',
  // Holds short enough that a test can watch an unpaid order expire and its stock come back.
  HOLD_TTL_SECONDS: '12',
  HOLD_GRACE_SECONDS: '5',
  // Shorter than HOLD_TTL_SECONDS, so a test can tell a 3-D Secure hold's own bound from the general one.
  HOLD_ACTION_TTL_SECONDS: '8',
  INVENTORY_SYNC_DELAY_MS: '200',
  // The stock ledger's pages reach Postgres after a few events (production: the newest 1000 are in the object).
  INVENTORY_EVENTS_KEPT: '5',
  ORDERS_RETRY_BASE_SECONDS: '1',
  // Longer than the consumer's whole retry budget here (1+2+4+8 s and the batch waits), so a copy on its way to
  // the dead-letter queue is never sent a second time; the lost-copy test waits this long for the copy sent again.
  ORDERS_CONFIRM_SECONDS: '40',
  // A checkout's whole create-and-confirm (production: 4 s). Locally every OrdersDO and InventoryDO shares one
  // workerd thread and the local Stripe shares a Node process with the Neon proxy, so a burst's winners paying at
  // once under the full suite wait longer than in production (the bench's flash sale: p99 3.5 s on a quiet machine).
  // The brownout tests check the bound against this value.
  STRIPE_CHECKOUT_TIMEOUT_MS: '8000',
  // The card lookup before a capped SKU's hold, a part of that budget (production: 1 s). A lookup that misses it lets the
  // checkout go on without the card key, so under the full suite's load a healthy one must not miss it.
  STRIPE_LOOKUP_TIMEOUT_MS: '3000',
  // The lost-copy test's shopper: the first send of each version of their orders is lost on purpose.
  FAULT_LOSE_ORDER_COPIES_OF: 'lost-copies@fault.test',
  // Each attempt of a call to Stripe that nobody waits on (refunds, cancels; production: 5 s, 3 attempts): a refund
  // sent while the local Stripe hangs fails after 3 x 2.5 s, not 3 x 5 s. A healthy local Stripe answers in ms.
  STRIPE_TIMEOUT_MS: '2500',
  // The figures test waits for the isolates' rollups to reach the MetricsDO (production: every 5 s).
  FIGURES_FLUSH_MS: '500',
  // Notification retries wait 1, 2 s (production: 30 s, doubling).
  NOTIFY_RETRY_BASE_SECONDS: '1',
  WEBHOOK_TIMEOUT_MS: '3000',
  // The duplicate-delivery test's shopper: every notification of their orders is sent to the Queue twice.
  FAULT_DUPLICATE_NOTICES_OF: 'twice@fault.test',
  // The slow-Queue test's shopper: each notification send of their orders first waits 4 s.
  FAULT_SLOW_NOTICES_OF: 'slow-notices@fault.test',
  // The DO export/rebuild test's corruption: a stock adjustment with this reason corrupts the SKU's InventoryDO.
  FAULT_CORRUPT_STOCK_REASON: 'test fault: corrupt this stock',
};

/** The `orders` consumer gives up after this many retries in tests (then the message is a dead letter). */
export const testOrdersMaxRetries = 4;

/**
 * The `notifications` consumer's retries in tests: a failing webhook is dead-lettered after 1 + 2 s, two waits
 * that still show each one doubling the last.
 */
export const testNotificationsMaxRetries = 2;

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

/**
 * The e2e files that run one at a time, after the others (which run several at once against the same stack). A file
 * belongs here when it disturbs what every other file relies on (stops Postgres or Redis, pauses the replica, hangs
 * the local Stripe, stalls the shared notifications consumer, takes both cores), or when it asserts on state that
 * any other file changes (global figures and counts, cache hits that a merchant write's new generation ends, fixed
 * timing windows). Everything else must use its own data, addresses (freshIp) and words (uniqueWord).
 */
export const serialE2eFiles = [
  // Stop Postgres, the replica or Redis, or pause the replica's replay.
  'database-down',
  'checkout-outage',
  'checkout-prices', // stops the replica
  'inventory-ledger', // stops Postgres
  'ops-alerts',
  'ops-signals', // also hangs the local Stripe
  'admin-orders-replica',
  'replicas', // pauses and stops the regional replicas
  'read-your-writes', // pauses the first replica's replay
  'cache', // also: HIT/STALE of the current generation
  'cache-shared.redis', // stops Postgres and Redis; watches its own merchant writes' warming
  'rate-limit.upstash',
  'chaos', // hangs and kills Postgres, stops Redis, makes Stripe fail, crashes the workers
  // Hang the local Stripe or stall the notifications consumer for everyone.
  'checkout-brownout',
  'admin-refunds-hang',
  'notify-emails-stall',
  'notify-webhooks', // its failing and hanging endpoints receive every file's order.paid
  // Take both cores.
  'checkout-race',
  'flash-sale',
  'admin-bulk-10k',
  // Assert on global state or timing.
  'admin-audit', // makes every audit insert fail for a while; counts the whole log
  'admin-bulk', // exports the whole catalog
  'admin-catalog', // its racing category and variant writes missed the 1.5 s database deadline beside other files
  'admin-images', // counts the whole audit log
  'catalog', // pages a category other files insert into
  'console-session', // a global route figure, exactly
  'ops-figures',
  'orders-lost-copy',
  'rate-limit', // exact answers inside one 10 s window
  'shop', // cache hits of the current generation
].map((name) => `test/e2e/${name}.test.ts`);

export const upstashSkippedNotice = () =>
  `[tests] Upstash suite not run: ${redisMissing()}; left out: the gateway-upstash project and ` +
  `${redisTestFiles.join(', ')} (in CI it always runs)`;
