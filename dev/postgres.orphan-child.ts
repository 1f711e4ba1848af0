// Helper for dev/postgres.test.ts ("a SIGKILLed run" test): simulates a dev process that gets SIGKILLed
// while its cluster is running. Starts a cluster, prints `ready`, then idles until it is killed.
// Usage: node --import tsx dev/postgres.orphan-child.ts <dataDir> <primaryPort> <replicaPort>

import { startPostgres } from './postgres.js';

const [dataDir, primaryPort, replicaPort] = process.argv.slice(2);
if (!dataDir || !primaryPort || !replicaPort) {
  console.error('usage: postgres.orphan-child.ts <dataDir> <primaryPort> <replicaPort>');
  process.exit(2);
}
await startPostgres({ dataDir, primaryPort: Number(primaryPort), replicaPort: Number(replicaPort) });
console.log('ready');
setInterval(() => {}, 1000);
