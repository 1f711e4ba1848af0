// The benchmark's stack in a process of its own (bench/setup.ts `withStack`): started with the StackOptions in
// argv[2] (JSON), it prints `READY <json>` with what the benchmark reads of the stack, and stops on SIGTERM or
// SIGINT, or when the benchmark goes (its stdin closes). The stack's helper servers (the Upstash bridge, the local
// Stripe, the mail and alert sinks, the Neon proxy) run in this process: apart from the load generator, whose event
// loop, busy with hundreds of requests in flight, would otherwise delay their answers (in production they are other
// machines).
import type { PgCluster } from '../dev/postgres';
import { type Stack, type StackOptions, startStack } from '../dev/stack';

/** What the benchmark reads of its stack (bench/setup.ts `BenchStack`). */
export type ServedStack = Pick<Stack, 'url' | 'accounts'> & { pg: Pick<PgCluster, 'primaryUrl' | 'replicaUrl'> };

const opts = JSON.parse(process.argv[2] ?? '{}') as StackOptions;
// `log`: the stack's own progress lines (the seed of a large catalog takes minutes), prefixed as the bench's are.
const stack = await startStack({
  ...opts,
  ...(process.argv[3] === 'log' ? { log: (l) => console.log(`[bench] ${l}`) } : {}),
});
const served: ServedStack = {
  url: stack.url,
  accounts: stack.accounts,
  pg: { primaryUrl: stack.pg.primaryUrl, replicaUrl: stack.pg.replicaUrl },
};
console.log(`READY ${JSON.stringify(served)}`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
process.stdin.on('end', () => void stop()).resume();
