// Dev/test only: runs a real local redis-server (loopback, no persistence) for the Upstash REST bridge
// (dev/upstash-bridge.ts), which talks to it with the RESP client in dev/redis/resp.ts.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertPortFree, PortBusyError } from './ports';
import { createRespPool, SimpleString } from './redis/resp';

const executable = (p: string) => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * The redis-server to run: $REDIS_SERVER when set (a path; one that does not exist counts as "not installed",
 * which is how a machine without Redis is tried out: REDIS_SERVER=/nonexistent), else the first on PATH.
 */
function findRedisServer(): string | undefined {
  const chosen = process.env.REDIS_SERVER;
  if (chosen) return executable(chosen) ? path.resolve(chosen) : undefined;
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((dir) => path.join(dir || '.', 'redis-server'))
    .find(executable);
}

/** Why redis-server cannot be run here, and how to fix it (one line). */
export function redisMissing(): string {
  return process.env.REDIS_SERVER
    ? `REDIS_SERVER=${process.env.REDIS_SERVER} is not an executable (unset it to look on PATH)`
    : 'redis-server is not installed (apt-get install redis-server, or set REDIS_SERVER to its path)';
}

export function redisAvailable(): boolean {
  return findRedisServer() !== undefined;
}

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startRedis(opts: {
  port: number;
  dataDir: string;
  log?: (l: string) => void;
}): Promise<RedisServer> {
  const log = opts.log ?? (() => {});
  const bin = findRedisServer();
  if (!bin) throw new Error(redisMissing());
  await assertPortFree(opts.port, 'redis-server');
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  // Loopback only, no RDB/AOF: a dev/test cache that starts empty every time.
  const args = [
    '--port',
    String(opts.port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dataDir,
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (!child.pid) throw new Error('redis: spawn failed');
  const pid = child.pid;
  let output = '';
  const onLine = (d: Buffer) => {
    const s = d.toString();
    output = (output + s).slice(-4000);
    for (const l of s.split('\n')) if (l.trim()) log(`[redis] ${l}`);
  };
  child.stdout?.on('data', onLine);
  child.stderr?.on('data', onLine);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  // Safety net if the caller exits without stop().
  const onExit = () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
  process.on('exit', onExit);

  const stop = async () => {
    process.off('exit', onExit);
    if (hasExited) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 10_000);
    await exited;
    clearTimeout(t);
  };

  // Ready = answers PING (bounded wait).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (hasExited) {
      process.off('exit', onExit);
      // Lost the port between the probe and the bind: the caller may retry on another.
      if (/address already in use/i.test(output)) throw new PortBusyError(opts.port, 'redis-server');
      throw new Error(`redis-server exited during startup:\n${output}`);
    }
    try {
      const pool = createRespPool({ port: opts.port, size: 1, timeoutMs: 500 });
      const [r] = await pool.exec([['PING']]).finally(() => pool.close());
      if (r instanceof SimpleString && r.value === 'PONG') break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer PING within 10 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  log(`[redis] ready on 127.0.0.1:${opts.port} (pid ${pid})`);
  return { url: `redis://127.0.0.1:${opts.port}`, port: opts.port, pid, stop };
}
