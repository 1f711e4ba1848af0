// CPU profiles of every isolate of a local stack, through workerd's own inspector (one target per worker: ours and
// miniflare's internal ones, e.g. the entry worker, the Rate Limiting and Queue emulations), summed by function and
// by worker: where a request's workerd CPU goes, measured instead of guessed. `COST_PROFILE=1 npm run bench:cost`
// prints the top of each kind's profile. Linux only (the inspector's port is found from the process table).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The inspector address of the workerd process (below `root`) that runs the workers: wrangler starts it with one. */
function inspectorPorts(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {} // exited meanwhile
  }
  const pids: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      pids.push(c);
      walk(c);
    }
  };
  walk(root);
  const withInspector = pids.filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--inspector-addr');
    } catch {
      return false;
    }
  });
  const ss = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  return ss
    .split('\n')
    .filter((l) => withInspector.some((p) => l.includes(`pid=${p},`)))
    .map((l) => Number(/127\.0\.0\.1:(\d+)/.exec(l)?.[1]))
    .filter((n) => n > 0);
}

class Cdp {
  private next = 1;
  private waiting = new Map<number, (v: unknown) => void>();
  private constructor(private ws: WebSocket) {
    ws.addEventListener('message', (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) this.waiting.get(msg.id)?.(msg.result);
    });
  }
  static open(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => reject(new Error(`inspector ${url}: no answer`)), 5000);
      ws.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(new Cdp(ws));
      });
      ws.addEventListener('error', () => reject(new Error(`inspector ${url}: cannot connect`)));
    });
  }
  send<T>(method: string, params: object = {}, timeoutMs = 30_000): Promise<T> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(id, (v) => {
        clearTimeout(timer);
        resolve(v as T);
      });
    });
  }
  close() {
    this.ws.close();
  }
}

export interface ProfileSummary {
  /** Sampled CPU ms per worker (inspector target), idle excluded. */
  byWorker: [string, number][];
  /** Sampled self ms per function, "worker · function file:line", idle excluded. */
  byFunction: [string, number][];
}

/** Starts a sampling profile in every isolate of the stack below `root`; `stop` sums them. */
export async function profileStack(root: number, samplingMicros = 200): Promise<{ stop(): Promise<ProfileSummary> }> {
  const sessions: { name: string; cdp: Cdp }[] = [];
  for (const port of inspectorPorts(root)) {
    const list = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(3000) })
      .then((r) => (r.ok ? (r.json() as Promise<unknown>) : []))
      .catch(() => []);
    if (!Array.isArray(list)) continue; // another of the process's listeners (e.g. the workers' own port)
    // Some internal targets never answer the profiler: skipped (what they cost is still in the /proc figure).
    const started = await Promise.all(
      (list as { id: string; webSocketDebuggerUrl: string }[]).map(async (t) => {
        const cdp = await Cdp.open(t.webSocketDebuggerUrl).catch(() => undefined);
        if (!cdp) return undefined;
        try {
          await cdp.send('Profiler.enable', {}, 5000);
          await cdp.send('Profiler.setSamplingInterval', { interval: samplingMicros }, 5000);
          await cdp.send('Profiler.start', {}, 5000);
          return { name: t.id.replace(/^core:user:/, ''), cdp };
        } catch {
          cdp.close();
          return undefined;
        }
      }),
    );
    for (const s of started) if (s) sessions.push(s);
  }
  if (sessions.length === 0) throw new Error('no workerd inspector found below this process');
  return {
    async stop() {
      const byWorker = new Map<string, number>();
      const byFunction = new Map<string, number>();
      for (const { name, cdp } of sessions) {
        const { profile } = await cdp.send<{ profile: Profile }>('Profiler.stop');
        cdp.close();
        const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
        const samples = profile.samples ?? [];
        for (let i = 0; i < samples.length; i++) {
          const node = nodes.get(samples[i]!);
          // V8 samples an isolate only while its thread runs it (workerd runs every isolate on one thread), so the
          // gap to the next sample includes other isolates' time and idle: a sample stands for one interval.
          const ms = samplingMicros / 1000;
          if (!node || node.callFrame.functionName === '(idle)') continue;
          const f = node.callFrame;
          const file = f.url.split('/').slice(-2).join('/');
          const key = `${name} · ${f.functionName || '(anonymous)'} ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
          byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
          byWorker.set(name, (byWorker.get(name) ?? 0) + ms);
        }
      }
      const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
      return { byWorker: sorted(byWorker), byFunction: sorted(byFunction) };
    },
  };
}

/** The top of a summary, per request: a few lines to read beside the cost table. */
export function printProfile(kind: string, summary: ProfileSummary, requests: number, top = 25): void {
  const per = (ms: number) => `${Math.round((ms * 1000) / requests)} µs/req`;
  console.log(`\n### profile: ${kind} (${requests} requests; sampled JS time, idle excluded)`);
  console.log(`by worker: ${summary.byWorker.map(([w, ms]) => `${w} ${per(ms)}`).join(', ')}`);
  for (const [fn, ms] of summary.byFunction.slice(0, top)) console.log(`  ${per(ms).padStart(12)}  ${fn}`);
}
