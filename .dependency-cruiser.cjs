// The layering rules `npm run deps` checks (part of `npm test`), so that what the layout promises cannot quietly
// stop being true:
//   lib/              shared code: may import db/schema, never a worker or a Durable Object
//   durable-objects/  one folder per object: may import lib/ and other objects, never a worker (ports instead)
//   workers/<name>/   may import lib/, durable-objects/ and db/, never another worker's folder (lib/contracts/
//                     holds the types that cross a service binding)
//   production code (workers, durable-objects, lib, db) never imports dev/, test/ or bench/.
// The generated worker-configuration.d.ts files are exempt: `wrangler types` types a service binding by pointing
// at the other worker's entrypoint. Type-only imports count (tsPreCompilationDeps).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'objects-not-to-workers',
      comment: 'An object reaches other services through its ports, built from the env; types from lib/contracts.',
      severity: 'error',
      from: { path: '^durable-objects/' },
      to: { path: '^workers/' },
    },
    {
      name: 'lib-not-to-workers-or-objects',
      comment: 'lib/ is shared by everything above it; it may import db/schema only.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(workers|durable-objects)/' },
    },
    {
      name: 'workers-not-to-other-workers',
      comment: "A worker never imports another worker's folder: types that cross a binding live in lib/contracts.",
      severity: 'error',
      from: { path: '^workers/([^/]+)/' },
      to: { path: '^workers/', pathNot: '^workers/$1/' },
    },
    {
      name: 'production-not-to-dev-test-bench',
      comment: 'The local stack, the tests and the benchmark are not part of what is deployed.',
      severity: 'error',
      from: { path: '^(workers|durable-objects|lib|db)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(dev|test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)worker-configuration\\.d\\.ts$|node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
