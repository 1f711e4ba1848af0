// Dev/test only: a small HTTP server on 127.0.0.1 that speaks Upstash's REST protocol and forwards
// to a real local redis-server, so the unchanged @upstash/redis and @upstash/ratelimit clients run
// locally. Matches what @upstash/redis 1.39 sends (read from its bundled pkg/http.ts, chunk-*.mjs):
//  - POST /            body ["CMD", ...args]          -> {result} | 400 {error}
//  - POST /pipeline    body [[...], [...]]            -> 200 [{result}|{error}, ...]
//  - POST /multi-exec  body [[...], [...]] (atomic)   -> 200 [{result}|{error}, ...] | 400 {error}
//  - GET|POST /cmd/arg/arg (path style, POST body = last arg), as Upstash accepts it.
//  - Authorization: Bearer <token> (or ?_token=) else 401 {error}; redis down/slow -> 503 {error}.
//  - Upstash-Encoding: base64 (the client's DEFAULT): every string in the result, nested arrays
//    included, is base64 of the raw bytes, except a top-level status "OK" (the client special-cases it).
//  - upstash-sync-token (read-your-writes) and Upstash-Telemetry-* are ignored: one redis, no replicas.
// Also fixes @upstash/ratelimit >= 2.1 scripts: `#!lua flags=allow-key-locking` is Upstash-only and
// plain Redis rejects it ("ERR Unexpected flag in script shebang"), see stripKeyLockingFlag().
// Test control (not part of Upstash's protocol): POST /__bridge/delay {"ms": n} with the same token makes every
// later command wait n ms before it reaches redis (0 ends it): a slow store on demand, for the rate-limit tests.

import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from './ports';
import { createRespPool, RedisUnavailableError, type Reply, ReplyError, SimpleString } from './redis/resp';

