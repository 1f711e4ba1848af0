// Where the benchmarks' workerd keeps Durable Object (and other local binding) state: `ram` (/dev/shm, the default
// where it has room) or `disk` (`BENCH_DO_STORAGE=disk`, as `npm run dev` and the tests keep it). Under
// `wrangler dev` every Durable Object commit is a SQLite commit whose `fsync` blocks workerd's one thread, and with it
// every other isolate: in production a storage write does not hold the isolate's thread (the answer waits for it, the
// thread goes on). On RAM the commit still runs; its `fsync` returns at once. Every benchmark's state folder is made
// empty before its run (`freshState`) in either case (docs/benchmark.md, "Durable Object storage in RAM").
import fs from 'node:fs';
import path from 'node:path';

const RAM_ROOT = '/dev/shm';
const PREFIX = 'storefront-bench-';

const asked = process.env.BENCH_DO_STORAGE;
if (asked !== undefined && asked !== 'ram' && asked !== 'disk')
  throw new Error(`BENCH_DO_STORAGE: "ram" or "disk", not ${JSON.stringify(asked)}`);

/** /dev/shm exists and has 1 GiB free (a container's may have 64 MiB): a run keeps tens of MB there. */
function roomInRam(): boolean {
  try {
    const s = fs.statfsSync(RAM_ROOT);
    return s.bavail * s.bsize >= 2 ** 30;
  } catch {
    return false;
  }
}

export const doStorage: 'ram' | 'disk' = asked === 'disk' || !roomInRam() ? 'disk' : 'ram';
if (asked === 'ram' && doStorage === 'disk') throw new Error(`BENCH_DO_STORAGE=ram: ${RAM_ROOT} lacks 1 GiB free`);

/** This process's folder in RAM: removed when it exits, or by the next run if it was killed. */
const ramRoot = path.join(RAM_ROOT, `${PREFIX}${process.pid}`);
let prepared = false;

function prepare() {
  if (prepared) return;
  prepared = true;
  for (const d of fs.readdirSync(RAM_ROOT)) {
    const pid = new RegExp(`^${PREFIX}(\\d+)$`).exec(d)?.[1];
    if (!pid || fs.existsSync(`/proc/${pid}`)) continue;
    try {
      fs.rmSync(path.join(RAM_ROOT, d), { recursive: true, force: true });
    } catch {} // another user's: theirs to remove
  }
  process.on('exit', () => fs.rmSync(ramRoot, { recursive: true, force: true }));
}

/** An empty state folder at `diskPath` (a link to a folder in RAM when `doStorage` is `ram`), for `--persist-to`. */
export function freshState(diskPath: string): string {
  fs.rmSync(diskPath, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(diskPath), { recursive: true });
  if (doStorage === 'disk') return diskPath;
  prepare();
  const ram = path.join(ramRoot, path.resolve(diskPath).replaceAll(path.sep, '_'));
  fs.rmSync(ram, { recursive: true, force: true });
  fs.mkdirSync(ram, { recursive: true });
  fs.symlinkSync(ram, diskPath);
  return diskPath;
}

/** The line a run prints about it. */
export const storageLine = () =>
  `workerd's Durable Object state: ${doStorage === 'ram' ? `in RAM (${ramRoot}; BENCH_DO_STORAGE=disk for the disk)` : 'on disk'}`;
