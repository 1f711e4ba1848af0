// The load generator (autocannon) and what it measures: requests per second and p50/p95/p99 per scenario after a
// warm-up (percentiles computed from every answer's own latency), status counts, x-cache outcomes, and requests
// spread over many client addresses. It drives the raw HTTP path on purpose: a typed client in the hot loop would
// measure the client, not the system.
import autocannon, { type RequestSpec } from 'autocannon';
import { threadSample, threadShares } from './cpu';
import { connections, maxRequests, seconds } from './setup';

export interface Row {
  name: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  ok: number;
  bad: number;
  note?: string;
  /** Where the time went in the stack's workerd threads and on the machine (cpu.ts threadShares). */
  threads?: string;
}

/** The p-th percentile of ascending `sorted` (nearest rank). */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

export async function run(
  name: string,
  url: string,
  requests?: Parameters<typeof autocannon>[0]['requests'],
  note?: () => string,
): Promise<Row> {
  // Warm-up (not counted): JIT, connections, cache fill.
  await autocannon({ url, connections, duration: 2, maxOverallRequests: maxRequests, requests });
  const latencies: number[] = [];
  const before = threadSample(process.pid);
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    maxOverallRequests: maxRequests,
    timeout: 10,
    requests,
  });
  instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  const r = await instance;
  const threads = threadShares(before, threadSample(process.pid));
  latencies.sort((a, b) => a - b);
  return {
    name,
    rps: r.requests.average,
    p50: Math.round(percentile(latencies, 50)),
    p95: Math.round(percentile(latencies, 95)),
    p99: Math.round(percentile(latencies, 99)),
    ok: r['2xx'],
    bad: r.non2xx + r.errors + r.timeouts,
    note: note?.(),
    threads,
  };
}

export async function waitUp(url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up`);
}

const cacheStates: Record<string, number> = {};
/** autocannon onResponse: counts the x-cache header of each answer. */
export const countCache = (_s: number, _b: string, _c: unknown, headers: Record<string, string> | string[]) => {
  const h = Array.isArray(headers)
    ? headers[headers.findIndex((v, i) => i % 2 === 0 && v.toLowerCase() === 'x-cache') + 1]
    : headers['x-cache'];
  cacheStates[h ?? 'none'] = (cacheStates[h ?? 'none'] ?? 0) + 1;
};
/** The x-cache counts since the last call, as text (and starts counting again). */
export const describeCache = () => {
  const text = Object.entries(cacheStates)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  for (const k of Object.keys(cacheStates)) delete cacheStates[k];
  return text;
};

// Shoppers come from many addresses: each request names its own client IP, so the limiter sees many keys.
let client = 0;
export const fromManyClients = (req: RequestSpec) => ({
  ...req,
  headers: { ...req.headers, 'cf-connecting-ip': `2001:db8::${(client++ % 5000).toString(16)}` },
});
