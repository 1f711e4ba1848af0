// `npm test`: one run, three projects, one after another (groupOrder) so that the e2e "database down" test
// never overlaps another project's queries. The global setup starts the whole local stack (Postgres primary +
// replica, Neon proxy, all workers under wrangler dev) on test ports; then
//  - workers: tests that run inside workerd (@cloudflare/vitest-plugin) with the catalog's real bindings,
//  - e2e: tests in Node against the running gateway,
//  - tools: tests of the local dev tools (the Neon proxy) that start their own Postgres.
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { testDb, testPorts } from './test/stack.config';

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
        test: { name: 'workers', include: ['test/workers/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
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
        test: { name: 'tools', environment: 'node', include: ['dev/**/*.test.ts'], testTimeout: 60_000, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
