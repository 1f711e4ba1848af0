// dev/upstash-bridge.test.ts — proves dev/upstash-bridge.ts + dev/redis.ts let the unchanged
// @upstash/redis and @upstash/ratelimit clients work against a real local redis-server, including
// ratelimit's `#!lua flags=allow-key-locking` scripts and "redis down / back up" behaviour.
// Needs redis-server (left out of the run without it, see vitest.config.ts).
// Run: npx vitest run --project tools dev/upstash-bridge.test.ts
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis, type RedisConfigNodejs } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withFreePorts } from './ports';
import { type RedisServer, startRedis } from './redis';
import { createRespPool, type ReplyError, type RespPool } from './redis/resp';
import { startUpstashBridge, stripKeyLockingFlag, type UpstashBridge } from './upstash-bridge';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const TOKEN = 'bridge-test-token';
/** Free ports taken in beforeAll; redis comes back on the same one after the "redis stopped" test. */
let REDIS_PORT = 0;
let BRIDGE_PORT = 0;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'upstash-bridge-test-'));
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let server: RedisServer | undefined;
let bridge: UpstashBridge;
let direct: RespPool; // raw RESP, to look at redis itself (commandstats, unpatched scripts)
let redis: Redis;
const pids: number[] = [];
const startServer = async () => {
  server = await startRedis({ port: REDIS_PORT, dataDir });
  pids.push(server.pid);
};
const client = (o: Partial<RedisConfigNodejs> = {}) => new Redis({ url: bridge.url, token: TOKEN, ...o });
const info = async (section: string) => {
  const [r] = await direct.exec([['INFO', section]]);
  return (r as Buffer).toString();
};
/** Counters of one command from INFO commandstats (calls, failed_calls, ...). */
const cmdstat = async (cmd: string) => {
  const m = new RegExp(`cmdstat_${cmd}:(\\S+)`).exec(await info('commandstats'));
  return Object.fromEntries(
    (m?.[1] ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => {
        const [k, v] = kv.split('=');
        return [k, Number(v)];
      }),
  );
};

