// Dev/test only: where the local stack's emails can be read. `wrangler dev` simulates the `send_email` binding and
// only logs what is sent, so the notifications consumer also posts every email it sent here when MAIL_SINK_URL is
// set (`npm run dev` and the test stack set it to this sink's /mail; production leaves it empty). It keeps the
// latest 1000 emails in memory:
//   POST   /mail            an email as sent (JSON: key, kind, orderId, from, to, subject, text, html, messageId)
//   GET    /_local/mail     every email kept, oldest first; ?to=<address> and ?orderId=<id> filter
//   DELETE /_local/mail     forgets them
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from './ports';

const KEPT = 1000;
const MAX_BODY = 1024 * 1024;

export interface SentMail {
  id: number;
  receivedAt: string;
  key: string;
  kind: string;
  orderId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

export interface MailSink {
  url: string;
  /** The consumer's MAIL_SINK_URL. */
  postUrl: string;
  received(): SentMail[];
  stop(): Promise<void>;
}

export async function startMailSink(opts: { port?: number; host?: string } = {}): Promise<MailSink> {
  const host = opts.host ?? '127.0.0.1';
  const mails: SentMail[] = [];
  let nextId = 1;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : `${JSON.stringify(body, null, 2)}\n`);
    };
    if (req.method === 'GET' && url.pathname === '/_local/mail') {
      const to = url.searchParams.get('to');
      const orderId = url.searchParams.get('orderId');
      return send(
        200,
        mails.filter((m) => (!to || m.to === to) && (!orderId || m.orderId === orderId)),
      );
    }
    if (req.method === 'DELETE' && url.pathname === '/_local/mail') {
      mails.length = 0;
      return send(204);
    }
    if (req.method !== 'POST' || url.pathname !== '/mail') return send(404, { error: 'not found' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        const mail = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<SentMail, 'id' | 'receivedAt'>;
        mails.push({ id: nextId++, receivedAt: new Date().toISOString(), ...mail });
        if (mails.length > KEPT) mails.splice(0, mails.length - KEPT);
        send(204);
      } catch {
        send(400, { error: 'expected JSON' });
      }
    });
  });
  await listen(server, opts.port ?? 0, 'mail sink', host);
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    postUrl: `${url}/mail`,
    received: () => [...mails],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
