// The local alert sink: keeps what it receives with its signature checked, fails on demand, forgets on demand.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signatureHeader } from '../lib/alerts/signature';
import { type AlertSink, type ReceivedAlert, startAlertSink } from './alert-sink';

let sink: AlertSink;
beforeAll(async () => {
  sink = await startAlertSink({ secret: 'sink-test-secret' });
});
afterAll(() => sink.stop());

async function post(body: string, secret: string) {
  const signature = await signatureHeader(secret, body, Math.floor(Date.now() / 1000));
  return fetch(sink.hookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-storefront-signature': signature, 'x-storefront-alert-id': '7' },
    body,
    signal: AbortSignal.timeout(5000),
  });
}
const list = async () =>
  (await (await fetch(`${sink.url}/_local/received`, { signal: AbortSignal.timeout(5000) })).json()) as ReceivedAlert[];

it('keeps each call with its signature checked, fails the next N on demand, and forgets on demand', async () => {
  expect((await post('{"text":"a"}', 'sink-test-secret')).status).toBe(204);
  expect((await post('{"text":"b"}', 'wrong-secret')).status).toBe(204);
  expect(await fetch(`${sink.url}/_local/fail?count=1`, { method: 'POST' }).then((r) => r.status)).toBe(204);
  expect((await post('{"text":"c"}', 'sink-test-secret')).status).toBe(500);
  // Failures armed for one rule fail that rule's calls only.
  expect(await fetch(`${sink.url}/_local/fail?count=1&rule=r1`, { method: 'POST' }).then((r) => r.status)).toBe(204);
  expect((await post('{"alert":{"rule":"r2"}}', 'sink-test-secret')).status).toBe(204);
  expect((await post('{"alert":{"rule":"r1"}}', 'sink-test-secret')).status).toBe(500);
  expect((await post('{"alert":{"rule":"r1"}}', 'sink-test-secret')).status).toBe(204);
  const got = await list();
  expect(got.map((a) => [a.json, a.signatureValid, a.alertId])).toEqual([
    [{ text: 'a' }, true, '7'],
    [{ text: 'b' }, false, '7'],
    [{ alert: { rule: 'r2' } }, true, '7'],
    [{ alert: { rule: 'r1' } }, true, '7'],
  ]);
  expect(sink.received()).toHaveLength(4);
  expect(await fetch(`${sink.url}/_local/received`, { method: 'DELETE' }).then((r) => r.status)).toBe(204);
  expect(await list()).toEqual([]);
});
