// Dev/test only: what the local sinks (alert-sink.ts, mail-sink.ts) share: a loopback HTTP server on a port the OS
// picks (or the one asked for), JSON answers, a request body read up to a size limit, and a stop that also ends
// kept-alive connections (so a test's teardown never waits for an idle socket).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from './ports';

export interface SinkExchange {
  req: http.IncomingMessage;
  url: URL;
  /** Answers `status`, with `body` as pretty JSON when given. */
  send(status: number, body?: unknown): void;
  /** The request's body as text; the connection is destroyed (no answer) once it passes `max` bytes. */
  body(max: number): Promise<string>;
}

export interface SinkServer {
  url: string;
  stop(): Promise<void>;
}

export async function serveSink(
  what: string,
  opts: { port?: number; host?: string },
  handle: (exchange: SinkExchange) => void | Promise<void>,
): Promise<SinkServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : `${JSON.stringify(body, null, 2)}\n`);
    };
    const body = (max: number) =>
      new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) req.destroy();
          else chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
    Promise.resolve(handle({ req, url: new URL(req.url ?? '/', 'http://sink'), send, body })).catch(() =>
      send(500, { error: 'sink failed' }),
    );
  });
  await listen(server, opts.port ?? 0, what, host);
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
