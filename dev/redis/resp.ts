// dev/redis/resp.ts — the tiny RESP2 client and connection pool that dev/upstash-bridge.ts (and dev/redis.ts, to
// see that its server answers) use to talk to redis-server. Kept dependency-free on purpose: the product uses
// Upstash over HTTP, so no npm redis client is installed, and the bridge needs control over timeouts/reconnects.

import net from 'node:net';

// ---------------------------------------------------------------- RESP2 values and parser

/** A `+status` reply (e.g. OK, PONG, QUEUED). Kept apart from bulk strings: Upstash leaves "OK" un-encoded. */
export class SimpleString {
  constructor(readonly value: string) {}
}
/** A `-ERR ...` reply. A value, not a throw: inside EXEC/pipelines it belongs to one command only. */
export class ReplyError {
  constructor(readonly message: string) {}
}
export type Reply = Buffer | number | null | SimpleString | ReplyError | Reply[];
/** Redis could not be reached / did not answer in time: the bridge maps this to HTTP 503. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

const INCOMPLETE = Symbol('incomplete');
type Parsed = [Reply, number] | typeof INCOMPLETE;

function parseReply(buf: Buffer, at: number): Parsed {
  const eol = buf.indexOf('\r\n', at);
  if (eol === -1) return INCOMPLETE;
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (buf[at]) {
    case 0x2b:
      return [new SimpleString(line), next]; // +
    case 0x2d:
      return [new ReplyError(line), next]; // -
    case 0x3a:
      return [Number(line), next]; // :
    case 0x24: {
      // $
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return INCOMPLETE;
      return [Buffer.from(buf.subarray(next, next + len)), next + len + 2];
    }
    case 0x2a: {
      // *
      const n = Number(line);
      if (n < 0) return [null, next];
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, pos);
        if (r === INCOMPLETE) return INCOMPLETE;
        items.push(r[0]);
        pos = r[1];
      }
      return [items, pos];
    }
    default:
      throw new Error(`RESP protocol error: unexpected byte 0x${buf[at]?.toString(16)}`);
  }
}

function encodeCommand(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- one connection

class Conn {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve(r: Reply): void; reject(e: Error): void }[] = [];
  dead = false;
  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (e) => this.fail(new RedisUnavailableError(`redis connection error: ${e.message}`)));
    socket.on('close', () => this.fail(new RedisUnavailableError('redis connection closed')));
  }

  static open(port: number, host: string, timeoutMs: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RedisUnavailableError(`redis connect timeout (${host}:${port})`));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new RedisUnavailableError(`redis unreachable at ${host}:${port}: ${e.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new Conn(socket));
      });
    });
  }

  /** Writes all commands at once (pipelined) and resolves with one reply per command. */
  send(commands: (string | Buffer)[][]): Promise<Reply[]> {
    if (this.dead) return Promise.reject(new RedisUnavailableError('redis connection closed'));
    const replies = commands.map(() => new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject })));
    this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    return Promise.all(replies);
  }

  destroy(): void {
    this.fail(new RedisUnavailableError('redis connection dropped'));
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let pos = 0;
    try {
      while (pos < this.buf.length) {
        const r = parseReply(this.buf, pos);
        if (r === INCOMPLETE) break;
        pos = r[1];
        this.waiting.shift()?.resolve(r[0]);
      }
    } catch (e) {
      this.fail(new RedisUnavailableError((e as Error).message));
      return;
    }
    this.buf = this.buf.subarray(pos);
  }

  private fail(err: Error): void {
    if (!this.dead) {
      this.dead = true;
      this.socket.destroy();
    }
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}

// ---------------------------------------------------------------- pool

export interface RespPool {
  /** Runs `commands` back to back on ONE connection (so MULTI..EXEC stays atomic); one reply each.
   *  Rejects with RedisUnavailableError if redis is down or the whole call exceeds timeoutMs. */
  exec(commands: (string | Buffer)[][]): Promise<Reply[]>;
  close(): void;
}

export function createRespPool(opts: { port: number; host?: string; size?: number; timeoutMs?: number }): RespPool {
  const host = opts.host ?? '127.0.0.1',
    size = opts.size ?? 8,
    timeoutMs = opts.timeoutMs ?? 2000;
  const idle: Conn[] = [];
  const waiters: ((c: Conn | undefined) => void)[] = [];
  let open = 0,
    closed = false;

  // A slot is handed straight to a waiter, else the connection goes back idle; dead ones free their slot.
  const release = (c: Conn | undefined) => {
    if (c && (c.dead || closed)) {
      c.destroy();
      c = undefined;
    }
    if (!c) open--;
    const w = waiters.shift();
    if (w) {
      if (!c) open++;
      w(c);
    } else if (c) idle.push(c);
  };

  const acquire = async (deadline: number): Promise<Conn> => {
    let c = idle.pop();
    while (c?.dead) {
      open--;
      c = idle.pop();
    }
    if (c) return c;
    if (open < size) {
      open++;
      return openConn(deadline);
    }
    // Pool full: wait for a slot (bounded by the same deadline as the whole call).
    const slot = await new Promise<Conn | undefined>((resolve, reject) => {
      const t = setTimeout(
        () => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new RedisUnavailableError('redis pool busy (timeout)'));
        },
        Math.max(0, deadline - Date.now()),
      );
      const w = (x: Conn | undefined) => {
        clearTimeout(t);
        resolve(x);
      };
      waiters.push(w);
    });
    return slot ?? openConn(deadline);
  };

  const openConn = async (deadline: number) => {
    try {
      return await Conn.open(opts.port, host, Math.max(1, deadline - Date.now()));
    } catch (e) {
      release(undefined);
      throw e;
    }
  };

  return {
    async exec(commands) {
      if (closed) throw new RedisUnavailableError('redis pool closed');
      const deadline = Date.now() + timeoutMs;
      const conn = await acquire(deadline);
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          conn.send(commands),
          new Promise<never>((_, reject) => {
            // On timeout the connection is dropped: late replies must never reach the next user.
            timer = setTimeout(
              () => {
                conn.destroy();
                reject(new RedisUnavailableError(`redis did not answer within ${timeoutMs} ms`));
              },
              Math.max(1, deadline - Date.now()),
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
        release(conn);
      }
    },
    close() {
      closed = true;
      for (const c of idle.splice(0)) c.destroy();
      for (const w of waiters.splice(0)) w(undefined);
    },
  };
}
