// `npm test`: one run, several projects. Only the projects that reach the local stack (Postgres primary + replica,
// Neon proxy, local Stripe, Redis + Upstash bridge when installed, all workers under wrangler dev) start it,
// through their globalSetup (test/global-setup.ts: once for all of them, on free ports):
//  - unit: pure logic in Node, no stack (`npm run test:unit`),
//  - workers, inventory: tests inside workerd (@cloudflare/vitest-plugin) with the stack's Postgres,
//  - cart, gateway-durable-object: Durable Objects and the gateway inside workerd, no stack,
//  - gateway-upstash: the gateway inside workerd on the stack's Upstash bridge (only with redis-server),
//  - e2e: tests in Node against the running gateway, three files at a time,
//  - e2e-serial: the e2e files that disturb or count global state (test/stack.config.ts), one at a time, after e2e,
//  - tools: tests of the local dev tools, which start their own Postgres / Redis on free ports.
// groupOrder runs e2e after the workerd projects and e2e-serial after e2e, so that the "database down" tests never
// overlap another project's queries.
//
// The Upstash suite (gateway-upstash and the files named *upstash* / *redis*) is the one conditional part: it runs
// wherever redis-server is installed and always in CI; elsewhere it is left out and the run says so in one line.
import { existsSync } from 'node:fs';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { configDefaults, defineConfig } from 'vitest/config';
import { redisTestFiles, serialE2eFiles, upstashSkippedNotice, upstashSuite } from './test/stack.config';

const stackSetup = ['./test/global-setup.ts'];
/** Every project's timeouts unless it sets its own: inline projects do not inherit the root `test` options. */
const timeouts = { testTimeout: 30_000, hookTimeout: 120_000 };
const withRedis = upstashSuite();
if (!withRedis) console.log(upstashSkippedNotice());
const exclude = withRedis ? configDefaults.exclude : [...configDefaults.exclude, ...redisTestFiles];
// A misspelt name would quietly run that file beside the others.
for (const file of serialE2eFiles) if (!existsSync(file)) throw new Error(`serialE2eFiles: no ${file}`);

/**
 * A stand-in for another worker whose Durable Object class a binding names (script_name): an empty class, for tests
 * that never call it, or one with the methods a test needs (`classBody`).
 */
const standIn = (name: string, className: string, binding: string, classBody = '') => ({
  name,
  modules: true,
  script:
    "import { DurableObject } from 'cloudflare:workers';\n" +
    `export class ${className} extends DurableObject {${classBody}}\n` +
    "export default { fetch: () => new Response('not in this test', { status: 503 }) };",
  compatibilityDate: '2026-10-01',
  durableObjects: { [binding]: className },
});

/**
 * The gateway inside workerd with one rate-limit backend and tiny limits (5/60 anonymous, 3/60 auth, the webhook a
 * bucket of 8 refilled 5 a second). Fail-open rules (browse, cart, webhook) wait for the store here (production:
 * 0, the edge tier answers) so that a burst's count and headers are the store's own.
 */
