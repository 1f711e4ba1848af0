// Dev/test only: where the local stack's emails can be read. `wrangler dev` simulates the `send_email` binding and
// only logs what is sent, so the notifications consumer also posts every email it sent here when MAIL_SINK_URL is
// set (`npm run dev` and the test stack set it to this sink's /mail; production leaves it empty). It keeps the
// latest 1000 emails in memory:
//   POST   /mail            an email as sent (JSON: key, kind, orderId, from, to, subject, text, html, messageId)
//   GET    /_local/mail     every email kept, oldest first; ?to=<address> and ?orderId=<id> filter
//   DELETE /_local/mail     forgets them
import { serveSink } from './sink-server';

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
  const mails: SentMail[] = [];
  let nextId = 1;
  const sink = await serveSink('mail sink', opts, async ({ req, url, send, body }) => {
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
    let mail: Omit<SentMail, 'id' | 'receivedAt'>;
    try {
      mail = JSON.parse(await body(MAX_BODY));
    } catch {
      return send(400, { error: 'expected JSON' });
    }
    mails.push({ id: nextId++, receivedAt: new Date().toISOString(), ...mail });
    if (mails.length > KEPT) mails.splice(0, mails.length - KEPT);
    send(204);
  });
  return { url: sink.url, postUrl: `${sink.url}/mail`, received: () => [...mails], stop: sink.stop };
}
