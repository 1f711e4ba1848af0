// Dev/test only: the local receiver of the alert webhook. `npm run dev` and the test stack start it and point the
// gateway's ALERT_WEBHOOK_URL at its /hook, with ALERT_WEBHOOK_SECRET = ALERT_DEV_WEBHOOK_SECRET. It keeps what it
// received in memory (the latest 1000 calls), each with its signature checked, and serves them to tests and people:
//   POST /hook                 a notification (JSON); answered 204, or 500 while failures are armed
//   GET  /_local/received      every call kept, oldest first: {id, receivedAt, alertId, signature, signatureValid,
//                              body (the raw text), json}
//   DELETE /_local/received    forgets them
//   POST /_local/fail?count=N[&rule=R]  the next N calls to /hook (about rule R only, when given) answer 500 (to
//                              watch the retries; per rule, so a test's failures never land on another rule's call)
import { SIGNATURE_HEADER, verifySignature } from '../lib/alerts/signature';
import { serveSink } from './sink-server';

/** The local sink's signing secret: the dev and test stacks give the gateway the same one. */
export const ALERT_DEV_WEBHOOK_SECRET = 'alert_local_storefront_dev_secret';
const KEPT = 1000;
const MAX_BODY = 256 * 1024;

export interface ReceivedAlert {
  id: number;
  receivedAt: string;
  alertId: string | null;
  signature: string | null;
  signatureValid: boolean;
  body: string;
  json: unknown;
}

export interface AlertSink {
  /** The base URL; the gateway posts to `${url}/hook`. */
  url: string;
  hookUrl: string;
  received(): ReceivedAlert[];
  stop(): Promise<void>;
}

export async function startAlertSink(opts: { port?: number; secret: string; host?: string }): Promise<AlertSink> {
  const received: ReceivedAlert[] = [];
  /** Calls still to fail, per rule ('' for a call about any rule). */
  const failNext = new Map<string, number>();
  let nextId = 1;
  const sink = await serveSink('alert sink', opts, async ({ req, url, send, body: read }) => {
    if (req.method === 'GET' && url.pathname === '/_local/received') return send(200, received);
    if (req.method === 'DELETE' && url.pathname === '/_local/received') {
      received.length = 0;
      return send(204);
    }
    if (req.method === 'POST' && url.pathname === '/_local/fail') {
      const count = Number(url.searchParams.get('count') ?? '1');
      if (!Number.isSafeInteger(count) || count < 0) return send(400, { error: 'count: a whole number' });
      failNext.set(url.searchParams.get('rule') ?? '', count);
      return send(204);
    }
    if (req.method !== 'POST' || url.pathname !== '/hook') return send(404, { error: 'not found' });
    const body = await read(MAX_BODY);
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(body);
    } catch {}
    const rule = (parsed as { alert?: { rule?: unknown } } | null)?.alert?.rule;
    const armed = [...(typeof rule === 'string' ? [rule] : []), ''].find((k) => failNext.get(k));
    if (armed !== undefined) {
      failNext.set(armed, failNext.get(armed)! - 1);
      return send(500, { error: 'failure armed by /_local/fail' });
    }
    // Node types a header as string | string[] (an array for a few repeated ones): the first is the one checked.
    const header = (name: string) => [req.headers[name]].flat()[0];
    const signature = header(SIGNATURE_HEADER);
    received.push({
      id: nextId++,
      receivedAt: new Date().toISOString(),
      alertId: header('x-storefront-alert-id') ?? null,
      signature: signature ?? null,
      signatureValid: await verifySignature(opts.secret, body, signature),
      body,
      json: parsed,
    });
    if (received.length > KEPT) received.splice(0, received.length - KEPT);
    send(204);
  });
  return { url: sink.url, hookUrl: `${sink.url}/hook`, received: () => [...received], stop: sink.stop };
}
