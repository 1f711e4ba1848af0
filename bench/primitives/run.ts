// What the runtime's primitives cost under `wrangler dev`, measured as workerd CPU per operation (bench/cpu.ts):
// a Durable Object RPC call (plain, reading SQL, writing SQL), a service-binding RPC call, a call of the Rate
// Limiting binding, an outbound fetch to loopback, a console.log line, a SHA-256. Each runs N times in a row inside
// one request of the bench worker (bench/primitives/index.ts). These figures are what the request paths are
// designed against (issue 10: a hop or a log line costs as much as a whole bare request's work).
// `npm run bench:primitives` (PRIMITIVES=do,log,... for some). Bounded: 2,000 operations each; loopback only.
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { projectRoot } from '../../dev/stack';
import { wranglerEnv } from '../../dev/stack/wrangler';
import { stackCpuSeconds } from '../cpu';
import { freshState, storageLine } from '../storage';

const port = 28798;
const sinkPort = 28799;
const n = 2000;
const ops = (process.env.PRIMITIVES ?? 'none,do,dosql,sqlw,svc,rl,fetch,log,sha').split(',');
console.log(storageLine());

// The loopback server an outbound fetch reaches (answers like a tiny Upstash reply).
const sink = http
  .createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"result":[1,2]}'));
  })
  .listen(sinkPort, '127.0.0.1');
const child: ChildProcess = spawn(
  path.join(projectRoot, 'node_modules/.bin/wrangler'),
  [
    'dev',
    '-c',
    'bench/primitives/wrangler.toml',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--inspector-port',
    '29299',
    '--persist-to',
    freshState(path.join(projectRoot, '.data/bench/primitives-state')),
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
  ],
  { cwd: projectRoot, stdio: 'ignore', detached: true, env: wranglerEnv() },
);
try {
  const base = `http://127.0.0.1:${port}/`;
  const url = (op: string, count: number) => `${base}?op=${op}&n=${count}&target=http://127.0.0.1:${sinkPort}/`;
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(url('none', 1))).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log('| operation | workerd µs CPU per op | wall µs per op |\n|---|---|---|');
  for (const op of ops) {
    await (await fetch(url(op, 200))).text(); // warm-up
    const c0 = stackCpuSeconds(process.pid).workerd;
    const t0 = performance.now();
    await (await fetch(url(op, n))).text();
    const us = ((stackCpuSeconds(process.pid).workerd - c0) / n) * 1e6;
    console.log(`| ${op} | ${Math.round(us)} | ${Math.round(((performance.now() - t0) / n) * 1000)} |`);
  }
} finally {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {}
  sink.close();
}
