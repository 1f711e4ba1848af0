// Where the benchmarks' workerd keeps Durable Object (and other local binding) state: `ram` (/dev/shm, the default
// where it has room) or `disk` (`BENCH_DO_STORAGE=disk`, as `npm run dev` and the tests keep it). Under
// `wrangler dev` every Durable Object commit is a SQLite commit whose `fsync` blocks workerd's one thread, and with it
// every other isolate: in production a storage write does not hold the isolate's thread (the answer waits for it, the
// thread goes on). On RAM the commit still runs; its `fsync` returns at once. The state is thrown away before each run
// in either case (docs/benchmark.md, "Durable Object storage in RAM").
import fs from 'node:fs';

export const RAM_ROOT = '/dev/shm';

/** /dev/shm exists and has 1 GiB free (a container's may have 64 MiB): a run keeps tens of MB there. */
function roomInRam(): boolean {
  try {
    const s = fs.statfsSync(RAM_ROOT);
    return s.bavail * s.bsize >= 2 ** 30;
  } catch {
    return false;
  }
}

export const doStorage: 'ram' | 'disk' = process.env.BENCH_DO_STORAGE === 'disk' || !roomInRam() ? 'disk' : 'ram';
