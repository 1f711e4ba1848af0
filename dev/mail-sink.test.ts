// The local mail sink: keeps the emails posted to it, filters them by recipient and order, refuses what is not
// JSON, drops a body over its limit, and forgets on demand.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MailSink, type SentMail, startMailSink } from './mail-sink';

let sink: MailSink;
beforeAll(async () => {
  sink = await startMailSink();
});
afterAll(() => sink.stop());

const post = (body: string) =>
  fetch(sink.postUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(5000),
  });
const list = async (query = '') =>
  (await (await fetch(`${sink.url}/_local/mail${query}`, { signal: AbortSignal.timeout(5000) })).json()) as SentMail[];
const mail = (to: string, orderId: string) =>
  JSON.stringify({ key: `${orderId}:paid`, kind: 'order.paid', orderId, to, from: 'shop@x.test', subject: 's' });

it('keeps each email, filters by recipient and order, refuses non-JSON and oversized bodies, forgets on demand', async () => {
  expect((await post(mail('a@x.test', 'o1'))).status).toBe(204);
  expect((await post(mail('b@x.test', 'o2'))).status).toBe(204);
  expect((await post('not json')).status).toBe(400);
  // Over the 1 MiB limit the connection is dropped: no answer, nothing kept.
  await expect(post(`"${'x'.repeat(1024 * 1024 + 10)}"`)).rejects.toThrow();
  expect((await list()).map((m) => [m.to, m.orderId])).toEqual([
    ['a@x.test', 'o1'],
    ['b@x.test', 'o2'],
  ]);
  expect((await list('?to=b%40x.test')).map((m) => m.orderId)).toEqual(['o2']);
  expect((await list('?orderId=o1')).map((m) => m.to)).toEqual(['a@x.test']);
  expect(sink.received()).toHaveLength(2);
  expect((await fetch(`${sink.url}/_local/mail`, { method: 'DELETE' })).status).toBe(204);
  expect(await list()).toEqual([]);
  expect((await fetch(`${sink.url}/nope`)).status).toBe(404);
});