describe('upstash bridge (real @upstash/redis + @upstash/ratelimit, real redis-server)', () => {
  beforeAll(async () => {
    await withFreePorts(1, async ([port]) => {
      REDIS_PORT = port!;
      await startServer();
    });
    bridge = await withFreePorts(1, ([port]) => {
      BRIDGE_PORT = port!;
      return startUpstashBridge({ port: BRIDGE_PORT, redisPort: REDIS_PORT, token: TOKEN });
    });
    direct = createRespPool({ port: REDIS_PORT, size: 1 });
    redis = client();
  });
  afterAll(async () => {
    direct?.close();
    await bridge?.close();
    await server?.stop();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a second redis on a busy port, and a busy bridge port, with a clear error', async () => {
    await expect(startRedis({ port: REDIS_PORT, dataDir })).rejects.toThrow(
      `port ${REDIS_PORT} (redis-server) is busy`,
    );
    await expect(startUpstashBridge({ port: BRIDGE_PORT, redisPort: REDIS_PORT, token: TOKEN })).rejects.toThrow(
      `port ${BRIDGE_PORT} (Upstash bridge) is busy`,
    );
  });

  it('basic commands, JSON values and simple-string replies', async () => {
    expect(await redis.set('s', 'v')).toBe('OK');
    expect(await redis.get('s')).toBe('v');
    expect(await redis.get('missing')).toBeNull();
    expect(await redis.ping()).toBe('PONG'); // a status reply other than OK must be base64'd too
    expect(await redis.type('s')).toBe('string');
    expect(await redis.incr('n')).toBe(1);
    expect(await redis.incrby('n', 41)).toBe(42);
    expect(await redis.expire('n', 100)).toBe(1);
    expect(await redis.ttl('n')).toBeGreaterThan(90);
    expect(await redis.hset('h', { name: 'cart', qty: 3, meta: { a: [1, 2] } })).toBe(3);
    expect(await redis.hgetall('h')).toEqual({ name: 'cart', qty: 3, meta: { a: [1, 2] } });
    expect(await redis.zadd('z', { score: 2, member: 'b' }, { score: 1, member: 'a' }, { score: 3, member: 'c' })).toBe(
      3,
    );
    expect(await redis.zrange('z', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await redis.zrange('z', 0, 1, { withScores: true })).toEqual(['a', 1, 'b', 2]);
    await redis.set('j', { id: 7, tags: ['x', 'y'], price: 9.5 });
    expect(await redis.get('j')).toEqual({ id: 7, tags: ['x', 'y'], price: 9.5 });
    expect(await redis.mget('s', 'missing', 'j')).toEqual(['v', null, { id: 7, tags: ['x', 'y'], price: 9.5 }]);
    await expect(redis.incr('s')).rejects.toThrow(/ERR value is not an integer/);
  });

  it('base64 response encoding (the default) and plain JSON give the same non-ASCII / binary-ish strings', async () => {
    // (A string that is itself JSON, like '"x"', is JSON-parsed by the client's own deserializer: not tested.)
    const values = [
      'héllo wörld — 你好 🚀',
      '\u0000\u0001\u0002\u007f\u0080\u00ff\r\n\t',
      'aGVsbG8=',
      'OK',
      '  spaced  ',
      'say "hi" \\ back',
    ];
    const plain = client({ responseEncoding: false });
    for (const [i, v] of values.entries()) {
      await redis.set(`b64:${i}`, v);
      expect(await redis.get(`b64:${i}`)).toBe(v);
      expect(await plain.get(`b64:${i}`)).toBe(v);
    }
    const keys = values.map((_, i) => `b64:${i}`);
    expect(await redis.mget(...keys)).toEqual(values); // nested (array) path
    expect(await plain.mget(...keys)).toEqual(values);
    // On the wire: strings really are base64 of the bytes, the top-level status OK is left as is.
    const raw = async (body: unknown, p = '') =>
      (
        await fetch(`${bridge.url}${p}`, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { authorization: `Bearer ${TOKEN}`, 'upstash-encoding': 'base64' },
        })
      ).json();
    expect(await raw(['SET', 'w', values[0]])).toEqual({ result: 'OK' });
    expect(await raw(['GET', 'w'])).toEqual({ result: Buffer.from(values[0]!).toString('base64') });
    expect(
      await raw(
        [
          ['GET', 'w'],
          ['INCR', 'w'],
        ],
        '/pipeline',
      ),
    ).toEqual([
      { result: Buffer.from(values[0]!).toString('base64') },
      { error: 'ERR value is not an integer or out of range' },
    ]);
  });

  it('pipeline and transaction', async () => {
    const res = await redis
      .pipeline()
      .set('p:a', 1)
      .incr('p:a')
      .get('p:a')
      .hset('p:h', { f: 'x' })
      .hgetall('p:h')
      .exec();
    expect(res).toEqual(['OK', 2, 2, 1, { f: 'x' }]);
    await expect(redis.pipeline().set('p:s', 'str').incr('p:s').exec()).rejects.toThrow(
      /Command 2 \[ incr \] failed: ERR value/,
    );
    expect(await redis.pipeline().get('p:s').incr('p:s').exec({ keepErrors: true })).toEqual([
      { result: 'str', error: undefined },
      { result: undefined, error: 'ERR value is not an integer or out of range' },
    ]);
    expect(await redis.multi().set('t:a', 'x').incr('t:n').incr('t:n').get('t:a').exec()).toEqual(['OK', 1, 2, 'x']);
    // A runtime error inside EXEC fails that command only (Redis semantics); the others ran.
    await expect(redis.multi().set('t:b', 'y').incr('t:b').exec()).rejects.toThrow(/Command 2 \[ incr \] failed/);
    expect(await redis.get('t:b')).toBe('y');
    // A queueing error aborts the whole transaction: HTTP 400, nothing ran.
    const r = await fetch(`${bridge.url}/multi-exec`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify([['SET', 't:c', '1'], ['INCR']]),
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: "ERR wrong number of arguments for 'incr' command" });
    expect(await redis.get('t:c')).toBeNull();
  });

  it('a wrong token gives the client an Unauthorized error (HTTP 401)', async () => {
    await expect(new Redis({ url: bridge.url, token: 'nope' }).get('s')).rejects.toThrow(/^Unauthorized, command was/);
    const r = await fetch(bridge.url, { method: 'POST', body: '["GET","s"]' });
    expect([r.status, await r.json()]).toEqual([401, { error: 'Unauthorized' }]);
  });

  it('allow-key-locking: plain redis rejects it; the bridge strips it, keeps other flags, maps EVALSHA', async () => {
    const script = '#!lua flags=allow-key-locking\nreturn redis.call("INCR", KEYS[1])';
    const [rejected] = await direct.exec([['EVAL', script, '1', 'x']]);
    expect((rejected as ReplyError).message).toMatch(/Unexpected flag in script shebang: allow-key-locking/);
    expect(stripKeyLockingFlag(script)).toBe('\nreturn redis.call("INCR", KEYS[1])'); // newline kept: same line numbers
    expect(stripKeyLockingFlag('#!lua flags=no-writes,allow-key-locking\nreturn 1')).toBe(
      '#!lua flags=no-writes\nreturn 1',
    );
    expect(stripKeyLockingFlag('#!lua flags=no-writes\nreturn 1')).toBe('#!lua flags=no-writes\nreturn 1');
    expect(stripKeyLockingFlag('return 1')).toBe('return 1');

    expect(await redis.eval(script, ['ev'], [])).toBe(1);
    expect(await redis.evalsha(sha1(script), ['ev'], [])).toBe(2); // sha of the ORIGINAL, learnt from EVAL
    const loaded = '#!lua flags=allow-key-locking\nreturn "loaded"';
    expect(await redis.scriptLoad(loaded)).toBe(sha1(loaded)); // the sha the client expects
    expect(await redis.evalsha(sha1(loaded), [], [])).toBe('loaded');
    expect(await redis.scriptExists(sha1(loaded), sha1('never loaded'))).toEqual([1, 0]);
    // Other flags survive: no-writes still forbids writes.
    await expect(
      redis.eval('#!lua flags=no-writes,allow-key-locking\nreturn redis.call("SET", KEYS[1], "v")', ['ro'], []),
    ).rejects.toThrow(/Write commands are not allowed from read-only scripts/);
    await expect(redis.evalsha(sha1('return 0'), [], [])).rejects.toThrow(/NOSCRIPT/); // unknown sha passes through
  });

  const limiters = {
    fixedWindow: () => Ratelimit.fixedWindow(5, '10 s'),
    slidingWindow: () => Ratelimit.slidingWindow(5, '10 s'),
    tokenBucket: () => Ratelimit.tokenBucket(1, '10 s', 5),
  };
  for (const [name, limiter] of Object.entries(limiters)) {
    it(`Ratelimit.${name}: 5 of 8 pass, other identifiers unaffected, then EVALSHA is served from the script cache`, async () => {
      const rl = new Ratelimit({ redis, limiter: limiter(), prefix: `rl:${name}`, ephemeralCache: false });
      const shaBefore = await cmdstat('evalsha');
      const results = [];
      for (let i = 0; i < 8; i++) results.push(await rl.limit('user-1'));
      expect(results.map((r) => r.success)).toEqual([true, true, true, true, true, false, false, false]);
      expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0, 0]);
      for (const r of results) {
        expect(r.limit).toBe(5);
        expect(r.reset).toBeGreaterThan(Date.now() - 50);
        expect(r.reset).toBeLessThanOrEqual(Date.now() + 10_500);
      }
      const other = await rl.limit('user-2');
      expect([other.success, other.remaining]).toEqual([true, 4]);
      const remaining = await rl.getRemaining('user-1');
      expect(remaining.remaining).toBe(0);
      // 8 + 1 limit() calls went out as EVALSHA; at most the first per script failed (NOSCRIPT -> EVAL fallback).
      const shaAfter = await cmdstat('evalsha');
      expect(shaAfter.calls! - (shaBefore.calls ?? 0)).toBeGreaterThanOrEqual(9);
      expect(
        (shaAfter.failed_calls ?? 0) +
          (shaAfter.rejected_calls ?? 0) -
          (shaBefore.failed_calls ?? 0) -
          (shaBefore.rejected_calls ?? 0),
      ).toBeLessThanOrEqual(2); // limit script + remaining script, once each
    });
  }

  it('20 truly concurrent limit() calls (20 clients, 20 HTTP requests) for one identifier: exactly 5 pass', async () => {
    const clientsBefore = Number(/connected_clients:(\d+)/.exec(await info('clients'))![1]);
    const rls = Array.from(
      { length: 20 },
      () =>
        new Ratelimit({
          redis: client({ enableAutoPipelining: false }),
          limiter: Ratelimit.fixedWindow(5, '10 s'),
          prefix: 'rl:conc',
          ephemeralCache: false,
        }),
    );
    const results = await Promise.all(rls.map((rl) => rl.limit('hot')));
    expect(results.filter((r) => r.success)).toHaveLength(5);
    expect(results.map((r) => r.remaining).sort((a, b) => a - b)).toEqual([...Array(15).fill(0), 0, 1, 2, 3, 4]);
    // The bridge really ran them side by side: its pool opened more redis connections.
    expect(Number(/connected_clients:(\d+)/.exec(await info('clients'))![1])).toBeGreaterThan(clientsBefore);
    // And one auto-pipelined client firing 20 at once (one /pipeline request) agrees.
    const one = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(5, '10 s'),
      prefix: 'rl:conc2',
      ephemeralCache: false,
    });
    expect(
      (await Promise.all(Array.from({ length: 20 }, () => one.limit('hot')))).filter((r) => r.success),
    ).toHaveLength(5);
  });

  it("tokenBucket (the gateway's algorithm) through the bridge: a burst within capacity, then one per refill", async () => {
    const rl = new Ratelimit({
      redis,
      limiter: Ratelimit.tokenBucket(1, '200 ms', 4),
      prefix: 'rl:tb',
      ephemeralCache: false,
    });
    const burst = await Promise.all(Array.from({ length: 6 }, () => rl.limit('tb')));
    expect(burst.filter((r) => r.success)).toHaveLength(4);
    expect(burst.map((r) => r.remaining).sort()).toEqual([0, 0, 0, 1, 2, 3]);
    await new Promise((r) => setTimeout(r, 450));
    expect((await Promise.all(Array.from({ length: 4 }, () => rl.limit('tb')))).filter((r) => r.success)).toHaveLength(
      2,
    );
  });

  it('delay control: commands wait the set time (a slow store on demand), refused without the token', async () => {
    const set = (ms: unknown, token = TOKEN) =>
      fetch(`${bridge.url}/__bridge/delay`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ ms }),
      });
    expect((await set(300, 'wrong')).status).toBe(401);
    expect((await set(-1)).status).toBe(400);
    expect((await set(300)).status).toBe(200);
    try {
      const t0 = Date.now();
      await redis.set('slow', '1');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      expect((await set(0)).status).toBe(200);
    }
    const t1 = Date.now();
    await redis.get('slow');
    expect(Date.now() - t1).toBeLessThan(250);
  });

  it('redis hung (SIGSTOP): the bridge answers 503 after its 2 s timeout, not never', async () => {
    process.kill(server!.pid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      await expect(redis.get('s')).rejects.toThrow(/redis unavailable: redis did not answer within 2000 ms/);
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      process.kill(server!.pid, 'SIGCONT');
    }
    expect(await redis.get('s')).toBe('v');
  });

  it('redis stopped: calls fail fast with 503; after a restart on the same port they work without restarting the bridge', async () => {
    await server!.stop();
    expect(alive(server!.pid)).toBe(false);
    const t0 = Date.now();
    await expect(redis.set('down', 1)).rejects.toThrow(/ERR redis unavailable/);
    expect(Date.now() - t0).toBeLessThan(3_000);
    const r = await fetch(bridge.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '["PING"]',
    });
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: string }).error).toMatch(/^ERR redis unavailable/);

    await startServer(); // new, empty redis: no keys, no script cache
    expect(await redis.set('up', 'again')).toBe('OK');
    expect(await redis.get('up')).toBe('again');
    // The bridge still maps ratelimit's shas, redis answers NOSCRIPT, the client falls back to EVAL: all fine.
    const rl = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(5, '10 s'),
      prefix: 'rl:after',
      ephemeralCache: false,
    });
    const ok = [];
    for (let i = 0; i < 6; i++) ok.push((await rl.limit('u')).success);
    expect(ok).toEqual([true, true, true, true, true, false]);
  });
});
