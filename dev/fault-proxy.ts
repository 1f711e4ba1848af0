// Dev/test only: a small fault-injecting TCP proxy (the chaos suite's "added latency between the workers and
// Postgres"). It relays every connection to `target` and, while a delay is set, holds each chunk that long in
// either direction, in order, as a slow network path would. Loopback only.
import net from 'node:net';
import { listen } from './ports';

export interface FaultProxy {
  port: number;
  /** Added latency per chunk and direction, in ms (0: none). */
  setDelay(ms: number): void;
  delay(): number;
  close(): Promise<void>;
}

/** Relays 127.0.0.1:`port` to 127.0.0.1:`targetPort`, with an adjustable delay. */
export async function startFaultProxy(opts: { port: number; targetPort: number }): Promise<FaultProxy> {
  let delayMs = 0;
  const sockets = new Set<net.Socket>();
  // Forwards `from`'s chunks to `to`, each held `delayMs` (read when it arrives), in arrival order.
  const relay = (from: net.Socket, to: net.Socket) => {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const wait = delayMs;
      const due = Date.now() + wait;
      chain = chain.then(async () => {
        const left = due - Date.now();
        if (left > 0) await new Promise((r) => setTimeout(r, left));
        if (!to.destroyed) to.write(chunk);
      });
    });
    from.on('end', () => {
      chain = chain.then(() => {
        to.end();
      });
    });
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: opts.targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    relay(client, upstream);
    relay(upstream, client);
  });
  await listen(server, opts.port, 'fault proxy');
  return {
    port: (server.address() as net.AddressInfo).port,
    setDelay(ms: number) {
      if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) throw new Error('fault proxy: delay must be 0..60000 ms');
      delayMs = ms;
    },
    delay: () => delayMs,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