const gatewayProject = (
  name: string,
  bindings: (inject: (key: 'upstashUrl' | 'upstashToken') => string) => Record<string, string>,
  globalSetup: string[] = [],
) => ({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          RATE_LIMIT_ANONYMOUS: '5/60',
          RATE_LIMIT_AUTH: '3/60',
          RATE_LIMIT_WEBHOOK: '5/1 burst 8',
          RATE_LIMIT_TIMEOUT_MS: '3000',
          RATE_LIMIT_BROWSE_WAIT_MS: '3000',
          ...bindings(inject),
        },
        // BREAKERS is the catalog's MetricsDO (script_name); here the gateway's own one (the same class).
        durableObjects: { BREAKERS: { className: 'MetricsDO', useSQLite: true } },
        // The routes under test never reach the other workers; the whole stack is tested end to end in e2e.
        serviceBindings: Object.fromEntries(
          ['CATALOG', 'ADMIN', 'CART', 'CHECKOUT', 'STOREFRONT'].map((b) => [
            b,
            () => new Response('not in this test', { status: 503 }),
          ]),
        ),
        // ORDERS and CARTS name the checkout and cart workers' objects (script_name): stand-ins with empty classes.
        workers: [standIn('storefront-checkout', 'OrdersDO', 'ORDERS'), standIn('storefront-cart', 'CartDO', 'CARTS')],
      },
    })),
  ],
  test: { name, ...timeouts, include: ['test/gateway/**/*.test.ts'], globalSetup, sequence: { groupOrder: 0 } },
});

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          ...timeouts,
          environment: 'node',
          include: ['lib/**/*.test.ts', 'workers/**/src/**/*.test.ts', 'durable-objects/**/*.test.ts'],
          exclude,
          testTimeout: 10_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './workers/catalog/wrangler.toml' },
            miniflare: {
              bindings: {
                DATABASE_URL: inject('databaseUrl'),
                DATABASE_REPLICA_URL: inject('databaseReplicaUrl'),
                NEON_LOCAL_PROXY: inject('neonProxy'),
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          ...timeouts,
          include: ['test/workers/**/*.test.ts'],
          exclude,
          globalSetup: stackSetup,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // CartDO inside workerd, driven directly. The catalog is a stand-in `CatalogService` that sells every SKU
        // starting with TST- at a fixed price, fails for any list holding a SKU starting with DOWN-, and knows no
        // other (test/cart/cart.shopper.test.ts).
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './workers/cart/wrangler.toml' },
            miniflare: {
              bindings: { CART_TTL_GUEST_SECONDS: '1' },
              serviceBindings: { CATALOG: { name: 'storefront-catalog', entrypoint: 'CatalogService' } },
              workers: [
                {
                  name: 'storefront-catalog',
                  modules: true,
                  compatibilityDate: '2026-10-01',
                  script: `import { WorkerEntrypoint } from 'cloudflare:workers';
export class CatalogService extends WorkerEntrypoint {
  async getVariants(skus) {
    if (skus.some((s) => s.startsWith('DOWN-'))) throw new Error('catalog down (test)');
    const variants = skus.filter((s) => s.startsWith('TST-')).map((sku) => ({
      sku, title: 'M', productSlug: 'tee-' + sku.toLowerCase(), productTitle: 'Tee ' + sku, image: null,
      price: { amount: 1500, currency: 'USD' },
    }));
    return { ok: true, body: JSON.stringify({ variants }), cache: 'MISS', age: 0, cacheControl: 'private, no-store' };
  }
}
export default { fetch: () => new Response('not in this test', { status: 503 }) };`,
                },
              ],
            },
          }),
        ],
        test: {
          name: 'cart',
          ...timeouts,
          include: ['test/cart/**/*.test.ts'],
          exclude,
          testTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // InventoryDO inside the checkout worker: the objects are driven directly; cart and catalog are not needed.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './workers/checkout/wrangler.toml' },
            miniflare: {
              // The levels the objects send go through the real `orders` consumer into the test Postgres.
              bindings: {
                HOLD_GRACE_SECONDS: '0',
                INVENTORY_SYNC_DELAY_MS: '50',
                // Few enough that the ledger tests see copied events let go and pages continue in Postgres.
                INVENTORY_EVENTS_KEPT: '5',
                DATABASE_URL: inject('databaseUrl'),
                NEON_LOCAL_PROXY: inject('neonProxy'),
              },
              // BREAKERS is the catalog's MetricsDO (script_name); here the checkout worker's own one.
              durableObjects: { BREAKERS: { className: 'MetricsDO', useSQLite: true } },
              serviceBindings: {
                CART: () => new Response('not in this test', { status: 503 }),
                CATALOG: () => new Response('not in this test', { status: 503 }),
              },
              // The checkout worker's CARTS binding names the cart worker's CartDO: a stand-in whose every cart is
              // empty (a checkout against it is refused CART_EMPTY by its screening: orders.schema.test.ts).
              workers: [
                standIn(
                  'storefront-cart',
                  'CartDO',
                  'CARTS',
                  ' cart() { return { version: 0, currency: null, lines: [], expiresAt: null }; }',
                ),
              ],
            },
          })),
        ],
        test: {
          name: 'inventory',
          ...timeouts,
          include: ['test/inventory/**/*.test.ts'],
          exclude,
          globalSetup: stackSetup,
          testTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      gatewayProject('gateway-durable-object', () => ({ RATE_LIMIT_BACKEND: 'durable-object' })),
      ...(withRedis
        ? [
            gatewayProject(
              'gateway-upstash',
              (inject) => ({
                RATE_LIMIT_BACKEND: 'upstash',
                UPSTASH_REDIS_REST_URL: inject('upstashUrl'),
                UPSTASH_REDIS_REST_TOKEN: inject('upstashToken'),
              }),
              stackSetup,
            ),
          ]
        : []),
      {
        test: {
          name: 'e2e',
          ...timeouts,
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...exclude, ...serialE2eFiles],
          globalSetup: stackSetup,
          // The 200-shopper race can take a while on two busy cores.
          testTimeout: 60_000,
          // Files that keep to their own data run three at a time: most of their time is spent waiting (webhooks,
          // the Queue, hold expiry), not on the CPU.
          maxWorkers: 3,
          sequence: { concurrent: false, groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e-serial',
          ...timeouts,
          environment: 'node',
          include: serialE2eFiles,
          exclude,
          globalSetup: stackSetup,
          testTimeout: 60_000,
          // One file at a time, after every other e2e file: these stop Postgres, hang Stripe, or count globally.
          fileParallelism: false,
          sequence: { concurrent: false, groupOrder: 2 },
        },
      },
      {
        test: {
          name: 'tools',
          ...timeouts,
          environment: 'node',
          include: ['dev/**/*.test.ts'],
          exclude,
          testTimeout: 60_000,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
