// Started by bench/compare.ts inside one commit's worktree (cwd = that tree): starts that commit's own stack with
// its own dev/stack.ts (rate limits off, as the bench's "no rate limit" scenarios), prints `READY <url>` and keeps
// it up until SIGTERM. Only the options every version of startStack has are used, so old commits run unchanged.
import path from 'node:path';
import { freshState } from './storage';

const [name, portBaseText, dataRoot] = process.argv.slice(2);
if (!name || !portBaseText || !dataRoot) throw new Error('usage: compare-serve.ts <name> <portBase> <dataRoot>');
const b = Number(portBaseText);
const { startStack } = (await import(path.join(process.cwd(), 'dev/stack.ts'))) as {
  startStack: (o: Record<string, unknown>) => Promise<{ url: string; stop(): Promise<void> }>;
};
// A fresh edge cache every run, so the miss scenario really misses (Postgres is kept: the seed is idempotent); the
// Durable Object state in RAM unless BENCH_DO_STORAGE=disk, as in every benchmark (bench/storage.ts).
freshState(path.join(dataRoot, 'wrangler'));
const stack = await startStack({
  dataRoot,
  ports: {
    gateway: b,
    inspector: b + 1,
    pgPrimary: b + 2,
    pgReplica: b + 3,
    neonProxy: b + 4,
    redis: b + 5,
    upstashBridge: b + 6,
    stripe: b + 7,
    pgReplica2: b + 8,
    // Both stacks run at once: every listener needs its own port (a commit whose stack has no such listener
    // ignores the key).
    alertSink: b + 9,
    mailSink: b + 10,
  },
  logLevel: 'warn',
  upstash: 'off',
  vars: { RATE_LIMIT_BACKEND: 'off', RATE_LIMIT_ANONYMOUS: '1000000000/60', RATE_LIMIT_TIMEOUT_MS: '5000' },
});
console.log(`READY ${stack.url}`);
const stop = async () => {
  await stack.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
setInterval(() => {}, 1 << 30);
