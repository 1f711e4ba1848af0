// Shared by the dev/stripe-local.*.test.ts files: local Stripe servers and webhook receivers (every one stopped after
// the file's tests), SDK clients (Node http or fetch), and a receiver that verifies every signature with
// constructEventAsync + SubtleCrypto.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll } from 'vitest';
import { type StripeLocal, type StripeLocalOptions, startStripeLocal } from './stripe-local';

export const SECRET = 'whsec_stripe_local_test_secret';
export const KEY = 'sk_test_stripe_local_123';
export const FAST = { baseDelayMs: 50, maxAttempts: 5, timeoutMs: 2000 };
export const verifier = new Stripe(KEY);
export const subtle = Stripe.createSubtleCryptoProvider();

import { waitFor } from './wait';

export { type Truthy, waitFor } from './wait';

export interface Receiver {
  url: string;
  events: Stripe.Event[];
  headers: http.IncomingHttpHeaders[];
  attempts: Map<string, number>;
  rejected: string[];
  close(): Promise<void>;
}
/** Webhook endpoint: verifies the signature (else 400), answers 500 to the first `failFirst` attempts per event,
 *  and answers after `delayMs(event)` ms. */
export async function startReceiver(
  o: { failFirst?: number; secret?: string; delayMs?: (e: Stripe.Event) => number } = {},
): Promise<Receiver> {
  const r: Omit<Receiver, 'url' | 'close'> = { events: [], headers: [], attempts: new Map(), rejected: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      verifier.webhooks
        .constructEventAsync(raw, String(req.headers['stripe-signature']), o.secret ?? SECRET, undefined, subtle)
        .then(
          async (event) => {
            if (o.delayMs) await new Promise((w) => setTimeout(w, o.delayMs!(event)));
            const n = (r.attempts.get(event.id) ?? 0) + 1;
            r.attempts.set(event.id, n);
            if (n <= (o.failFirst ?? 0)) {
              res.writeHead(500).end('not yet');
              return;
            }
            r.events.push(event);
            r.headers.push(req.headers);
            res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}');
          },
          (e: Error) => {
            r.rejected.push(e.message);
            res.writeHead(400).end(e.message);
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...r,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/stripe`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const client = (server: StripeLocal, o: { key?: string; fetch?: boolean } = {}) =>
  new Stripe(o.key ?? KEY, {
    host: '127.0.0.1',
    port: server.port,
    protocol: 'http',
    maxNetworkRetries: 2,
    timeout: 5000,
    ...(o.fetch ? { httpClient: Stripe.createFetchHttpClient() } : {}),
  });
/** The error a promise rejects with (fails the test if it resolves). */
export const failure = async (p: Promise<unknown>): Promise<Stripe.errors.StripeError> => {
  try {
    await p;
  } catch (e) {
    return e as Stripe.errors.StripeError;
  }
  throw new Error('expected the request to fail');
};
export const card = (
  pm: string,
  extra: Partial<Stripe.PaymentIntentCreateParams> = {},
): Stripe.PaymentIntentCreateParams => ({
  amount: 1000,
  currency: 'usd',
  payment_method: pm,
  allowed_payment_method_types: ['card'],
  ...extra,
});

export const stopAfter: { stop(): Promise<void> }[] = [];
export const start = async (o: Partial<StripeLocalOptions> = {}) => {
  const s = await startStripeLocal({ port: 0, webhookSecret: SECRET, webhookRetry: FAST, ...o });
  stopAfter.push(s);
  return s;
};
export const receiverFor = async (o: Parameters<typeof startReceiver>[0] = {}) => {
  const r = await startReceiver(o);
  stopAfter.push({ stop: r.close });
  return r;
};
/** Stops every server and receiver this file started, after its tests. */
export function stopAllAfterTests() {
  afterAll(async () => {
    await Promise.all(stopAfter.splice(0).map((s) => s.stop()));
  });
}

/**
 * One local Stripe server with a verifying webhook receiver, shared by the tests of a describe block: the object
 * is filled in before they run. eventsOf / waitEvents find the events of one PaymentIntent.
 */
export function sdkServer() {
  const shared = {} as { server: StripeLocal; hooks: Receiver; stripe: Stripe };
  beforeAll(async () => {
    shared.hooks = await receiverFor();
    shared.server = await start({ webhookUrl: shared.hooks.url });
    shared.stripe = client(shared.server);
  });
  const eventsOf = (id: string) =>
    shared.hooks.events.filter(
      (e) =>
        (e.data.object as { id?: string; payment_intent?: string }).id === id ||
        (e.data.object as { payment_intent?: string }).payment_intent === id,
    );
  const waitEvents = (id: string, types: string[]) =>
    waitFor(
      () => types.every((t) => eventsOf(id).some((e) => e.type === t)) && eventsOf(id),
      `${types.join(', ')} for ${id}`,
    );
  return { shared, eventsOf, waitEvents };
}
