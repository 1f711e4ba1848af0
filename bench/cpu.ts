// CPU time of a local stack, read from /proc: the measure of cost that other load on the machine moves least
// (req/s on this 2-core machine swings by 40 % between runs). Linux only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/**
 * CPU seconds of every live process descended from `root` (the tree's stack: wrangler, both workerd processes, the
 * proxy one that owns the port and the one running the workers, Postgres, the local servers), and of its workerd
 * processes alone, telling the runtime (the workers) from wrangler's proxy. The proxy is no small part: a
 * Durable Object and two HTTP hops per request, about 600 µs of the bare worker's ~850 (2026-12-01). Found by parent pid, since wrangler starts workerd in a session of its own.
 */
export function stackCpuSeconds(root: number): {
  workerd: number;
  all: number;
  byPid: Map<number, number>;
  /** The workerd processes that run workers (wrangler starts them with an inspector); the others are its proxies. */
  runtimes: Set<number>;
} {
  const procs: { pid: number; ppid: number; comm: string; cpu: number }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      procs.push({ pid: Number(entry), ppid: Number(f[1]), comm, cpu: (Number(f[11]) + Number(f[12])) / ticks });
    } catch {} // exited meanwhile
  }
  const inStack = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs)
      if (!inStack.has(p.pid) && inStack.has(p.ppid)) {
        inStack.add(p.pid);
        grew = true;
      }
  }
  let workerd = 0;
  let all = 0;
  const byPid = new Map<number, number>();
  const runtimes = new Set<number>();
  for (const p of procs) {
    if (!inStack.has(p.pid)) continue;
    all += p.cpu;
    if (p.comm !== 'workerd') continue;
    workerd += p.cpu;
    byPid.set(p.pid, p.cpu);
    try {
      if (fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('--inspector-addr')) runtimes.add(p.pid);
    } catch {} // exited meanwhile
  }
  return { workerd, all, byPid, runtimes };
}

/** What each workerd process's main thread did, and the machine's CPU counters, at one moment (threadShares). */
export interface ThreadSample {
  at: number;
  /** Per workerd process of the tree: its main thread's time on a core and waiting for one (ns, schedstat). */
  threads: Map<number, { runtime: boolean; run: number; wait: number }>;
  /** The machine's `cpu` line of /proc/stat: user, nice, system, idle, iowait, ... (ticks). */
  machine: number[];
}

export function threadSample(root: number): ThreadSample {
  const { byPid, runtimes } = stackCpuSeconds(root);
  const threads = new Map<number, { runtime: boolean; run: number; wait: number }>();
  for (const pid of byPid.keys()) {
    try {
      const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
      threads.set(pid, { runtime: runtimes.has(pid), run: run!, wait: wait! });
    } catch {} // exited meanwhile
  }
  const machine = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return { at: performance.now(), threads, machine };
}

/**
 * Where the time went between two samples: each busy workerd main thread's share of the wall time on a core and
 * waiting for a core (workerd runs all of a process's isolates on that one thread, so a runtime near 100 % in all
 * is the stack's limit however idle the machine), and the machine's idle and I/O-wait share (of all its cores: a
 * thread blocked in fsync, which every Durable Object commit does here, counts as I/O wait, not as running).
 */
export function threadShares(a: ThreadSample, b: ThreadSample): string {
  const wallNs = (b.at - a.at) * 1e6;
  const parts: string[] = [];
  for (const [pid, t] of b.threads) {
    const s = a.threads.get(pid);
    if (!s) continue;
    const run = (t.run - s.run) / wallNs;
    if (run < 0.05) continue; // an idle stack (another scenario's)
    const wait = (t.wait - s.wait) / wallNs;
    parts.push(`${t.runtime ? 'runtime' : 'proxy'} ${Math.round(run * 100)}+${Math.round(wait * 100)}%`);
  }
  const d = b.machine.map((v, i) => v - (a.machine[i] ?? 0));
  const total = d.reduce((x, y) => x + y, 0) || 1;
  return (
    `threads (on a core + waiting for one): ${parts.join(', ') || 'none busy'}; ` +
    `machine ${Math.round((100 * d[3]!) / total)}% idle, ${Math.round((100 * d[4]!) / total)}% I/O wait`
  );
}
