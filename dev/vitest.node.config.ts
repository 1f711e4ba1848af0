// dev/vitest.node.config.ts — plain-Node vitest config for dev tooling tests (dev/*.test.ts),
// kept apart from any Workers-pool config: these tests spawn PostgreSQL and open real sockets.
// Run: node_modules/.bin/vitest run --config dev/vitest.node.config.ts dev/neon-proxy.test.ts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    environment: 'node',
    include: ['dev/**/*.test.ts', 'lib/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One PostgreSQL per test file; don't run dev test files side by side on a 2-core box.
    fileParallelism: false,
  },
});
