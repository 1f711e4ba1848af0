// Shared by the notification e2e files: the emails the local mail sink received.
import { inject } from 'vitest';
import { eventually } from './helpers';

export interface Mail {
  key: string;
  kind: string;
  orderId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export async function mailsOf(orderId: string): Promise<Mail[]> {
  const res = await fetch(`${inject('mailSinkUrl')}/_local/mail?orderId=${encodeURIComponent(orderId)}`, {
    signal: AbortSignal.timeout(5000),
  });
  return (await res.json()) as Mail[];
}

export const mailOf = (orderId: string, kind: string, count = 1) =>
  eventually(
    `${count} ${kind} email(s) for ${orderId}`,
    async () => {
      const found = (await mailsOf(orderId)).filter((m) => m.kind === kind);
      return found.length >= count ? found : false;
    },
    20_000,
    200,
  );

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * A merchant's webhook receiver on loopback, started by the test: every call kept; a path ending in /fail answers
 * 500, /slow answers 204 after SLOW_MS (longer than the admin worker's DB_TIMEOUT_MS, within the stack's
 * WEBHOOK_TIMEOUT_MS), /hang never answers within WEBHOOK_TIMEOUT_MS, /redirect answers 302, anything else 204.
 */
/** Past the admin worker's DB_TIMEOUT_MS (1.5 s), within the test stack's WEBHOOK_TIMEOUT_MS (3 s). */
export const SLOW_MS = 2200;
/** Past the test stack's WEBHOOK_TIMEOUT_MS (3 s). */
const HANG_MS = 6000;

export async function startReceiver() {
  const http = await import('node:http');
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({
        path,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, [v].flat()[0] ?? ''])),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      if (path.endsWith('/fail')) res.writeHead(500).end('no');
      else if (path.endsWith('/slow')) setTimeout(() => res.writeHead(204).end(), SLOW_MS);
      else if (path.endsWith('/hang')) setTimeout(() => res.writeHead(204).end(), HANG_MS);
      else if (path.endsWith('/redirect')) res.writeHead(302, { location: 'https://elsewhere.example/' }).end();
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received: (path: string, eventId?: string) =>
      received.filter((r) => r.path === path && (!eventId || r.headers['x-storefront-event-id'] === eventId)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
