// dev/neon-proxy.ts — local stand-in for Neon's edge proxy, so the UNCHANGED
// @neondatabase/serverless driver (in workerd or Node) can talk to a local PostgreSQL:
//   * WebSocket  /v1?address=<host>:<port>  -> raw TCP pipe to Postgres (Pool/Client sessions)
//   * HTTP POST  /sql                      -> one-shot queries and batch transactions (neon())
//   * HTTP GET   /health                   -> 200 readiness probe
// /sql is in neon-proxy/sql.ts; this file is the server and the WebSocket tunnel.
// Dev only: targets must be loopback, there is no auth.
// CLI: `tsx dev/neon-proxy.ts [port]` (default 54330, or NEON_PROXY_PORT).
import http from 'node:http';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { type RawData, WebSocketServer } from 'ws';
import { CONNECT_TIMEOUT_MS, createSqlHandler, LOOPBACK, stripBrackets } from './neon-proxy/sql';
import { listen } from './ports';

export interface NeonProxy {
  port: number;
  close(): Promise<void>;
}

/** "127.0.0.1:5432" / "[::1]:5432" / "localhost:5432" -> {host, port}; undefined if malformed. */
function parseAddress(address: string | null): { host: string; port: number } | undefined {
  const m = address?.match(/^(.+):(\d{1,5})$/);
  const [, host, port] = m ?? [];
  if (!host || !port || Number(port) < 1 || Number(port) > 65535) return undefined;
  return { host: stripBrackets(host), port: Number(port) };
}

export async function startNeonProxy(opts: {
  port: number;
  host?: string;
  log?: (line: string) => void;
}): Promise<NeonProxy> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const sql = createSqlHandler(log);
  const tcpSockets = new Set<net.Socket>();
  const wss = new WebSocketServer({ noServer: true });
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
    void sql.handle(req).then(({ status, body }) => {
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
        await sql.close();
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
