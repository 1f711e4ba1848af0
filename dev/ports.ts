// Loopback ports for the local stack and the dev tools' tests: the one place that checks a port, names a busy
// one, and picks free ones.
//
// Picked ports come from below the kernel's ephemeral range (Linux: 32768-60999 unless tuned). A port in that
// range can be taken by any outgoing connection while its server is down, and the "database down" tests stop
// and start Postgres and Redis on the same ports; a port below it can only be taken by another listener.
// Whoever picks ports must still expect to lose one between the probe and the bind (another process probing at
// the same moment): `withFreePorts` retries with new ports on a PortBusyError.
import fs from 'node:fs';
import net from 'node:net';

/** Something already listens on a port we were asked to use. */
export class PortBusyError extends Error {
  override name = 'PortBusyError';
  constructor(
    readonly port: number,
    what: string,
  ) {
    super(`port ${port} (${what}) is busy: something already listens on 127.0.0.1:${port}; stop it or choose another`);
  }
}

/** By name as well as class: the error may come from another module instance (vitest loads one per project). */
export const isPortBusy = (err: unknown): err is PortBusyError =>
  err instanceof PortBusyError || (err instanceof Error && err.name === 'PortBusyError');

/** Listens on host:port, turning EADDRINUSE into a PortBusyError that names the port and what wanted it. */
export function listen(server: net.Server, port: number, what: string, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new PortBusyError(port, what)
          : new Error(`${what}: cannot listen on ${host}:${port}: ${e.message}`),
      );
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Throws a PortBusyError naming the port when something listens on it (fail fast, before any slow start). */
export async function assertPortFree(port: number, what: string): Promise<void> {
  const server = net.createServer();
  await listen(server, port, what);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const PICK_FROM = 20_000;
const handedOut = new Set<number>(); // never the same port twice from one process, even once it is free again

/** Lowest port the kernel hands to outgoing connections (32768 when it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

async function isFree(port: number): Promise<boolean> {
  return assertPortFree(port, 'probe').then(
    () => true,
    () => false,
  );
}

/** A port the OS chooses (used when the ephemeral range leaves no room below it). */
async function osPort(): Promise<number> {
  const server = net.createServer();
  await listen(server, 0, 'probe');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `n` distinct loopback ports that were free a moment ago. */
export async function freePorts(n: number): Promise<number[]> {
  const top = ephemeralLow() - 1;
  const ports: number[] = [];
  // Bounded: each probe is a bind on loopback (microseconds), and a range of thousands is never mostly taken.
  for (let tries = 0; ports.length < n && tries < 2000; tries++) {
    const port = top - PICK_FROM < 1000 ? await osPort() : PICK_FROM + Math.floor(Math.random() * (top - PICK_FROM));
    if (handedOut.has(port) || !(await isFree(port))) continue;
    handedOut.add(port);
    ports.push(port);
  }
  if (ports.length < n) throw new Error(`no ${n} free loopback ports found below ${top + 1}`);
  return ports;
}

/**
 * Runs `start` on `n` free ports; when it loses one of them to another process (PortBusyError), it runs again
 * on new ports. `start` must clean up after itself when it throws.
 */
export async function withFreePorts<T>(
  n: number,
  start: (ports: number[]) => Promise<T>,
  opts: { attempts?: number; log?: (line: string) => void } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePorts(n));
    } catch (err) {
      if (!isPortBusy(err) || attempt >= attempts) throw err;
      opts.log?.(`${err.message}; trying again on other ports (attempt ${attempt + 1} of ${attempts})`);
    }
  }
}