export interface UpstashBridgeOptions {
  port: number;
  redisPort: number;
  token: string;
  log?: (l: string) => void;
  /** Per HTTP request budget for redis (connect + wait for a pooled connection + reply). */
  timeoutMs?: number;
  poolSize?: number;
}
export interface UpstashBridge {
  url: string;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;
// Commands that change connection state (or stream) would poison a pooled connection; Upstash's REST
// API refuses them too (transactions go through /multi-exec, pub/sub through SSE which we don't serve).
const REFUSED = new Set([
  'MULTI',
  'EXEC',
  'DISCARD',
  'WATCH',
  'UNWATCH',
  'SELECT',
  'SWAPDB',
  'HELLO',
  'AUTH',
  'QUIT',
  'RESET',
  'MONITOR',
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
  'SYNC',
  'PSYNC',
  'SHUTDOWN',
]);

const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex');

/** Removes the Upstash-only `allow-key-locking` flag from a script's `#!lua flags=...` line; other
 *  flags are kept. With no flag left the shebang text goes but its newline stays, so Lua error line
 *  numbers still match the original script. Scripts without the flag are returned unchanged. */
export function stripKeyLockingFlag(script: string): string {
  if (!script.startsWith('#!')) return script;
  const nl = script.indexOf('\n');
  const first = (nl === -1 ? script : script.slice(0, nl)).trimEnd();
  let changed = false;
  const parts = first.split(/\s+/).flatMap((p) => {
    if (!p.startsWith('flags=')) return [p];
    const flags = p.slice('flags='.length).split(',').filter(Boolean);
    const kept = flags.filter((f) => f !== 'allow-key-locking');
    if (kept.length === flags.length) return [p];
    changed = true;
    return kept.length ? [`flags=${kept.join(',')}`] : [];
  });
  if (!changed) return script;
  return (parts.length > 1 ? parts.join(' ') : '') + (nl === -1 ? '' : script.slice(nl));
}

type Outcome = { result: unknown } | { error: string };
interface Prepared {
  args: string[];
  error?: string;
  after?: (r: Reply) => Reply;
}

export async function startUpstashBridge(opts: UpstashBridgeOptions): Promise<UpstashBridge> {
  const log = opts.log ?? (() => {});
  const pool = createRespPool({ port: opts.redisPort, size: opts.poolSize ?? 8, timeoutMs: opts.timeoutMs ?? 2000 });
  const tokenBuf = Buffer.from(opts.token);
  let delayMs = 0;
  // The client EVALSHAs the SHA1 of the ORIGINAL script (hard-coded in @upstash/ratelimit); redis knows
  // the stripped one. original sha -> stripped sha, learnt from EVAL/EVAL_RO/SCRIPT LOAD. Unknown shas
  // pass through: redis answers NOSCRIPT and the client falls back to EVAL, which teaches us the sha.
  const shaMap = new Map<string, string>();

  const rewriteScript = (script: string): string => {
    const stripped = stripKeyLockingFlag(script);
    if (stripped !== script) {
      if (shaMap.size >= 10_000) shaMap.delete(shaMap.keys().next().value!); // bounded: scripts are few in practice
      shaMap.set(sha1(script), sha1(stripped));
    }
    return stripped;
  };
  const mapSha = (sha: string) => shaMap.get(sha.toLowerCase()) ?? sha;

  const prepare = (raw: unknown): Prepared => {
    if (!Array.isArray(raw) || raw.length === 0)
      return { args: [], error: 'ERR a command must be a non-empty JSON array' };
    // The client sends strings, numbers and booleans as JSON values; anything else it JSON-encodes itself.
    const args = raw.map((a) =>
      typeof a === 'string' ? a : typeof a === 'number' || typeof a === 'boolean' ? String(a) : JSON.stringify(a),
    );
    const name = args[0]!.toUpperCase();
    if (REFUSED.has(name))
      return { args, error: `ERR command '${args[0]}' is not supported over REST (local Upstash bridge)` };
    const sub = args[1]?.toUpperCase();
    if ((name === 'EVAL' || name === 'EVAL_RO') && args[1] !== undefined) args[1] = rewriteScript(args[1]);
    else if ((name === 'EVALSHA' || name === 'EVALSHA_RO') && args[1] !== undefined) args[1] = mapSha(args[1]);
    else if (name === 'SCRIPT' && sub === 'EXISTS') for (let i = 2; i < args.length; i++) args[i] = mapSha(args[i]!);
    else if (name === 'SCRIPT' && sub === 'LOAD' && args[2] !== undefined) {
      const original = args[2];
      args[2] = rewriteScript(original);
      // Answer with the sha the client computed itself, so its later EVALSHA maps back here.
      if (args[2] !== original) return { args, after: (r) => (Buffer.isBuffer(r) ? Buffer.from(sha1(original)) : r) };
    }
    return { args };
  };

  const encode = (r: Reply, b64: boolean, top: boolean): unknown => {
    if (r === null || typeof r === 'number') return r;
    if (Array.isArray(r)) return r.map((x) => encode(x, b64, false));
    if (r instanceof ReplyError) return r.message; // only reachable nested inside an array (e.g. a Lua table)
    if (r instanceof SimpleString)
      return b64 && !(top && r.value === 'OK') ? Buffer.from(r.value).toString('base64') : r.value;
    return b64 ? r.toString('base64') : r.toString('utf8');
  };
  const outcome = (r: Reply, p: Prepared, b64: boolean): Outcome => {
    if (r instanceof ReplyError) return { error: r.message };
    return { result: encode(p.after ? p.after(r) : r, b64, true) };
  };

  /** Pipeline: refused commands answer per item without reaching redis; the rest go in one round trip. */
  const runPipeline = async (cmds: Prepared[], b64: boolean): Promise<Outcome[]> => {
    const toSend = cmds.filter((c) => !c.error);
    const replies = toSend.length ? await pool.exec(toSend.map((c) => c.args)) : [];
    let i = 0;
    return cmds.map((c) => (c.error ? { error: c.error } : outcome(replies[i++]!, c, b64)));
  };

  /** MULTI ... EXEC pipelined on one pooled connection: atomic, like Upstash's /multi-exec. */
  const runMulti = async (cmds: Prepared[], b64: boolean): Promise<[number, unknown]> => {
    const bad = cmds.find((c) => c.error);
    if (bad) return [400, { error: bad.error }];
    const replies = await pool.exec([['MULTI'], ...cmds.map((c) => c.args), ['EXEC']]);
    const exec = replies[replies.length - 1]!;
    if (!Array.isArray(exec)) {
      // EXECABORT: a command failed while queueing (wrong arity...) -> nothing ran; report that command's error.
      const queued = replies.slice(1, -1).find((r) => r instanceof ReplyError) as ReplyError | undefined;
      return [
        400,
        { error: queued?.message ?? (exec instanceof ReplyError ? exec.message : 'ERR transaction aborted') },
      ];
    }
    return [200, exec.map((r, i) => outcome(r, cmds[i]!, b64))];
  };

  const handle = async (req: http.IncomingMessage, body: string): Promise<[number, unknown]> => {
    const url = new URL(req.url ?? '/', 'http://bridge');
    const auth = req.headers.authorization ?? '';
    const given = Buffer.from(
      auth.startsWith('Bearer ') ? auth.slice(7).trim() : (url.searchParams.get('_token') ?? ''),
    );
    if (given.length !== tokenBuf.length || !timingSafeEqual(given, tokenBuf)) return [401, { error: 'Unauthorized' }];
    const format = String(req.headers['upstash-response-format'] ?? 'json').toLowerCase();
    if (format !== 'json')
      return [
        400,
        { error: `ERR Upstash-Response-Format '${format}' is not supported by the local bridge (json only)` },
      ];
    const b64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const route = url.pathname.replace(/\/+$/, '') || '/';
    if (route === '/__bridge/delay' && req.method === 'POST') {
      let ms = Number.NaN;
      try {
        ms = Number((JSON.parse(body) as { ms?: unknown }).ms);
      } catch {}
      if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) return [400, { error: 'ERR delay: ms from 0 to 60000' }];
      delayMs = ms;
      log(`[upstash-bridge] commands now wait ${ms} ms`);
      return [200, { result: 'OK' }];
    }
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (req.headers.accept === 'text/event-stream' || /^\/(p|s)?subscribe(\/|$)|^\/monitor(\/|$)/i.test(route)) {
      return [400, { error: 'ERR subscribe/monitor (SSE) is not supported by the local Upstash bridge' }];
    }
    let parsed: unknown;
    if (route === '/' || route === '/pipeline' || route === '/multi-exec') {
      try {
        parsed = JSON.parse(body);
      } catch {
        return [400, { error: 'ERR failed to parse command: body is not valid JSON' }];
      }
    }
    if (route === '/pipeline' || route === '/multi-exec') {
      if (!Array.isArray(parsed) || parsed.length === 0)
        return [400, { error: 'ERR pipeline body must be a non-empty array of commands' }];
      const cmds = parsed.map(prepare);
      return route === '/pipeline' ? [200, await runPipeline(cmds, b64)] : runMulti(cmds, b64);
    }
    let cmd: Prepared;
    if (route === '/') cmd = prepare(parsed);
    else {
      // Path style: /set/key/value, the POST body (if any) being the last argument.
      const segs = route.slice(1).split('/').map(decodeURIComponent);
      if (req.method === 'POST' && body.length > 0) segs.push(body);
      cmd = prepare(segs);
    }
    if (cmd.error) return [400, { error: cmd.error }];
    const [reply] = await pool.exec([cmd.args]);
    const out = outcome(reply!, cmd, b64);
    return ['error' in out ? 400 : 200, out];
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const send = (status: number, payload: unknown) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        send(413, { error: 'ERR request body too large' });
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      if (req.method !== 'POST' && req.method !== 'GET') return send(405, { error: 'ERR method not allowed' });
      handle(req, Buffer.concat(chunks).toString('utf8')).then(
        ([status, payload]) => send(status, payload),
        (e: unknown) => {
          if (e instanceof RedisUnavailableError) {
            log(`[upstash-bridge] ${e.message}`);
            return send(503, { error: `ERR redis unavailable: ${e.message}` });
          }
          log(`[upstash-bridge] internal error: ${(e as Error).stack ?? String(e)}`);
          send(500, { error: `ERR bridge internal error: ${(e as Error).message}` });
        },
      );
    });
  });
  // Keep-alive sockets from fetch() must not keep close() waiting.
  server.keepAliveTimeout = 5_000;

  await listen(server, opts.port, 'Upstash bridge');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  log(`[upstash-bridge] ${url} -> redis 127.0.0.1:${opts.redisPort}`);
  return {
    url,
    token: opts.token,
    close: () =>
      new Promise<void>((resolve) => {
        pool.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
