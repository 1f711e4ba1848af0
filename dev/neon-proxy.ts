// dev/neon-proxy.ts — local stand-in for Neon's edge proxy, so the UNCHANGED
// @neondatabase/serverless driver (in workerd or Node) can talk to a local PostgreSQL:
//   * WebSocket  /v1?address=<host>:<port>  -> raw TCP pipe to Postgres (Pool/Client sessions)
//   * HTTP POST  /sql                      -> one-shot queries and batch transactions (neon())
//   * HTTP GET   /health                   -> 200 readiness probe
// The /sql wire format mirrors Neon's proxy (proxy/src/serverless/sql_over_http.rs) as
// consumed by driver 1.2.0. Dev only: targets must be loopback, there is no auth.
// CLI: `tsx dev/neon-proxy.ts [port]` (default 54330, or NEON_PROXY_PORT).
import http from 'node:http';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { type RawData, WebSocketServer } from 'ws';
import { listen } from './ports';

export interface NeonProxy {
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const CONNECT_TIMEOUT_MS = 1000; // fail fast when Postgres is down instead of hanging a request
const STATEMENT_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const ISOLATION: Record<string, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};
// Neon always answers with every error field present (null when absent); the driver copies these.
const ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;
// pg must hand back the raw text of every value: the driver runs its own type parsers on it.
const RAW_TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/** An error we raise ourselves, with the HTTP status to answer with. */
class ProxyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface QueryData {
  query: string;
  params?: unknown[];
  arrayMode?: boolean;
}

const stripBrackets = (host: string) => host.replace(/^\[(.*)\]$/, '$1');

/** "127.0.0.1:5432" / "[::1]:5432" / "localhost:5432" -> {host, port}; undefined if malformed. */
function parseAddress(address: string | null): { host: string; port: number } | undefined {
  const m = address?.match(/^(.+):(\d{1,5})$/);
  const [, host, port] = m ?? [];
  if (!host || !port || Number(port) < 1 || Number(port) > 65535) return undefined;
  return { host: stripBrackets(host), port: Number(port) };
}

/** Pool settings for a Neon-Connection-String; only loopback hosts, TLS and Neon-only params ignored. */
function poolConfigFor(connectionString: string): pg.PoolConfig {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new ProxyError(400, 'invalid Neon-Connection-String');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ProxyError(400, 'Neon-Connection-String must be a postgres:// URL');
  }
  const host = stripBrackets(url.hostname);
  if (!LOOPBACK.has(host)) throw new ProxyError(403, `neon-proxy only connects to loopback hosts, not "${host}"`);
  return {
    host,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    application_name: url.searchParams.get('application_name') ?? 'neon-proxy',
    max: 10,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS + 5_000,
    types: RAW_TEXT_TYPES,
  };
}

const isDbError = (e: unknown): e is pg.DatabaseError => e instanceof pg.DatabaseError;

/** Neon's error JSON: Postgres errors -> 400 with all fields; connection/internal problems -> 500. */
function errorResponse(err: unknown, connecting: boolean): { status: number; body: Record<string, unknown> } {
  const body: Record<string, unknown> = Object.fromEntries(ERROR_FIELDS.map((f) => [f, null]));
  if (isDbError(err)) {
    for (const f of ERROR_FIELDS) body[f] = err[f] ?? null;
    return { status: 400, body: { message: err.message, ...body } };
  }
  if (err instanceof ProxyError) return { status: err.status, body: { message: err.message, ...body } };
  const msg = err instanceof Error ? err.message : String(err);
  // Real Neon answers 500 ("Couldn't connect to compute node") when the compute is unreachable.
  return { status: 500, body: { message: connecting ? `Couldn't connect to compute node: ${msg}` : msg, ...body } };
}

