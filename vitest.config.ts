// `npm test`: one run, three projects, one after another (groupOrder) so that the e2e "database down" test
// never overlaps another project's queries. The global setup starts the whole local stack (Postgres primary +
// replica, Neon proxy, all workers under wrangler dev) on test ports; then
//  - workers: tests that run inside workerd (@cloudflare/vitest-plugin) with the catalog's real bindings,
//  - e2e: tests in Node against the running gateway,
//  - tools: tests in Node of the local dev tools (the Neon proxy) that start their own Postgres, of lib/ and
//    of each worker's pure parts (its config schema).
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { UPSTASH_DEV_TOKEN } from './dev/stack';
import { testDb, testPorts } from './test/stack.config';

/** The gateway inside workerd with one rate-limit backend and tiny limits (5/60 anonymous, 3/60 auth). */
const gatewayProject = (name: string, bindings: Record<string, string>) => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: { RATE_LIMIT_ANONYMOUS: '5/60', RATE_LIMIT_AUTH: '3/60', RATE_LIMIT_TIMEOUT_MS: '3000', ...bindings },
        // The routes under test never reach the other workers; the whole stack is tested end to end in e2e.
        serviceBindings: Object.fromEntries(
          ['CATALOG', 'ADMIN', 'CART', 'CHECKOUT'].map((b) => [
            b,
            () => new Response('not in this test', { status: 503 }),
          ]),
        ),
      },
    }),
  ],
  test: { name, include: ['test/gateway/**/*.test.ts'], testTimeout: 30_000, sequence: { groupOrder: 0 } },
});

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './workers/catalog/wrangler.toml' },
            miniflare: {
              bindings: {
                DATABASE_URL: testDb.primaryUrl,
                DATABASE_REPLICA_URL: testDb.replicaUrl,
                NEON_LOCAL_PROXY: `127.0.0.1:${testPorts.neonProxy}`,
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // CartDO inside workerd: the catalog is not needed to drive the object directly.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './workers/cart/wrangler.toml' },
            miniflare: {
              bindings: { CART_TTL_GUEST_SECONDS: '1' },
              serviceBindings: { CATALOG: () => new Response('not in this test', { status: 503 }) },
            },
          }),
        ],
        test: { name: 'cart', include: ['test/cart/**/*.test.ts'], testTimeout: 60_000, sequence: { groupOrder: 0 } },
      },
      {
        // InventoryDO inside the checkout worker: the objects are driven directly; cart and catalog are not needed.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './workers/checkout/wrangler.toml' },
            miniflare: {
              // The levels the objects send go through the real `orders` consumer into the test Postgres.
              bindings: {
                HOLD_GRACE_SECONDS: '0',
                INVENTORY_SYNC_DELAY_MS: '50',
                DATABASE_URL: testDb.primaryUrl,
                NEON_LOCAL_PROXY: `127.0.0.1:${testPorts.neonProxy}`,
              },
              serviceBindings: {
                CART: () => new Response('not in this test', { status: 503 }),
                CATALOG: () => new Response('not in this test', { status: 503 }),
              },
            },
          }),
        ],
        test: {
          name: 'inventory',
          include: ['test/inventory/**/*.test.ts'],
          testTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      gatewayProject('gateway-durable-object', { RATE_LIMIT_BACKEND: 'durable-object' }),
      gatewayProject('gateway-upstash', {
        RATE_LIMIT_BACKEND: 'upstash',
        UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${testPorts.upstashBridge}`,
        UPSTASH_REDIS_REST_TOKEN: UPSTASH_DEV_TOKEN,
      }),
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          // One shared stack: files run one after another so a "database down" test never overlaps another.
          fileParallelism: false,
          sequence: { concurrent: false, groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'tools',
          environment: 'node',
          include: ['dev/**/*.test.ts', 'lib/**/*.test.ts', 'workers/*/src/**/*.test.ts'],
          testTimeout: 60_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
