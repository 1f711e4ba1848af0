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