/** Run one statement with the extended protocol (one statement only, like Neon) and shape it like Neon. */
async function runQuery(client: pg.PoolClient, q: QueryData, defaultArrayMode: boolean) {
  if (typeof q?.query !== 'string') throw new ProxyError(400, 'request body needs "query" (string)');
  const arrayMode = q.arrayMode ?? defaultArrayMode;
  const r = await client.query({
    text: q.query,
    values: q.params ?? [],
    rowMode: 'array',
    types: RAW_TEXT_TYPES,
    queryMode: 'extended',
  } as pg.QueryArrayConfig);
  const fields = r.fields.map((f) => ({
    name: f.name,
    dataTypeID: f.dataTypeID,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
    format: 'text',
  }));
  const rows = arrayMode ? r.rows : r.rows.map((row) => Object.fromEntries(fields.map((f, i) => [f.name, row[i]])));
  return { command: r.command, rowCount: r.rowCount, rowAsArray: arrayMode, fields, rows };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy(new ProxyError(413, 'request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startNeonProxy(opts: {
  port: number;
  host?: string;
  log?: (line: string) => void;
}): Promise<NeonProxy> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const pools = new Map<string, pg.Pool>();
  const tcpSockets = new Set<net.Socket>();
  const wss = new WebSocketServer({ noServer: true });

  function poolFor(connectionString: string): pg.Pool {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool(poolConfigFor(connectionString));
      // Idle clients die when Postgres restarts; without a listener that would crash the process.
      pool.on('error', (e) => log(`pool: idle client error: ${e.message}`));
      pools.set(connectionString, pool);
    }
    return pool;
  }

  async function handleSql(req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
    const h = req.headers;
    const connStr = h['neon-connection-string'];
    if (typeof connStr !== 'string') throw new ProxyError(400, 'missing Neon-Connection-String header');
    if (h['neon-raw-text-output'] !== 'true')
      log('note: Neon-Raw-Text-Output is not "true"; answering raw text anyway');
    const arrayMode = h['neon-array-mode'] === 'true';
    const level = h['neon-batch-isolation-level'];
    if (typeof level === 'string' && !ISOLATION[level]) throw new ProxyError(400, 'invalid isolation level');
    let payload: { queries?: QueryData[] } & QueryData;
    try {
      payload = JSON.parse(await readBody(req));
    } catch (e) {
      throw e instanceof ProxyError ? e : new ProxyError(400, 'request body is not valid JSON');
    }
    if (typeof payload !== 'object' || payload === null) throw new ProxyError(400, 'request body must be an object');
    const pool = poolFor(connStr);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      return errorResponse(e, true);
    }
    let broken: Error | boolean = false;
    try {
      if (!Array.isArray(payload.queries)) return { status: 200, body: await runQuery(client, payload, arrayMode) };
      // Batch = one transaction with the requested characteristics, like sql.transaction() on Neon.
      let begin = 'BEGIN';
      if (typeof level === 'string') begin += ` ISOLATION LEVEL ${ISOLATION[level]}`;
      if (h['neon-batch-read-only'] === 'true') begin += ' READ ONLY';
      if (h['neon-batch-deferrable'] === 'true') begin += ' DEFERRABLE';
      await client.query(begin);
      try {
        const results = [];
        for (const q of payload.queries) results.push(await runQuery(client, q, arrayMode));
        await client.query('COMMIT');
        return { status: 200, body: { results } };
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw e;
      }
    } catch (e) {
      if (!isDbError(e) && !(e instanceof ProxyError)) broken = e instanceof Error ? e : true;
      return errorResponse(e, false);
    } finally {
      // Never pool a connection left inside a transaction (e.g. a lone "BEGIN" sent over HTTP).
      if (!broken && client.getTransactionStatus() !== 'I') broken = true;
      client.release(broken);
    }
  }

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return send(200, { ok: true });
    if (path !== '/sql') return send(404, { message: `not found: ${path}` });
    if (req.method !== 'POST') return send(405, { message: 'POST only' });
    const started = Date.now();
    handleSql(req)
      .catch((e) => errorResponse(e, false))
      .then(({ status, body }) => {
        log(`POST /sql -> ${status} in ${Date.now() - started} ms`);
        send(status, body);
      });
  });

  // WebSocket tunnel, like Neon's wsproxy: connect TCP first so a dead target is an HTTP error, not a hang.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const reject = (status: number, why: string) => {
      log(`ws: refused (${status}) ${req.url}: ${why}`);
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n` +
          `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`,
      );
    };
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/v1' && url.pathname !== '/v2') return reject(404, 'use /v1?address=<host>:<port>');
    const target = parseAddress(url.searchParams.get('address'));
    if (!target) return reject(400, 'address=<host>:<port> is required');
    if (!LOOPBACK.has(target.host)) return reject(403, `only loopback targets are allowed, not ${target.host}`);

    const tcp = net.connect({ host: target.host, port: target.port });
    tcpSockets.add(tcp);
    tcp.on('close', () => tcpSockets.delete(tcp));
    tcp.setNoDelay(true);
    tcp.setTimeout(CONNECT_TIMEOUT_MS, () => tcp.destroy(new Error('connect timeout')));
    let upgraded = false;
    const abandon = () => tcp.destroy(); // client gave up (or handshake was invalid) before we upgraded
    socket.once('close', abandon);
    socket.on('error', abandon);
    tcp.on('error', (e) => {
      if (upgraded) log(`ws: tcp error: ${e.message}`);
      else reject(502, `cannot reach ${target.host}:${target.port}: ${e.message}`);
    });
    tcp.once('connect', () => {
      tcp.setTimeout(0);
      wss.handleUpgrade(req, socket, head, (ws) => {
        upgraded = true;
        socket.off('close', abandon).off('error', abandon); // from here on ws owns the socket
        log(`ws: open -> ${target.host}:${target.port}`);
        let pendingSends = 0; // crude backpressure: stop reading Postgres while the WS is backed up
        tcp.on('data', (chunk) => {
          pendingSends++;
          if (pendingSends > 64) tcp.pause();
          ws.send(chunk, { binary: true }, () => {
            if (--pendingSends === 0) tcp.resume();
          });
        });
        ws.on('message', (data: RawData) => {
          if (!tcp.write(data as Buffer)) {
            /* binaryType is 'nodebuffer' */ ws.pause();
            tcp.once('drain', () => ws.resume());
          }
        });
        // Close each side when the other goes away.
        tcp.on('close', () => ws.close());
        ws.on('error', (e) => {
          log(`ws: error: ${e.message}`);
          tcp.destroy();
        });
        ws.on('close', () => {
          log('ws: closed');
          tcp.end();
        });
      });
    });
  });

  await listen(server, opts.port, 'Neon proxy', host);
  const port = (server.address() as net.AddressInfo).port;
  log(`listening on http://${host}:${port} (POST /sql, WS /v1?address=, GET /health)`);

  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= (async () => {
        for (const ws of wss.clients) ws.terminate();
        for (const s of tcpSockets) s.destroy();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
        await closed;
        wss.close();
      })()),
  };
}

// CLI entry: keep running until Ctrl-C.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] ?? process.env.NEON_PROXY_PORT ?? 54330);
  const proxy = await startNeonProxy({ port, log: (l) => console.log(`[neon-proxy] ${l}`) });
  const stop = () => {
    void proxy.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
